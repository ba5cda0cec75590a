/** Kafka's rules for topic names: 1-249 characters of [a-zA-Z0-9._-], not "." or "..". */
export function topicNameError(name: string | null): string | null {
  if (name === null || name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name "${name}" is not allowed`;
  if (name.length > 249) return `topic name is ${name.length} characters long; the limit is 249`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `topic name "${name}" may contain only ASCII letters, digits, ".", "_" and "-"`;
  return null;
}

/** Names that differ only by "." versus "_" collide in metric names, so Kafka refuses the second one. */
export function collisionKey(name: string): string {
  return name.replaceAll('.', '_');
}
