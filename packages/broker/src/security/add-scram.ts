import { isScramMechanism, makeScramCredential, MAX_SCRAM_ITERATIONS, MIN_SCRAM_ITERATIONS, type ScramMechanism } from '@millrace/security';
import { ConfigError } from '../config/broker-config.ts';
import type { ScramCredentialStore } from './scram-store.ts';

export interface ScramUserSpec {
  mechanism: ScramMechanism;
  user: string;
  password: string;
  iterations: number;
}

/** Reads kafka-storage's --add-scram form: `SCRAM-SHA-256=[name=alice,password=alice-secret,iterations=8192]` (values may be "quoted"). */
export function parseAddScram(text: string): ScramUserSpec {
  const match = /^([A-Z0-9-]+)=\[(.*)\]$/s.exec(text.trim());
  if (!match) throw new ConfigError(`--add-scram "${text}" is not of the form SCRAM-SHA-256=[name=alice,password=secret]`);
  const mechanism = match[1];
  if (!isScramMechanism(mechanism)) throw new ConfigError(`--add-scram: ${mechanism} is not SCRAM-SHA-256 or SCRAM-SHA-512`);
  const fields = new Map<string, string>();
  const field = /([a-z]+)=("(?:[^"\\]|\\.)*"|[^,"]*)(,|$)/y;
  // Every character must belong to a field: anything the pattern cannot read is an error, not skipped.
  while (field.lastIndex < match[2].length) {
    const at = field.lastIndex;
    const part = field.exec(match[2]);
    if (!part || (part[3] === ',' && field.lastIndex === match[2].length)) throw new ConfigError(`--add-scram: cannot read "${match[2].slice(at, at + 40)}" (fields are name=value, separated by commas)`);
    fields.set(part[1], part[2].startsWith('"') ? part[2].slice(1, -1).replace(/\\(.)/g, '$1') : part[2]);
  }
  const unknown = [...fields.keys()].find((k) => !['name', 'password', 'iterations'].includes(k));
  if (unknown) throw new ConfigError(`--add-scram: "${unknown}" is not one of name, password, iterations`);
  const user = fields.get('name');
  const password = fields.get('password');
  if (!user || !password) throw new ConfigError('--add-scram needs name= and password=');
  const iterations = Number(fields.get('iterations') ?? MIN_SCRAM_ITERATIONS);
  if (!Number.isInteger(iterations) || iterations < MIN_SCRAM_ITERATIONS || iterations > MAX_SCRAM_ITERATIONS) {
    throw new ConfigError(`--add-scram: iterations must be ${MIN_SCRAM_ITERATIONS}-${MAX_SCRAM_ITERATIONS}`);
  }
  return { mechanism, user, password, iterations };
}

/**
 * Creates the users an operator names at start-up. A user that already has a credential for the
 * mechanism keeps it: a password changed since must not be reset by a restart with the same flags.
 */
export async function addScramUsers(store: ScramCredentialStore, users: ScramUserSpec[]): Promise<string[]> {
  const added = users.filter((u) => !store.get(u.user, u.mechanism));
  await store.apply(added.map((u) => ({ user: u.user, mechanism: u.mechanism, credential: makeScramCredential(u.mechanism, u.password, u.iterations) })));
  return added.map((u) => `${u.user} (${u.mechanism})`);
}
