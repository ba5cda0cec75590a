import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A version range from the specs ("0+", "3-5", "7", "none"); `max` is Infinity for open ranges. */
export interface VersionRange {
  min: number;
  max: number;
}

export const NO_VERSIONS: VersionRange = { min: 0, max: -1 };

export function parseRange(text: string | undefined): VersionRange {
  if (text === undefined || text === 'none') return NO_VERSIONS;
  if (text.endsWith('+')) return { min: Number(text.slice(0, -1)), max: Infinity };
  const [low, high] = text.split('-');
  const range = { min: Number(low), max: Number(high ?? low) };
  if (!Number.isInteger(range.min) || !Number.isInteger(range.max)) throw new Error(`bad version range "${text}"`);
  return range;
}

export function intersect(a: VersionRange, b: VersionRange): VersionRange {
  return { min: Math.max(a.min, b.min), max: Math.min(a.max, b.max) };
}

export function isEmpty(r: VersionRange): boolean {
  return r.max < r.min;
}

export function contains(outer: VersionRange, inner: VersionRange): boolean {
  return isEmpty(inner) || (outer.min <= inner.min && inner.max <= outer.max);
}

export interface FieldSpec {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string;
  flexibleVersions?: string;
  fields?: FieldSpec[];
}

export interface StructSpec {
  name: string;
  versions: string;
  fields: FieldSpec[];
}

export interface MessageSpec {
  apiKey?: number;
  type: 'request' | 'response' | 'header' | 'data';
  name: string;
  validVersions: string;
  flexibleVersions: string;
  listeners?: string[];
  latestVersionUnstable?: boolean;
  fields: FieldSpec[];
  commonStructs?: StructSpec[];
}

/** The spec files are JSON with `//` line comments; strings never contain `//` at a line start. */
function stripComments(text: string): string {
  return text
    .split('\n')
    .map((line) => (line.trimStart().startsWith('//') ? '' : line))
    .join('\n');
}

export function loadSpecs(dir: string): MessageSpec[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(stripComments(readFileSync(join(dir, f), 'utf8'))) as MessageSpec);
}
