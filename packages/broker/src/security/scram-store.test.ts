import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeScramCredential } from '@millrace/security';
import { type Fs, NodeFs } from '@millrace/storage';
import { ScramCredentialStore } from './scram-store.ts';

/** A NodeFs that counts the files it writes. */
function countingFs(): { fs: Fs; writes: () => number } {
  const fs = new NodeFs();
  let writes = 0;
  const writeFile = fs.writeFile.bind(fs);
  fs.writeFile = (path, data) => {
    writes++;
    return writeFile(path, data);
  };
  return { fs, writes: () => writes };
}

test('any user name survives a restart, "__proto__" too; applying nothing writes nothing (--add-scram at every start)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'scram-store-'));
  try {
    const { fs, writes } = countingFs();
    const store = await ScramCredentialStore.open(fs, dataDir);
    const credential = makeScramCredential('SCRAM-SHA-256', 'secret');
    await store.apply(['__proto__', 'constructor', 'alice'].map((user) => ({ user, mechanism: 'SCRAM-SHA-256' as const, credential })));
    assert.equal(writes(), 1);
    await store.apply([]);
    assert.equal(writes(), 1, 'nothing to apply, nothing written');
    const reopened = await ScramCredentialStore.open(fs, dataDir);
    assert.deepEqual(reopened.list().map((u) => u.user), ['__proto__', 'alice', 'constructor']);
    assert.deepEqual(reopened.get('__proto__', 'SCRAM-SHA-256'), credential);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
