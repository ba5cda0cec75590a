import { basename, dirname } from 'node:path';
import type { Fs } from './fs.ts';

/** An in-memory file's bytes: `data` as the page cache sees it, `durable` as the disk holds it. */
interface Inode {
  data: Buffer;
  durable: Buffer;
  /** Writes since the last fdatasync, oldest first: what a crash may lose or tear. */
  unsynced: { position: number; bytes: Buffer }[];
}

interface Directory {
  entries: Map<string, Inode>;
  /** The entries as of the last fsync of the directory. */
  durableEntries: Map<string, Inode>;
}

/** How much of the unsynced data survives a crash. */
export type CrashMode =
  /** Power loss: only what was fsynced survives (files and directory entries). */
  | 'drop-unsynced'
  /** Power loss during the last write: the earlier unsynced writes of each file reached the disk, the last one only up to a random byte. */
  | 'tear-last-write'
  /** The process dies but the kernel lives on (SIGKILL): everything written survives. */
  | 'process-only';

function errno(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/**
 * A file system in memory that models what a disk keeps across a crash, behind the storage `Fs`
 * interface. Tests use it to lose unsynced writes, tear the last write at a random byte, fail
 * fsync and fill the disk, then reopen the log on what survived. A seeded random source keeps a
 * failing case reproducible. Directories are created durable; everything else needs its fsync.
 */
export class FaultInjectingFs implements Fs {
  private readonly dirs = new Map<string, Directory>();
  private readonly fds = new Map<number, Inode>();
  private nextFd = 3;
  private random: () => number;
  /** Total bytes the disk holds; a write past it fails with ENOSPC after writing what fits. */
  capacityBytes = Infinity;
  /** When set, every fdatasync and directory fsync fails with EIO. */
  failSync = false;

  constructor(seed = 1) {
    // Spread small seeds over the 32 bits, or the first draws of seeds 1, 2, 3... are all near 0.
    let state = Math.imul(seed, 0x9e3779b1) >>> 0 || 1;
    // xorshift32: enough randomness for choosing tear points, and repeatable.
    this.random = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 2 ** 32;
    };
  }

  /**
   * Simulates a crash: every open descriptor becomes invalid, and files and directories go back to
   * what `mode` says survived. Reopen the log on this same object afterwards.
   */
  crash(mode: CrashMode): void {
    this.fds.clear();
    if (mode === 'process-only') return;
    for (const dir of this.dirs.values()) dir.entries = new Map(dir.durableEntries);
    for (const inode of this.allInodes()) {
      let data: Buffer = Buffer.from(inode.durable);
      if (mode === 'tear-last-write' && inode.unsynced.length > 0) {
        const writes = inode.unsynced;
        for (let i = 0; i < writes.length; i++) {
          const last = i === writes.length - 1;
          const keep = last ? Math.floor(this.random() * writes[i].bytes.length) : writes[i].bytes.length;
          data = applyWrite(data, writes[i].position, writes[i].bytes.subarray(0, keep));
        }
      }
      inode.data = data;
      inode.durable = Buffer.from(data);
      inode.unsynced = [];
    }
  }

  /** Bytes in every file, as the page cache sees them. */
  get usedBytes(): number {
    let total = 0;
    for (const inode of this.allInodes()) total += inode.data.length;
    return total;
  }

  /** Flips one byte of a file, as a failing disk would (for corruption tests). */
  corrupt(path: string, position: number): void {
    const inode = this.lookup(path);
    if (!inode || position >= inode.data.length) throw new Error(`cannot corrupt byte ${position} of ${path}`);
    inode.data[position] ^= 0xff;
    inode.durable = Buffer.from(inode.data);
  }

  /** A file's bytes as the page cache sees them, or null if it does not exist. */
  contents(path: string): Buffer | null {
    const inode = this.lookup(path);
    return inode ? Buffer.from(inode.data) : null;
  }

  private allInodes(): Set<Inode> {
    const inodes = new Set<Inode>();
    for (const dir of this.dirs.values()) for (const inode of dir.entries.values()) inodes.add(inode);
    for (const inode of this.fds.values()) inodes.add(inode);
    return inodes;
  }

  private dir(path: string): Directory {
    const dir = this.dirs.get(path);
    if (!dir) throw errno('ENOENT', `no such directory, ${path}`);
    return dir;
  }

  private lookup(path: string): Inode | undefined {
    return this.dirs.get(dirname(path))?.entries.get(basename(path));
  }

  private inode(fd: number): Inode {
    const inode = this.fds.get(fd);
    if (!inode) throw errno('EBADF', `bad file descriptor ${fd}`);
    return inode;
  }

  private create(path: string): Inode {
    const inode: Inode = { data: Buffer.alloc(0), durable: Buffer.alloc(0), unsynced: [] };
    this.dir(dirname(path)).entries.set(basename(path), inode);
    return inode;
  }

  /** Writes `bytes` at `position` unless the disk is full; a write that does not fit writes what does, then fails. */
  private write(inode: Inode, position: number, bytes: Buffer): void {
    const growth = Math.max(0, position + bytes.length - inode.data.length);
    const room = this.capacityBytes - this.usedBytes;
    const fits = growth <= room ? bytes : bytes.subarray(0, Math.max(0, inode.data.length - position) + Math.max(0, room));
    if (fits.length > 0) {
      inode.data = applyWrite(inode.data, position, fits);
      inode.unsynced.push({ position, bytes: Buffer.from(fits) });
    }
    if (fits.length < bytes.length) throw errno('ENOSPC', 'no space left on device, write');
  }

  async mkdirp(path: string): Promise<void> {
    const parts = path.split('/').filter(Boolean);
    let at = path.startsWith('/') ? '' : '.';
    for (const part of parts) {
      at = at === '.' ? part : `${at}/${part}`;
      if (!this.dirs.has(at)) this.dirs.set(at, { entries: new Map(), durableEntries: new Map() });
    }
  }

  async readdir(path: string): Promise<string[]> {
    const names = [...this.dir(path).entries.keys()];
    for (const dir of this.dirs.keys()) if (dirname(dir) === path && dir !== path) names.push(basename(dir));
    return names;
  }

  async openReadWrite(path: string): Promise<number> {
    const inode = this.lookup(path) ?? this.create(path);
    const fd = this.nextFd++;
    this.fds.set(fd, inode);
    return fd;
  }

  async close(fd: number): Promise<void> {
    this.inode(fd);
    this.fds.delete(fd);
  }

  async size(fd: number): Promise<number> {
    return this.inode(fd).data.length;
  }

  async read(fd: number, into: Buffer, offset: number, length: number, position: number): Promise<number> {
    const data = this.inode(fd).data;
    if (position >= data.length) return 0;
    return data.copy(into, offset, position, Math.min(data.length, position + length));
  }

  async writev(fd: number, buffers: Buffer[], position: number): Promise<void> {
    this.writevSync(fd, buffers, position);
  }

  writevSync(fd: number, buffers: Buffer[], position: number): void {
    this.write(this.inode(fd), position, Buffer.concat(buffers));
  }

  async fdatasync(fd: number): Promise<void> {
    const inode = this.inode(fd);
    if (this.failSync) throw errno('EIO', 'i/o error, fdatasync');
    inode.durable = Buffer.from(inode.data);
    inode.unsynced = [];
  }

  async truncate(fd: number, length: number): Promise<void> {
    const inode = this.inode(fd);
    const data = Buffer.alloc(length);
    inode.data.copy(data, 0, 0, Math.min(length, inode.data.length));
    inode.data = data;
    // A truncation is metadata: until synced, a crash may bring the old length back.
    inode.unsynced.push({ position: length, bytes: Buffer.alloc(0) });
  }

  async fsyncDir(path: string): Promise<void> {
    const dir = this.dir(path);
    if (this.failSync) throw errno('EIO', 'i/o error, fsync');
    dir.durableEntries = new Map(dir.entries);
  }

  async rename(from: string, to: string): Promise<void> {
    const inode = this.lookup(from);
    if (!inode) throw errno('ENOENT', `no such file, rename '${from}'`);
    this.dir(dirname(from)).entries.delete(basename(from));
    this.dir(dirname(to)).entries.set(basename(to), inode);
  }

  async unlink(path: string): Promise<void> {
    if (!this.lookup(path)) throw errno('ENOENT', `no such file, unlink '${path}'`);
    this.dir(dirname(path)).entries.delete(basename(path));
  }

  async rmrf(path: string): Promise<void> {
    for (const dir of [...this.dirs.keys()]) if (dir === path || dir.startsWith(`${path}/`)) this.dirs.delete(dir);
    this.dirs.get(dirname(path))?.entries.delete(basename(path));
  }

  async readFileIfExists(path: string): Promise<Buffer | null> {
    const inode = this.lookup(path);
    return inode ? Buffer.from(inode.data) : null;
  }

  async writeFile(path: string, data: Buffer): Promise<void> {
    const inode = this.lookup(path) ?? this.create(path);
    inode.data = Buffer.alloc(0);
    inode.unsynced.push({ position: 0, bytes: Buffer.alloc(0) });
    this.write(inode, 0, data);
  }
}

/** `data` with `bytes` written at `position`, growing (zero-filled) if needed. */
function applyWrite(data: Buffer, position: number, bytes: Buffer): Buffer {
  const out = position + bytes.length > data.length ? Buffer.concat([data, Buffer.alloc(position + bytes.length - data.length)]) : data;
  bytes.copy(out, position);
  return out;
}
