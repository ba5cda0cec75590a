import { join } from 'node:path';
import { NodeFs, readOffsetCheckpoint, writeCheckpoint } from '@millrace/storage';

/** Ids reserved per durable write: one checkpoint write per this many InitProducerId requests. */
const BLOCK_SIZE = 1000;
const FILE = 'producer-id-block.checkpoint';
const fs = new NodeFs();

/**
 * Hands out producer ids that are never reused, even across crashes: the end of the current block
 * is written durably before any id from the block is given out, and a restart starts a new block
 * there (the unused rest of the old one is skipped).
 */
export class ProducerIdManager {
  private next = 0;
  private blockEnd = 0;
  private reserving: Promise<void> | null = null;
  private readonly path: string;

  private constructor(dataDir: string, start: number) {
    this.path = join(dataDir, FILE);
    this.next = this.blockEnd = start;
  }

  static async open(dataDir: string): Promise<ProducerIdManager> {
    return new ProducerIdManager(dataDir, (await readOffsetCheckpoint(fs, join(dataDir, FILE))) ?? 0);
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
    const end = this.blockEnd + BLOCK_SIZE;
    await writeCheckpoint(fs, this.path, end);
    this.next = this.blockEnd;
    this.blockEnd = end;
  }
}
