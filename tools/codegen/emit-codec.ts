import { and, choose, versionCondition } from './conditions.ts';
import { isDefaultCondition } from './defaults.ts';
import { type FieldModel, isNullableEver, type MessageModel, type Primitive, type StructModel } from './model.ts';
import { contains, isEmpty } from './spec.ts';

/** Reader/Writer method suffix per fixed-size primitive. */
const FIXED: Partial<Record<Primitive, string>> = {
  bool: 'bool', int8: 'int8', int16: 'int16', uint16: 'uint16', int32: 'int32', uint32: 'uint32',
  int64: 'int64', float64: 'float64', uuid: 'uuid',
};

/** Names of the variable-length reader/writer methods: [compact][Nullable]<kind>. */
function varMethod(kind: 'String' | 'Bytes', compact: boolean, nullable: boolean): string {
  const base = nullable ? `Nullable${kind}` : kind;
  return compact ? `compact${base}` : base[0].toLowerCase() + base.slice(1);
}

interface Ctx {
  msg: MessageModel;
  /** Condition under which compact encodings apply to this struct ('flexible', or a literal for tagged fields). */
  flexible: string;
}

function compactCondition(f: FieldModel, ctx: Ctx): string {
  return f.flexibleOverride ? versionCondition(f.flexibleOverride, f.versions) : ctx.flexible;
}

function nullableCondition(f: FieldModel): string {
  if (f.primitive === 'records') return 'true';
  // Evaluated only where the field is present, so simplified against the field's own versions.
  return versionCondition(f.nullable, f.versions);
}

/** Expression reading one primitive value. */
function readPrimitive(p: Primitive, compact: string, nullable: string, r: string): string {
  const fixed = FIXED[p];
  if (fixed) return `${r}.${fixed}()`;
  const kind = p === 'string' ? 'String' : 'Bytes';
  const variant = (n: boolean) => choose(compact, `${r}.${varMethod(kind, true, n)}()`, `${r}.${varMethod(kind, false, n)}()`);
  return choose(nullable, variant(true), variant(false));
}

/** `if (cond) yes else no` as one statement, for a condition that may be a literal. */
function chooseStatement(cond: string, yes: string, no: string): string {
  if (cond === 'true' || yes === no) return `${yes};`;
  if (cond === 'false') return `${no};`;
  return `if (${cond}) ${yes}; else ${no};`;
}

/** Statement writing one primitive value; `canBeNull` says whether its TypeScript type admits null. */
function writePrimitive(p: Primitive, compact: string, nullable: string, value: string, name: string, canBeNull: boolean): string {
  const fixed = FIXED[p];
  if (fixed) return `w.${fixed}(${value});`;
  const kind = p === 'string' ? 'String' : 'Bytes';
  const variant = (n: boolean) => {
    const v = n || !canBeNull ? value : `nonNull(${value}, '${name}')`;
    return chooseStatement(compact, `w.${varMethod(kind, true, n)}(${v})`, `w.${varMethod(kind, false, n)}(${v})`);
  };
  if (nullable === 'true') return variant(true);
  if (nullable === 'false') return variant(false);
  return `if (${nullable}) { ${variant(true)} } else { ${variant(false)} }`;
}

/** Statements decoding field `f` into `m.<prop>` from reader `r`. */
export function decodeField(f: FieldModel, ctx: Ctx, r: string): string[] {
  const target = `m.${f.prop}`;
  const compact = compactCondition(f, ctx);
  const nullable = nullableCondition(f);
  if (f.kind === 'primitive') return [`${target} = ${readPrimitive(f.primitive!, compact, nullable, r)};`];
  if (f.kind === 'struct') {
    const read = `decode${f.struct!.tsName}(${r}, version)`;
    if (nullable === 'false') return [`${target} = ${read};`];
    return [`${target} = ${choose(nullable, `${r}.int8() < 0 ? null : ${read}`, read)};`];
  }
  const element = f.struct ? `decode${f.struct.tsName}(${r}, version)` : readPrimitive(f.primitive!, compact, 'false', r);
  const length = choose(compact, `${r}.compactArrayLength()`, `${r}.arrayLength()`);
  const onNull = chooseStatement(nullable, `${target} = null`, `${r}.fail('null array ${f.specName}')`).replace(/;$/, '');
  return [
    '{',
    `  const n = ${length};`,
    `  if (n < 0) {`,
    `    ${onNull};`,
    '  } else {',
    `    const a: ${f.struct ? f.struct.tsName : elementType(f.primitive!)}[] = [];`,
    `    for (let i = 0; i < n; i++) a.push(${element});`,
    `    ${target} = a;`,
    '  }',
    '}',
  ];
}

function elementType(p: Primitive): string {
  if (p === 'int64') return 'bigint';
  if (p === 'bool') return 'boolean';
  if (p === 'string' || p === 'uuid') return 'string';
  return 'number';
}

