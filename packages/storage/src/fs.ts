import * as nodeFs from 'node:fs';
import { promisify } from 'node:util';

/**
 * Every file operation the log performs. The log never touches node:fs directly, so a test can
 * hand it a file system that fails fsync, fills up, or loses what was not synced.
 */
export interface Fs {
  mkdirp(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  /** Opens for reading and writing, creating the file if it is missing. */
  openReadWrite(path: string): Promise<number>;
  close(fd: number): Promise<void>;
  size(fd: number): Promise<number>;
  read(fd: number, into: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Writes all of `buffers` at `position`, looping over short writes. */
  writev(fd: number, buffers: Buffer[], position: number): Promise<void>;
  /** The same, blocking the caller: for small writes, cheaper than a trip through the thread pool. */
  writevSync(fd: number, buffers: Buffer[], position: number): void;
  fdatasync(fd: number): Promise<void>;
  truncate(fd: number, length: number): Promise<void>;
  /** Makes a directory's entries (created, renamed, deleted files) durable. */
  fsyncDir(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rmrf(path: string): Promise<void>;
  readFileIfExists(path: string): Promise<Buffer | null>;
  writeFile(path: string, data: Buffer): Promise<void>;
}

const p = {
  open: promisify(nodeFs.open),
  close: promisify(nodeFs.close),
  fstat: promisify(nodeFs.fstat),
  read: (fd: number, into: Buffer, offset: number, length: number, position: number) =>
    new Promise<number>((resolve, reject) => nodeFs.read(fd, into, offset, length, position, (err, n) => (err ? reject(err) : resolve(n)))),
  writev: (fd: number, buffers: Buffer[], position: number) =>
    new Promise<number>((resolve, reject) => nodeFs.writev(fd, buffers, position, (err, n) => (err ? reject(err) : resolve(n)))),
  fdatasync: promisify(nodeFs.fdatasync),
  fsync: promisify(nodeFs.fsync),
  ftruncate: promisify(nodeFs.ftruncate),
};

/** What is left of `buffers` after a short write of `written` bytes. */
function unwritten(buffers: Buffer[], written: number): Buffer[] {
  const rest: Buffer[] = [];
  for (const b of buffers) {
    if (written >= b.length) written -= b.length;
    else {
      rest.push(written > 0 ? b.subarray(written) : b);
      written = 0;
    }
  }
  return rest;
}

/** The real file system. */
export class NodeFs implements Fs {
  async mkdirp(path: string): Promise<void> {
    await nodeFs.promises.mkdir(path, { recursive: true });
  }
  readdir(path: string): Promise<string[]> {
    return nodeFs.promises.readdir(path);
  }
  openReadWrite(path: string): Promise<number> {
    return p.open(path, nodeFs.constants.O_RDWR | nodeFs.constants.O_CREAT, 0o644);
  }
  close(fd: number): Promise<void> {
    return p.close(fd);
  }
  async size(fd: number): Promise<number> {
    return (await p.fstat(fd)).size;
  }
  read(fd: number, into: Buffer, offset: number, length: number, position: number): Promise<number> {
    return p.read(fd, into, offset, length, position);
  }
  async writev(fd: number, buffers: Buffer[], position: number): Promise<void> {
    let pending = buffers;
    let at = position;
    while (pending.length > 0) {
      const written = await p.writev(fd, pending, at);
      at += written;
      pending = unwritten(pending, written);
    }
  }
  writevSync(fd: number, buffers: Buffer[], position: number): void {
    let pending = buffers;
    let at = position;
    while (pending.length > 0) {
      const written = nodeFs.writevSync(fd, pending, at);
      at += written;
      pending = unwritten(pending, written);
    }
  }
  fdatasync(fd: number): Promise<void> {
    return p.fdatasync(fd);
  }
  truncate(fd: number, length: number): Promise<void> {
    return p.ftruncate(fd, length);
  }
  async fsyncDir(path: string): Promise<void> {
    const fd = await p.open(path, nodeFs.constants.O_RDONLY);
    try {
      await p.fsync(fd);
    } finally {
      await p.close(fd);
    }
  }
  rename(from: string, to: string): Promise<void> {
    return nodeFs.promises.rename(from, to);
  }
  unlink(path: string): Promise<void> {
    return nodeFs.promises.unlink(path);
  }
  rmrf(path: string): Promise<void> {
    return nodeFs.promises.rm(path, { recursive: true, force: true });
  }
  async readFileIfExists(path: string): Promise<Buffer | null> {
    try {
      return await nodeFs.promises.readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
  writeFile(path: string, data: Buffer): Promise<void> {
    return nodeFs.promises.writeFile(path, data);
  }
}
