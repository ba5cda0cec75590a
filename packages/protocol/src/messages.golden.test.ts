// Golden bytes: request and response bodies from ../shared/kafka-fixtures (responses encoded by real
// Kafka brokers, requests by KafkaJS). Each must decode completely and re-encode to identical bytes.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { API_TABLE, ApiKey } from './messages/index.ts';
import { Reader } from './reader.ts';
import { Writer } from './writer.ts';

const fixturesDir = new URL('../../../../shared/kafka-fixtures/kafkajs/requests', import.meta.url).pathname;

/** Bodies that are deliberately not valid at their version: what the decoder must say about them. */
const MALFORMED = new Set([
  // A broker bug KafkaJS works around: an ApiVersions v1 response without its throttle time.
  'apiVersions/v1_response_missing_throttle_time.json',
]);

function loadFixture(path: string): Buffer {
  const json = JSON.parse(readFileSync(path, 'utf8')) as { type: string; data: number[] };
  assert.equal(json.type, 'Buffer');
  return Buffer.from(json.data);
}

test('the kafka-fixtures folder is present', () => {
  assert.ok(existsSync(fixturesDir), `golden tests need ../shared/kafka-fixtures beside the repository (looked in ${fixturesDir})`);
});

const apiDirs = existsSync(fixturesDir) ? readdirSync(fixturesDir).sort() : [];

for (const dir of apiDirs) {
  const name = dir[0].toUpperCase() + dir.slice(1);
  const files = readdirSync(join(fixturesDir, dir, 'fixtures')).filter((f) => /^v\d+_(request|response)/.test(f));
  test(`${name}: golden bodies decode and re-encode byte for byte`, () => {
    const key = (ApiKey as Record<string, number>)[name];
    const api = API_TABLE[key];
    assert.ok(api, `no API named ${name}`);
    assert.ok(files.length > 0);
    for (const file of files) {
      const [, v, kind] = /^v(\d+)_(request|response)/.exec(file)!;
      const version = Number(v);
      let bytes = loadFixture(join(fixturesDir, dir, 'fixtures', file));
      if (api.flexibleFrom >= 0 && version >= api.flexibleFrom && !(key === ApiKey.ApiVersions && kind === 'response')) {
        // KafkaJS captured flexible bodies together with the header's tagged-field section: one empty section.
        assert.equal(bytes[0], 0, `${file}: expected the header's empty tagged-field section first`);
        bytes = bytes.subarray(1);
      }
      const r = new Reader(bytes);
      const decode = kind === 'request' ? api.decodeRequest : api.decodeResponse;
      const message = decode(r, version);
      if (MALFORMED.has(`${dir}/${file}`)) {
        assert.throws(() => r.complete(file), /malformed/, `${file} should not decode at v${version}`);
        continue;
      }
      r.complete(`${dir}/${file}`);
      assert.equal(r.remaining(), 0, `${file}: ${r.remaining()} bytes left after decoding`);
      const w = new Writer();
      (kind === 'request' ? api.encodeRequest : api.encodeResponse)(w, message, version);
      assert.deepEqual(w.finish().toString('hex'), bytes.toString('hex'), `${file} re-encoded differently`);
    }
  });
}
