// Small helpers the generated codecs share.
import type { TaggedFieldOut } from './tagged-fields.ts';

/** For structs with no known tagged fields: every tag read is unknown and kept. */
export const NONE_KNOWN = (): boolean => false;

export const NO_KNOWN_TAGS: TaggedFieldOut[] = [];

/** A null where the version being encoded has no null: a caller's bug, not a wire condition. */
export function nonNull<T>(value: T | null, field: string): T {
  if (value === null) throw new RangeError(`${field} is null but not nullable in this version`);
  return value;
}

/** Structural equality of decoded message values (tagged struct fields are written only when they differ from the default). */
export function isDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => isDeepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
