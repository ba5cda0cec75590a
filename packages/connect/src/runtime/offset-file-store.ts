import { readFileSync } from 'node:fs';
import { NodeFs, writeFileDurably } from '@millrace/storage';
import { ConnectError } from '../errors.ts';
import { connectorEntries, offsetKey, type OffsetStore, type SourceOffset as Offset } from './offset-store.ts';

const FS = new NodeFs();

/**
 * Source offsets of a standalone worker, in `offset.storage.file.filename`: a JSON file mapping
 * each key (`["<connector>",{<source partition>}]`, as Kafka's offsets topic keys them) to its
 * offset. A write goes to a new file that is fsynced and renamed over the old one, so a crash
 * leaves the old offsets or the new ones, never a torn file.
 */
export class OffsetFileStore implements OffsetStore {
  private readonly path: string;
  private readonly offsets = new Map<string, Offset>();

  constructor(path: string) {
    this.path = path;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      for (const [key, offset] of Object.entries(JSON.parse(text) as Record<string, Offset>)) this.offsets.set(key, offset);
    } catch (err) {
      throw new ConnectError('INVALID_CONFIG', `offset.storage.file.filename ${path} is not an offsets file Millrace wrote: ${(err as Error).message}`, { cause: err });
    }
  }

  get(connector: string, partition: Record<string, unknown>): Offset | null {
    return this.offsets.get(offsetKey(connector, partition)) ?? null;
  }

  partitionOffsets(connector: string): [Record<string, unknown>, Offset][] {
    return connectorEntries(this.offsets, connector);
  }

  /** Stores offsets (the latest per source partition) and makes them durable before returning. */
  async write(connector: string, offsets: Iterable<[Record<string, unknown>, Offset | null]>): Promise<void> {
    for (const [partition, offset] of offsets) {
      if (offset === null) this.offsets.delete(offsetKey(connector, partition));
      else this.offsets.set(offsetKey(connector, partition), offset);
    }
    await writeFileDurably(FS, this.path, Buffer.from(JSON.stringify(Object.fromEntries(this.offsets))));
  }
}
