/** One login module entry of a JAAS configuration, as Kafka's sasl.jaas.config settings hold it. */
export interface JaasEntry {
  loginModule: string;
  flag: string;
  options: Map<string, string>;
}

/**
 * Parses `com.example.LoginModule required key="value" other=value;`. Kafka reads exactly one
 * entry per sasl.jaas.config, so more than one is refused.
 */
export function parseJaasConfig(text: string): JaasEntry {
  const tokens = tokenize(text);
  const [loginModule, flag] = tokens;
  if (!loginModule || !flag || !['required', 'requisite', 'sufficient', 'optional'].includes(flag)) {
    throw new Error('sasl.jaas.config must be "<LoginModule class> required <key>=<value> ...;"');
  }
  const options = new Map<string, string>();
  let i = 2;
  for (; i < tokens.length && tokens[i] !== ';'; i += 3) {
    if (tokens[i + 1] !== '=' || tokens[i + 2] === undefined || tokens[i + 2] === ';') throw new Error(`sasl.jaas.config: option "${tokens[i]}" has no value`);
    const raw = tokens[i + 2];
    options.set(tokens[i], raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw);
  }
  if (tokens[i] !== ';') throw new Error('sasl.jaas.config must end with ";"');
  if (i + 1 !== tokens.length) throw new Error('sasl.jaas.config holds more than one login module; Kafka reads one');
  return { loginModule, flag, options };
}

/** Words, quoted strings, "=" and ";"; anything else (an unclosed quote) is an error. */
function tokenize(text: string): string[] {
  const token = /\s*("(?:[^"\\]|\\.)*"|[^\s=;"]+|=|;)\s*/y;
  const tokens: string[] = [];
  while (token.lastIndex < text.length) {
    const at = token.lastIndex;
    const match = token.exec(text);
    if (!match) throw new Error(`sasl.jaas.config could not be read at "${text.slice(at, at + 40)}"`);
    tokens.push(match[1]);
  }
  return tokens;
}
