import { type VersionRange, isEmpty } from './spec.ts';

/**
 * A TypeScript condition that is true when `version` lies in `range`, simplified against the range
 * of versions the message has (`within`): 'true', 'false', or an expression.
 */
export function versionCondition(range: VersionRange, within: VersionRange): string {
  const min = Math.max(range.min, within.min);
  const max = Math.min(range.max, within.max);
  if (isEmpty(range) || max < min) return 'false';
  const needMin = min > within.min;
  const needMax = max < within.max;
  if (min === max && (needMin || needMax)) return `version === ${min}`;
  if (needMin && needMax) return `(version >= ${min} && version <= ${max})`;
  if (needMin) return `version >= ${min}`;
  if (needMax) return `version <= ${max}`;
  return 'true';
}

/** `a && b` for conditions that may be the literals 'true' / 'false'. */
export function and(a: string, b: string): string {
  if (a === 'false' || b === 'false') return 'false';
  if (a === 'true') return b;
  if (b === 'true') return a;
  return `${a} && ${b}`;
}

/** `cond ? yes : no` for a condition that may be a literal. */
export function choose(cond: string, yes: string, no: string): string {
  if (cond === 'true') return yes;
  if (cond === 'false') return no;
  if (yes === no) return yes;
  return `(${cond} ? ${yes} : ${no})`;
}
