import { join } from 'node:path';
import { type Fs, NodeFs, readOffsetCheckpoint, writeCheckpoint } from '@millrace/storage';

/** Ids reserved per durable write: one reservation per this many InitProducerId requests. */
const BLOCK_SIZE = 1000;
const FILE = 'producer-id-block.checkpoint';

/**
 * Reserves `size` ids durably and returns the first; `floor` is the lowest id it may return. A
 * single broker reserves in a checkpoint file; a cluster in etcd, shared by every broker.
 */
export type ProducerIdReserver = (size: number, floor: number) => Promise<number>;

/**
 * Hands out producer ids that are never reused, even across crashes: a block is reserved durably
 * before any id from it is given out, and a restart starts a new block (the unused rest of the old
 * one is skipped). Two brokers of a cluster never share a block.
 */
export class ProducerIdManager {
  private next = 0;
  private blockEnd = 0;
  private reserving: Promise<void> | null = null;
  private reserver: ProducerIdReserver;

  private constructor(reserver: ProducerIdReserver, start: number) {
    this.reserver = reserver;
    this.next = this.blockEnd = start;
  }

  static async open(dataDir: string, fs: Fs = new NodeFs()): Promise<ProducerIdManager> {
    const path = join(dataDir, FILE);
    const start = (await readOffsetCheckpoint(fs, path)) ?? 0;
    // Blocks follow each other in the file: the one reserved last ends where the next begins.
    let fileEnd = start;
    const local: ProducerIdReserver = async (size) => {
      await writeCheckpoint(fs, path, fileEnd + size);
      fileEnd += size;
      return fileEnd - size;
    };
    return new ProducerIdManager(local, start);
  }

  /**
   * From now on blocks come from `reserver` (the cluster's), above every id this broker reserved
   * before, so ids it handed out while alone are never handed out again.
   */
  useReserver(reserver: ProducerIdReserver): void {
    this.reserver = reserver;
    this.next = this.blockEnd;
  }

  async allocate(): Promise<number> {
    while (this.next >= this.blockEnd) {
      this.reserving ??= this.reserve().finally(() => {
        this.reserving = null;
      });
      await this.reserving;
    }
    return this.next++;
  }

  private async reserve(): Promise<void> {
    const start = await this.reserver(BLOCK_SIZE, this.blockEnd);
    this.next = start;
    this.blockEnd = start + BLOCK_SIZE;
  }
}
