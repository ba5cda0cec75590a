// The machine's limit for durable appends: sequential writes, each followed by fdatasync, at the
// sizes a group commit produces. The broker's produce figures are reported as a ratio of this.
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DiskLimit {
  chunkBytes: number;
  totalBytes: number;
  seconds: number;
  mbPerSecond: number;
}

export function measureFsyncedWrites(chunkBytes: number, totalBytes: number, dir = tmpdir()): DiskLimit {
  const work = mkdtempSync(join(dir, 'millrace-disk-'));
  const fd = openSync(join(work, 'data'), 'w');
  const chunk = Buffer.alloc(chunkBytes, 0x5a);
  try {
    const start = process.hrtime.bigint();
    for (let written = 0; written < totalBytes; written += chunkBytes) {
      writeSync(fd, chunk);
      fdatasyncSync(fd);
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { chunkBytes, totalBytes, seconds, mbPerSecond: totalBytes / 1e6 / seconds };
  } finally {
    closeSync(fd);
    rmSync(work, { recursive: true, force: true });
  }
}
