// Builds fast-check arbitraries for any generated message at any version, from the same spec model
// the generator uses: fields absent from the version keep their defaults, so decode(encode(m)) must equal m.
import fc from 'fast-check';
import { type FieldModel, isNullableEver, type MessageModel, type StructModel } from '../../../../tools/codegen/model.ts';
import { isEmpty } from '../../../../tools/codegen/spec.ts';
import * as messages from '../messages/index.ts';
import type { UnknownTaggedField } from '../tagged-fields.ts';

type Value = unknown;

function inRange(v: number, r: { min: number; max: number }): boolean {
  return v >= r.min && v <= r.max;
}

function primitive(f: FieldModel, compactFlex: boolean): fc.Arbitrary<Value> {
  switch (f.primitive) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'uint32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double({ noNaN: true });
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url'));
    case 'string':
      return fc.string({ unit: compactFlex ? 'grapheme' : 'binary-ascii', maxLength: 12 });
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b));
    default:
      throw new Error(`no arbitrary for ${f.primitive}`);
  }
}

export function messageArbitrary(msg: MessageModel, version: number, depth = 0): fc.Arbitrary<Record<string, Value>> {
  return structArbitrary(msg.root, msg, version, depth);
}

function structArbitrary(s: StructModel, msg: MessageModel, version: number, depth: number): fc.Arbitrary<Record<string, Value>> {
  const flexible = inRange(version, msg.flexible);
  const model: Record<string, fc.Arbitrary<Value>> = {};
  for (const f of s.fields) {
    if (!inRange(version, f.versions)) continue;
    if (!isEmpty(f.tagged) && !inRange(version, f.tagged)) continue; // tagged in other versions only: absent here
    let value: fc.Arbitrary<Value>;
    if (f.kind === 'struct') value = structArbitrary(f.struct!, msg, version, depth + 1);
    else if (f.kind === 'array') {
      const element = f.struct ? structArbitrary(f.struct, msg, version, depth + 1) : primitive(f, flexible);
      value = fc.array(element, { maxLength: depth > 2 ? 1 : 3 });
    } else value = primitive(f, flexible);
    const nullable = (isNullableEver(f) && inRange(version, f.nullable)) || f.primitive === 'records';
    model[f.prop] = nullable ? fc.option(value, { nil: null }) : value;
  }
  if (flexible) model.unknownTaggedFields = unknownTags(s);
  const create = (messages as unknown as Record<string, (init: object) => Record<string, Value>>)[`create${s.tsName}`];
  return fc.record(model).map((fields) => create(fields));
}

/** Unknown tags above every known tag, ascending as they come back from the decoder. */
function unknownTags(s: StructModel): fc.Arbitrary<UnknownTaggedField[]> {
  const first = Math.max(-1, ...s.fields.map((f) => f.tag)) + 1;
  return fc
    .uniqueArray(fc.integer({ min: first, max: first + 50 }), { maxLength: 2 })
    .chain((tags) =>
      fc.tuple(...tags.sort((a, b) => a - b).map((tag) => fc.uint8Array({ maxLength: 6 }).map((d) => ({ tag, data: Buffer.from(d) })))),
    );
}
