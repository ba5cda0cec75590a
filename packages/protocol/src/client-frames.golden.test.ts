// Golden bytes from real clients: request frames captured from kcat (librdkafka), kafka-python and
// KafkaJS by tools/capture. Each must decode completely, header and body, and re-encode to the same bytes.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { API_TABLE, createRequestHeader, decodeRequestHeader, encodeRequestHeader } from './messages/index.ts';
import { requestHeaderVersion } from './framing.ts';
import { Reader } from './reader.ts';
import { Writer } from './writer.ts';

const dir = new URL('../test-fixtures/clients', import.meta.url).pathname;
const clients = readdirSync(dir).sort();

test('captured frames exist for kcat, kafka-python and KafkaJS', () => {
  assert.deepEqual(clients, ['kafka-python', 'kafkajs', 'kcat']);
});

for (const client of clients) {
  for (const file of readdirSync(join(dir, client)).sort()) {
    test(`${client} ${file}: decodes and re-encodes byte for byte`, () => {
      const frame = readFileSync(join(dir, client, file));
      const apiKey = frame.readInt16BE(0);
      const version = frame.readInt16BE(2);
      const api = API_TABLE[apiKey]!;
      assert.equal(file, `${api.name}-v${version}.bin`);
      const headerVersion = requestHeaderVersion(apiKey, version);
      const r = new Reader(frame);
      const header = decodeRequestHeader(r, headerVersion);
      const body = api.decodeRequest(r, version);
      r.complete(file);
      assert.equal(r.remaining(), 0, 'the whole frame was read');
      const w = new Writer();
      encodeRequestHeader(w, createRequestHeader(header), headerVersion);
      api.encodeRequest(w, body, version);
      assert.equal(w.finish().toString('hex'), frame.toString('hex'));
    });
  }
}
