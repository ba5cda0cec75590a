// One suite, two file systems: the fault-injecting Fs must behave like the real one until a fault
// is injected, or tests on it would prove nothing about the real disk. The faults themselves are
// tested at the end.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FaultInjectingFs } from './fault-injecting-fs.ts';
import { type Fs, NodeFs } from './fs.ts';

const tempDirs: string[] = [];
after(() => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const fileSystems: { name: string; make: () => { fs: Fs; root: string } }[] = [
  {
    name: 'NodeFs',
    make: () => {
      const root = mkdtempSync(join(tmpdir(), 'millrace-fs-'));
      tempDirs.push(root);
      return { fs: new NodeFs(), root };
    },
  },
  {
    name: 'FaultInjectingFs',
    make: () => {
      const fs = new FaultInjectingFs();
      void fs.mkdirp('/root');
      return { fs, root: '/root' };
    },
  },
];

async function readString(fs: Fs, fd: number, position: number, length: number): Promise<string> {
  const buf = Buffer.alloc(length);
  const n = await fs.read(fd, buf, 0, length, position);
  return buf.subarray(0, n).toString();
}

for (const { name, make } of fileSystems) {
  describe(`Fs conformance: ${name}`, () => {
    test('openReadWrite creates a file; writev writes every buffer at its position; reads past the end return what is there', async () => {
      const { fs, root } = make();
      const fd = await fs.openReadWrite(join(root, 'a.log'));
      assert.equal(await fs.size(fd), 0);
      await fs.writev(fd, [Buffer.from('hello '), Buffer.from('world')], 0);
      await fs.writev(fd, [Buffer.from('W')], 6);
      assert.equal(await fs.size(fd), 11);
      assert.equal(await readString(fs, fd, 0, 100), 'hello World');
      assert.equal(await readString(fs, fd, 6, 3), 'Wor');
      assert.equal(await readString(fs, fd, 50, 3), '');
      await fs.fdatasync(fd);
      await fs.close(fd);
      const again = await fs.openReadWrite(join(root, 'a.log'));
      assert.equal(await readString(fs, again, 0, 100), 'hello World', 'reopening keeps the contents');
      await fs.close(again);
    });

    test('writevSync writes every buffer at its position before it returns', async () => {
      const { fs, root } = make();
      const fd = await fs.openReadWrite(join(root, 'b.log'));
      fs.writevSync(fd, [Buffer.from('hello '), Buffer.from('world')], 0);
      fs.writevSync(fd, [Buffer.from('W')], 6);
      assert.equal(await readString(fs, fd, 0, 100), 'hello World');
      await fs.close(fd);
    });

    test('a write past the end leaves a zero-filled gap', async () => {
      const { fs, root } = make();
      const fd = await fs.openReadWrite(join(root, 'gap'));
      await fs.writev(fd, [Buffer.from('x')], 4);
      const buf = Buffer.alloc(5, 9);
      assert.equal(await fs.read(fd, buf, 0, 5, 0), 5);
      assert.deepEqual([...buf], [0, 0, 0, 0, 0x78]);
      await fs.close(fd);
    });

    test('truncate shortens and lengthens with zeros', async () => {
      const { fs, root } = make();
      const fd = await fs.openReadWrite(join(root, 't'));
      await fs.writev(fd, [Buffer.from('abcdef')], 0);
      await fs.truncate(fd, 3);
      assert.equal(await readString(fs, fd, 0, 10), 'abc');
      await fs.truncate(fd, 5);
      assert.equal(await fs.size(fd), 5);
      assert.equal(await readString(fs, fd, 3, 2), '\0\0');
      await fs.close(fd);
    });

    test('readdir lists files and subdirectories; mkdirp is idempotent and makes parents', async () => {
      const { fs, root } = make();
      await fs.mkdirp(join(root, 'x/y'));
      await fs.mkdirp(join(root, 'x/y'));
      await fs.writeFile(join(root, 'x/f'), Buffer.from('1'));
      assert.deepEqual((await fs.readdir(join(root, 'x'))).sort(), ['f', 'y']);
      await fs.fsyncDir(join(root, 'x'));
    });

    test('writeFile replaces contents; readFileIfExists is null for a missing file', async () => {
      const { fs, root } = make();
      assert.equal(await fs.readFileIfExists(join(root, 'none')), null);
      await fs.writeFile(join(root, 'c'), Buffer.from('long first value'));
      await fs.writeFile(join(root, 'c'), Buffer.from('short'));
      assert.equal((await fs.readFileIfExists(join(root, 'c')))!.toString(), 'short');
    });

    test('rename replaces the target; unlink removes; an open descriptor still reads an unlinked file', async () => {
      const { fs, root } = make();
      await fs.writeFile(join(root, 'new.tmp'), Buffer.from('new'));
      await fs.writeFile(join(root, 'cur'), Buffer.from('old'));
      const fd = await fs.openReadWrite(join(root, 'cur'));
      await fs.rename(join(root, 'new.tmp'), join(root, 'cur'));
      assert.equal((await fs.readFileIfExists(join(root, 'cur')))!.toString(), 'new');
      assert.equal(await readString(fs, fd, 0, 10), 'old', 'the descriptor keeps the replaced file');
      await fs.unlink(join(root, 'cur'));
      assert.equal(await fs.readFileIfExists(join(root, 'cur')), null);
      assert.equal(await readString(fs, fd, 0, 10), 'old');
      await fs.close(fd);
      await assert.rejects(fs.unlink(join(root, 'cur')), (err: Error & { code?: string }) => err.code === 'ENOENT');
      await assert.rejects(fs.rename(join(root, 'gone'), join(root, 'x')), (err: Error & { code?: string }) => err.code === 'ENOENT');
    });

    test('rmrf removes a directory tree, and is quiet when it is missing', async () => {
      const { fs, root } = make();
      await fs.mkdirp(join(root, 'p/q'));
      await fs.writeFile(join(root, 'p/q/f'), Buffer.from('1'));
      await fs.rmrf(join(root, 'p'));
      assert.deepEqual(await fs.readdir(root), []);
      await fs.rmrf(join(root, 'p'));
    });

    test('a closed descriptor fails with EBADF', async () => {
      const { fs, root } = make();
      const fd = await fs.openReadWrite(join(root, 'b'));
      await fs.close(fd);
      await assert.rejects(fs.size(fd), (err: Error & { code?: string }) => err.code === 'EBADF');
    });
  });
}

describe('FaultInjectingFs faults', () => {
  async function fileWith(fs: FaultInjectingFs, synced: string, unsynced: string[]): Promise<string> {
    await fs.mkdirp('/d');
    const fd = await fs.openReadWrite('/d/f');
    await fs.writev(fd, [Buffer.from(synced)], 0);
    await fs.fdatasync(fd);
    await fs.fsyncDir('/d');
    let at = synced.length;
    for (const part of unsynced) {
      await fs.writev(fd, [Buffer.from(part)], at);
      at += part.length;
    }
    return '/d/f';
  }

  test('drop-unsynced keeps only what was fsynced, and forgets descriptors', async () => {
    const fs = new FaultInjectingFs();
    const path = await fileWith(fs, 'durable', ['-lost']);
    fs.crash('drop-unsynced');
    assert.equal(fs.contents(path)!.toString(), 'durable');
    await assert.rejects(fs.size(3), (err: Error & { code?: string }) => err.code === 'EBADF');
  });

  test('tear-last-write keeps earlier unsynced writes and a prefix of the last one, at a seed-chosen byte', async () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) {
      const fs = new FaultInjectingFs(seed);
      const path = await fileWith(fs, 'A', ['BB', 'CCCCCCCC']);
      fs.crash('tear-last-write');
      const text = fs.contents(path)!.toString();
      assert.match(text, /^ABBC{0,7}$/);
      seen.add(text);
    }
    assert.ok(seen.size > 3, `tears land on several bytes: ${[...seen].join(', ')}`);
  });

  test('a file created without a directory fsync is gone after a power loss', async () => {
    const fs = new FaultInjectingFs();
    await fs.mkdirp('/d');
    const fd = await fs.openReadWrite('/d/new');
    await fs.writev(fd, [Buffer.from('x')], 0);
    await fs.fdatasync(fd);
    fs.crash('drop-unsynced');
    assert.equal(await fs.readFileIfExists('/d/new'), null);
  });

  test('a rename without a directory fsync is undone by a power loss', async () => {
    const fs = new FaultInjectingFs();
    await fs.mkdirp('/d');
    await fs.writeFile('/d/cur', Buffer.from('old'));
    const fd = await fs.openReadWrite('/d/cur');
    await fs.fdatasync(fd);
    await fs.fsyncDir('/d');
    await fs.writeFile('/d/tmp', Buffer.from('new'));
    await fs.rename('/d/tmp', '/d/cur');
    fs.crash('drop-unsynced');
    assert.equal((await fs.readFileIfExists('/d/cur'))!.toString(), 'old');
  });

  test('failSync fails fdatasync and directory fsync with EIO', async () => {
    const fs = new FaultInjectingFs();
    const path = await fileWith(fs, 'a', []);
    const fd = await fs.openReadWrite(path);
    fs.failSync = true;
    await assert.rejects(fs.fdatasync(fd), (err: Error & { code?: string }) => err.code === 'EIO');
    await assert.rejects(fs.fsyncDir('/d'), (err: Error & { code?: string }) => err.code === 'EIO');
  });

  test('a full disk writes what fits, then fails with ENOSPC', async () => {
    const fs = new FaultInjectingFs();
    await fs.mkdirp('/d');
    fs.capacityBytes = 10;
    const fd = await fs.openReadWrite('/d/f');
    await fs.writev(fd, [Buffer.from('12345678')], 0);
    await assert.rejects(fs.writev(fd, [Buffer.from('abcdef')], 8), (err: Error & { code?: string }) => err.code === 'ENOSPC');
    assert.equal(fs.contents('/d/f')!.toString(), '12345678ab');
    await fs.writev(fd, [Buffer.from('XY')], 0);
    assert.equal(fs.contents('/d/f')!.toString(), 'XY345678ab', 'overwriting needs no new space');
  });
});
