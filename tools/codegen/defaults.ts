import { type FieldModel, isNullableEver } from './model.ts';

/** The TypeScript type of a field across all its versions. */
export function tsType(f: FieldModel): string {
  const nullable = isNullableEver(f) || f.primitive === 'records';
  let base: string;
  if (f.kind === 'struct') base = f.struct!.tsName;
  else if (f.kind === 'array') base = `${f.struct ? f.struct.tsName : primitiveType(f.primitive!)}[]`;
  else base = primitiveType(f.primitive!);
  return nullable ? `${base} | null` : base;
}

function primitiveType(p: string): string {
  switch (p) {
    case 'bool':
      return 'boolean';
    case 'int64':
      return 'bigint';
    case 'string':
    case 'uuid':
      return 'string';
    case 'bytes':
    case 'records':
      return 'Buffer';
    default:
      return 'number';
  }
}

/** The default value of a field as a TypeScript expression (the spec's `default`, else Kafka's). */
export function defaultValue(f: FieldModel): string {
  const text = f.defaultText;
  const canBeNull = isNullableEver(f) || f.primitive === 'records';
  if (text === 'null') {
    if (!canBeNull) throw new Error(`field ${f.specName} defaults to null but is never nullable`);
    return 'null';
  }
  if (f.kind === 'array') return '[]';
  if (f.kind === 'struct') return `create${f.struct!.tsName}()`;
  switch (f.primitive) {
    case 'bool':
      return text === 'true' ? 'true' : 'false';
    case 'int64':
      return `${BigInt(text ?? '0')}n`;
    case 'string':
      return JSON.stringify(text ?? '');
    case 'uuid':
      return 'ZERO_UUID';
    case 'bytes':
      return 'EMPTY';
    case 'records':
      return canBeNull ? 'null' : 'EMPTY';
    default:
      return String(Number(text ?? '0'));
  }
}

/** A condition that is true when the field holds its default (tagged fields are written only otherwise). */
export function isDefaultCondition(f: FieldModel, value: string): string {
  const def = defaultValue(f);
  if (def === 'null') return `${value} === null`;
  if (f.kind === 'array') return `${value}${isNullableEver(f) ? '?' : ''}.length === 0`;
  if (f.kind === 'struct') return `isDeepEqual(${value}, ${def})`;
  if (f.primitive === 'bytes' || f.primitive === 'records') return `${value}${isNullableEver(f) ? '?' : ''}.length === 0`;
  return `${value} === ${def}`;
}
