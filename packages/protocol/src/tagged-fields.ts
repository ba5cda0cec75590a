import type { Reader } from './reader.ts';
import { Writer } from './writer.ts';

/** A tagged field this code does not know, kept as raw bytes so it can be written back unchanged. */
export interface UnknownTaggedField {
  tag: number;
  data: Buffer;
}

/** Shared default for structs that carry no unknown tags: avoids an allocation per decoded struct. */
export const NO_TAGS: readonly UnknownTaggedField[] = Object.freeze([]);

/** One tagged field to write: its tag and a function that encodes its value. */
export interface TaggedFieldOut {
  tag: number;
  write: (w: Writer) => void;
}

/**
 * Writes a tagged-field section: known fields that differ from their defaults plus the unknown ones,
 * in ascending tag order as Kafka requires.
 */
export function writeTaggedFields(w: Writer, known: TaggedFieldOut[], unknown: readonly UnknownTaggedField[]): void {
  if (known.length === 0 && unknown.length === 0) {
    w.uvarint(0);
    return;
  }
  const all: { tag: number; data: Buffer }[] = [];
  for (const field of known) {
    const inner = new Writer(32);
    field.write(inner);
    all.push({ tag: field.tag, data: inner.finish() });
  }
  for (const field of unknown) all.push(field);
  all.sort((a, b) => a.tag - b.tag);
  w.uvarint(all.length);
  for (const field of all) {
    w.uvarint(field.tag);
    w.uvarint(field.data.length);
    w.raw(field.data);
  }
}

/**
 * Reads a tagged-field section, handing each known tag's sub-reader to `onKnown`; returns the
 * fields `onKnown` did not take (it returns false for those).
 */
export function readTaggedFields(r: Reader, onKnown: (tag: number, sub: Reader) => boolean): readonly UnknownTaggedField[] {
  const count = r.uvarint();
  if (count === 0) return NO_TAGS;
  if (count > r.remaining()) {
    r.fail(`${count} tagged fields with ${r.remaining()} bytes left`);
    return NO_TAGS;
  }
  let unknown: UnknownTaggedField[] | null = null;
  let lastTag = -1;
  for (let i = 0; i < count && !r.failed; i++) {
    const tag = r.uvarint();
    if (tag <= lastTag) r.fail(`tagged fields out of order: ${tag} after ${lastTag}`);
    lastTag = tag;
    const size = r.uvarint();
    const sub = r.sub(size);
    if (r.failed) break;
    if (!onKnown(tag, sub)) {
      unknown ??= [];
      unknown.push({ tag, data: sub.buf.subarray(sub.pos, sub.end) });
    } else if (sub.failed) {
      r.fail(`tagged field ${tag}: ${sub.failure}`);
    }
  }
  return unknown ?? NO_TAGS;
}
