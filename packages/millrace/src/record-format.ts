/**
 * The format strings of `millrace produce` and `consume`, in kcat's spirit: %t topic, %p partition,
 * %o offset, %k key, %v value, %T timestamp (ms), %h headers (k=v,k=v), %% a percent sign, and the
 * escapes \n, \t and \\.
 */
import type { ConsumedRecord } from '@millrace/client';

type Piece = { literal: string } | { field: string };

const FIELDS = new Set(['t', 'p', 'o', 'k', 'v', 'T', 'h']);
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', '\\': '\\' };

/** Splits a format into literal text and fields; throws on an unknown %x. */
export function parseFormat(format: string): Piece[] {
  const pieces: Piece[] = [];
  let literal = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    const next = format[i + 1];
    if (c === '\\' && next !== undefined && ESCAPES[next] !== undefined) {
      literal += ESCAPES[next];
      i++;
    } else if (c === '%') {
      if (next === '%') literal += '%';
      else if (next !== undefined && FIELDS.has(next)) {
        if (literal) pieces.push({ literal });
        literal = '';
        pieces.push({ field: next });
      } else throw new Error(`unknown field %${next ?? ''} in format "${format}" (fields: %t %p %o %k %v %T %h)`);
      i++;
    } else literal += c;
  }
  if (literal) pieces.push({ literal });
  return pieces;
}

function text(bytes: Buffer | null): string {
  return bytes === null ? '' : bytes.toString('utf8');
}

/** A record printed by a parsed format. */
export function formatRecord(pieces: Piece[], r: ConsumedRecord): string {
  let out = '';
  for (const piece of pieces) {
    if ('literal' in piece) {
      out += piece.literal;
      continue;
    }
    switch (piece.field) {
      case 't': out += r.topic; break;
      case 'p': out += String(r.partition); break;
      case 'o': out += String(r.offset); break;
      case 'k': out += text(r.key); break;
      case 'v': out += text(r.value); break;
      case 'T': out += String(r.timestamp); break;
      case 'h': out += r.headers.map((h) => `${h.key}=${text(h.value)}`).join(','); break;
    }
  }
  return out;
}

/** What an input line holds under a produce format: key, value and partition, each when the format has it. */
export interface ParsedLine {
  key?: string;
  value?: string;
  partition?: number;
}

/**
 * Parses input lines by a format made of %k, %v and %p separated by literal text (for example
 * "%k:%v" or "%p\t%k\t%v"). The last field takes the rest of the line, so a value may contain the
 * separator; a line without the separators does not match.
 */
export function lineParser(format: string): (line: string) => ParsedLine | null {
  const pieces = parseFormat(format);
  for (const p of pieces) if ('field' in p && !['k', 'v', 'p'].includes(p.field)) throw new Error(`a produce format reads %k, %v and %p only, not %${p.field}`);
  return (line) => {
    const parsed: ParsedLine = {};
    let at = 0;
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if ('literal' in piece) {
        if (!line.startsWith(piece.literal, at)) return null;
        at += piece.literal.length;
        continue;
      }
      const following = pieces[i + 1];
      let end = line.length;
      if (following && 'literal' in following) {
        end = line.indexOf(following.literal, at);
        if (end < 0) return null;
      }
      const field = line.slice(at, end);
      at = end;
      if (piece.field === 'k') parsed.key = field;
      else if (piece.field === 'v') parsed.value = field;
      else {
        const n = Number(field);
        if (field === '' || !Number.isInteger(n) || n < 0) return null;
        parsed.partition = n;
      }
    }
    return at === line.length ? parsed : null;
  };
}
