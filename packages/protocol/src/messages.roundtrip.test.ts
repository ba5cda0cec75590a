// Property test over every API key, every version, both directions: encode, decode, compare, re-encode.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildMessage, type MessageModel } from '../../../tools/codegen/model.ts';
import { loadSpecs } from '../../../tools/codegen/spec.ts';
import * as messages from './messages/index.ts';
import { API_TABLE } from './messages/index.ts';
import { Reader } from './reader.ts';
import { messageArbitrary } from './test-support/arbitrary-message.ts';
import { Writer } from './writer.ts';

const specsDir = new URL('../../../../shared/kafka-protocol/messages', import.meta.url).pathname;

test('the Kafka message specs are present', () => {
  assert.ok(existsSync(specsDir), `the round-trip tests need the specs at ${specsDir}`);
});

const allModels = existsSync(specsDir) ? loadSpecs(specsDir).map(buildMessage) : [];
const models = allModels.filter((m) => m.spec.apiKey !== undefined);

function roundTrip(
  model: MessageModel,
  version: number,
  create: (init: object) => object,
  encode: (w: Writer, m: object, v: number) => void,
  decode: (r: Reader, v: number) => object,
): void {
  fc.assert(
    fc.property(messageArbitrary(model, version), (fields) => {
      const message = create(fields);
      const w = new Writer(16);
      encode(w, message, version);
      const bytes = Buffer.from(w.finish());
      const r = new Reader(bytes);
      const decoded = decode(r, version);
      r.complete(model.spec.name);
      assert.equal(r.remaining(), 0, 'decoder left bytes unread');
      assert.deepStrictEqual(decoded, message);
      const again = new Writer(16);
      encode(again, decoded, version);
      assert.ok(again.finish().equals(bytes), 're-encoding changed the bytes');
    }),
    { numRuns: 15, seed: 42 },
  );
}

for (const model of models) {
  const api = API_TABLE[model.spec.apiKey!];
  const isRequest = model.spec.type === 'request';
  test(`${model.spec.name} round-trips at every version`, () => {
    assert.ok(api, `API key ${model.spec.apiKey} missing from the table`);
    for (let v = model.valid.min; v <= model.valid.max; v++) {
      if (isRequest) roundTrip(model, v, (i) => api.createRequest(i), api.encodeRequest, api.decodeRequest);
      else roundTrip(model, v, (i) => api.createResponse(i), api.encodeResponse, api.decodeResponse);
    }
  });
}

/** Headers and data messages (consumer protocol, control records...) have no API key but the same codec. */
for (const model of allModels.filter((m) => m.spec.apiKey === undefined)) {
  const name = model.spec.name;
  const fns = messages as unknown as Record<string, (...args: never[]) => object>;
  test(`${name} round-trips at every version`, () => {
    for (let v = model.valid.min; v <= model.valid.max; v++) {
      roundTrip(model, v, fns[`create${name}`] as (i: object) => object, fns[`encode${name}`] as never, fns[`decode${name}`] as never);
    }
  });
}