/** Statements encoding field `f` from `m.<prop>`. */
export function encodeField(f: FieldModel, ctx: Ctx): string[] {
  const value = `m.${f.prop}`;
  const compact = compactCondition(f, ctx);
  const nullable = nullableCondition(f);
  const canBeNull = isNullableEver(f) || f.primitive === 'records';
  if (f.kind === 'primitive') return [writePrimitive(f.primitive!, compact, nullable, value, f.specName, canBeNull)];
  if (f.kind === 'struct') {
    const write = (v: string) => `encode${f.struct!.tsName}(w, ${v}, version);`;
    const nonNullValue = canBeNull ? `nonNull(${value}, '${f.specName}')` : value;
    if (nullable === 'false') return [write(nonNullValue)];
    const nullableWrite = [`if (${value} === null) w.int8(-1);`, `else { w.int8(1); ${write(value)} }`];
    if (nullable === 'true') return nullableWrite;
    return [`if (${nullable}) {`, ...nullableWrite.map((l) => `  ${l}`), `} else ${write(nonNullValue)}`];
  }
  const element = f.struct
    ? `encode${f.struct.tsName}(w, e, version);`
    : writePrimitive(f.primitive!, compact, 'false', 'e', f.specName, false);
  const length = (n: string) => chooseStatement(compact, `w.compactArrayLength(${n})`, `w.arrayLength(${n})`);
  const body = [length(`${value}.length`), `for (const e of ${value}) ${element}`];
  if (!canBeNull) return body;
  const onNull = nullable === 'false' ? `throw new RangeError('${f.specName} is null but not nullable in version ' + version);` : length('-1');
  return [`if (${value} === null) {`, `  ${onNull}`, '} else {', ...indent(body, '  '), '}'];
}

function indent(lines: string[], by: string): string[] {
  return lines.map((l) => by + l);
}

/** The decode and encode functions of one struct (the message itself is a struct too). */
export function emitCodec(s: StructModel, msg: MessageModel, exported: boolean): string[] {
  const flexCond = versionCondition(msg.flexible, msg.valid);
  const hasFlex = !isEmpty(msg.flexible);
  const ctx: Ctx = { msg, flexible: hasFlex ? 'flexible' : 'false' };
  const regular = s.fields.filter((f) => !isEmpty(f.versions));
  const tagged = regular.filter((f) => !isEmpty(f.tagged));
  const out: string[] = [];
  const ex = exported ? 'export ' : '';

  out.push(`${ex}function decode${s.tsName}(r: Reader, version: number): ${s.tsName} {`);
  if (hasFlex) out.push(`  const flexible = ${flexCond};`);
  out.push(`  const m = create${s.tsName}();`);
  for (const f of regular) {
    const present = and(versionCondition(f.versions, msg.valid), notTagged(f, msg));
    if (present === 'false') continue;
    const body = decodeField(f, ctx, 'r');
    out.push(...guard(present, body));
  }
  if (hasFlex) {
    if (tagged.length === 0) {
      out.push('  if (flexible) m.unknownTaggedFields = readTaggedFields(r, NONE_KNOWN);');
    } else {
      out.push('  if (flexible) {', '    m.unknownTaggedFields = readTaggedFields(r, (tag, sub) => {', '      switch (tag) {');
      for (const f of tagged) {
        const when = versionCondition(f.tagged, msg.valid);
        const body = decodeField(f, { msg, flexible: 'true' }, 'sub');
        out.push(`        case ${f.tag}:`);
        if (when !== 'true') out.push(`          if (!(${when})) return false;`);
        out.push(...indent(body, '          '), '          return true;');
      }
      out.push('        default:', '          return false;', '      }', '    });', '  }');
    }
  }
  out.push('  return m;', '}', '');

  out.push(`${ex}function encode${s.tsName}(w: Writer, m: ${s.tsName}, version: number): void {`);
  if (hasFlex) out.push(`  const flexible = ${flexCond};`);
  for (const f of regular) {
    const present = and(versionCondition(f.versions, msg.valid), notTagged(f, msg));
    if (present === 'false') continue;
    out.push(...guard(present, encodeField(f, ctx)));
  }
  if (hasFlex) {
    if (tagged.length === 0) {
      out.push('  if (flexible) writeTaggedFields(w, NO_KNOWN_TAGS, m.unknownTaggedFields);');
    } else {
      out.push('  if (flexible) {', '    const known: TaggedFieldOut[] = [];');
      for (const f of tagged) {
        const when = and(versionCondition(f.tagged, msg.valid), `!(${isDefaultCondition(f, `m.${f.prop}`)})`);
        const body = encodeField(f, { msg, flexible: 'true' });
        out.push(`    if (${when}) known.push({ tag: ${f.tag}, write: (w) => {`, ...indent(body, '      '), '    } });');
      }
      out.push('    writeTaggedFields(w, known, m.unknownTaggedFields);', '  }');
    }
  }
  out.push('}', '');
  return out;
}

/** A regular (non-tagged) field is on the wire in its versions minus the versions where it is tagged. */
function notTagged(f: FieldModel, msg: MessageModel): string {
  if (isEmpty(f.tagged)) return 'true';
  if (contains(f.tagged, f.versions)) return 'false';
  const cond = versionCondition(f.tagged, msg.valid);
  return cond === 'true' ? 'false' : `!(${cond})`;
}

function guard(cond: string, body: string[]): string[] {
  if (cond === 'true') return indent(body, '  ');
  if (body.length === 1 && !body[0].startsWith('if ')) return [`  if (${cond}) ${body[0]}`];
  return [`  if (${cond}) {`, ...indent(body, '    '), '  }'];
}
