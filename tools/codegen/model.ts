import { type FieldSpec, type MessageSpec, type VersionRange, intersect, isEmpty, NO_VERSIONS, parseRange } from './spec.ts';

/** Primitive wire types of the specs. */
export type Primitive =
  | 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64'
  | 'string' | 'uuid' | 'bytes' | 'records';

const PRIMITIVES = new Set<string>(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'uuid', 'bytes', 'records']);

export interface FieldModel {
  specName: string;
  prop: string;
  /** 'array' of `element`, a nested 'struct', or a 'primitive'. */
  kind: 'primitive' | 'struct' | 'array';
  primitive: Primitive | null;
  struct: StructModel | null;
  versions: VersionRange;
  nullable: VersionRange;
  tagged: VersionRange;
  tag: number;
  /** Per-field override of when strings/bytes use compact encoding (the header's client id never does). */
  flexibleOverride: VersionRange | null;
  defaultText: string | undefined;
}

export interface StructModel {
  tsName: string;
  fields: FieldModel[];
}

export interface MessageModel {
  spec: MessageSpec;
  valid: VersionRange;
  flexible: VersionRange;
  root: StructModel;
  /** Every struct of the message, nested ones first, in a stable order. */
  structs: StructModel[];
}

export function camel(name: string): string {
  return name[0].toLowerCase() + name.slice(1);
}

export function buildMessage(spec: MessageSpec): MessageModel {
  const valid = parseRange(spec.validVersions);
  const flexible = intersect(parseRange(spec.flexibleVersions), valid);
  const structs: StructModel[] = [];
  const byName = new Map<string, StructModel>();
  const common = new Map((spec.commonStructs ?? []).map((s) => [s.name, s]));

  const structFor = (typeName: string, fields: FieldSpec[] | undefined): StructModel => {
    const existing = byName.get(typeName);
    if (existing) return existing;
    const source = fields ?? common.get(typeName)?.fields;
    if (!source) throw new Error(`${spec.name}: unknown struct type ${typeName}`);
    const model: StructModel = { tsName: spec.name + typeName, fields: [] };
    byName.set(typeName, model);
    model.fields = source.map(fieldModel);
    structs.push(model);
    return model;
  };

  const fieldModel = (f: FieldSpec): FieldModel => {
    const isArray = f.type.startsWith('[]');
    const base = isArray ? f.type.slice(2) : f.type;
    const primitive = PRIMITIVES.has(base) ? (base as Primitive) : null;
    const versions = intersect(parseRange(f.versions), valid);
    return {
      specName: f.name,
      prop: camel(f.name),
      kind: isArray ? 'array' : primitive ? 'primitive' : 'struct',
      primitive,
      struct: primitive ? null : structFor(base, f.fields),
      versions,
      nullable: intersect(parseRange(f.nullableVersions), versions),
      tagged: f.taggedVersions === undefined ? NO_VERSIONS : intersect(parseRange(f.taggedVersions), versions),
      tag: f.tag ?? -1,
      flexibleOverride: f.flexibleVersions === undefined ? null : parseRange(f.flexibleVersions),
      defaultText: f.default,
    };
  };

  const root: StructModel = { tsName: spec.name, fields: [] };
  root.fields = spec.fields.map(fieldModel);
  structs.push(root);
  return { spec, valid, flexible, root, structs };
}

export function isNullableEver(f: FieldModel): boolean {
  return !isEmpty(f.nullable);
}
