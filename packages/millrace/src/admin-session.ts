import { readFileSync } from 'node:fs';
import { Admin, ClientError, type ClusterOptions, Connection, KafkaError, securityFromProperties } from '@millrace/client';
import { parseProperties } from '@millrace/broker';

/** A failure the CLI reports as one line and exit code 1 (usage errors exit with 2). */
export class CommandError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Hints for the Kafka errors a CLI user is most likely to meet. */
const HINTS: Record<string, string> = {
  NON_EMPTY_GROUP: 'stop the group\'s consumers first',
  GROUP_ID_NOT_FOUND: 'list groups with: millrace group list',
  UNKNOWN_TOPIC_OR_PARTITION: 'list topics with: millrace topic list',
  COORDINATOR_NOT_AVAILABLE: 'the broker is starting or stopping; try again',
  TOPIC_ALREADY_EXISTS: 'see it with: millrace topic describe',
  INVALID_PARTITIONS: 'a topic can only grow: give a larger total count',
  INVALID_CONFIG: 'see docs/configuration.md for the topic settings',
  INVALID_REPLICATION_FACTOR: 'this cluster has one broker: use --replicas 1',
  POLICY_VIOLATION: 'the broker refused the change',
};

/** The bootstrap list: --brokers, else MILLRACE_BROKERS, else the dev broker's address. */
export function brokerList(flag: string | undefined): string[] {
  const value = flag ?? process.env.MILLRACE_BROKERS ?? '127.0.0.1:9092';
  const list = value.split(',').map((b) => b.trim()).filter(Boolean);
  if (list.length === 0 || list.some((b) => !/^.+:\d+$/.test(b))) throw new CommandError(`--brokers expects host:port[,host:port...], not "${value}"`, 2);
  return list;
}

/** The flags every client command takes: where the brokers are, and Kafka client properties for TLS and SASL. */
export interface ConnectFlags {
  brokers?: string;
  'command-config'?: string;
}

export const CONNECT_OPTIONS = {
  brokers: { type: 'string' },
  'command-config': { type: 'string' },
} as const;

/**
 * A command's client settings: the brokers (--brokers, else the command config's
 * bootstrap.servers, else MILLRACE_BROKERS, else the dev broker) and, from --command-config,
 * security.protocol with its sasl.* and ssl.* properties, as kafka-topics.sh reads them.
 */
export function clientSettings(flags: ConnectFlags): Pick<ClusterOptions, 'brokers' | 'tls' | 'sasl'> {
  if (flags['command-config'] !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags['command-config'], 'utf8');
    } catch (err) {
      throw new CommandError(`--command-config: cannot read ${flags['command-config']}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
    }
    try {
      const props = parseProperties(text);
      return { brokers: brokerList(flags.brokers ?? props['bootstrap.servers']), ...securityFromProperties(props) };
    } catch (err) {
      throw new CommandError(`--command-config ${flags['command-config']}: ${(err as Error).message}`, 2);
    }
  }
  return { brokers: brokerList(flags.brokers) };
}

/** A client failure as the one line the CLI prints: Kafka's error name, what it concerns, and a hint. */
export function commandError(err: unknown): CommandError {
  if (err instanceof CommandError) return err;
  if (err instanceof AggregateError) return new CommandError(err.errors.map((e) => commandError(e).message).join('; '));
  if (err instanceof KafkaError) {
    const hint = HINTS[err.code];
    return new CommandError(`${err.message}${hint ? ` (${hint})` : ''}`);
  }
  if (err instanceof ClientError) return new CommandError(err.message, err.code === 'MILLRACE_INVALID_ARGUMENT' ? 2 : 1);
  const message = (err as Error).message ?? String(err);
  if ((err as { code?: string }).code === 'MILLRACE_CONNECT' || (err as { code?: string }).code === 'MILLRACE_TIMEOUT') {
    return new CommandError(`${message} (is a broker running? start one with: npx millrace dev)`);
  }
  return new CommandError(message);
}

/**
 * Fails at once when no bootstrap broker accepts a connection: the clients keep retrying for their
 * request timeout (right for a service riding out a broker restart), a person at a prompt should not wait.
 */
export async function checkReachable(brokers: string[]): Promise<void> {
  let last: unknown;
  for (const address of brokers) {
    const at = address.lastIndexOf(':');
    try {
      const connection = await Connection.open(address.slice(0, at), Number(address.slice(at + 1)), 'millrace-cli', 5000);
      connection.close();
      return;
    } catch (err) {
      last = err;
    }
  }
  throw commandError(last);
}

/** Runs `fn` with an admin client for the brokers; client failures become CommandErrors. */
export async function withAdmin<T>(flags: ConnectFlags, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const settings = clientSettings(flags);
  await checkReachable(settings.brokers);
  const admin = new Admin({ ...settings, clientId: 'millrace-cli', connectTimeoutMs: 5000, requestTimeoutMs: 15_000 });
  try {
    return await fn(admin);
  } catch (err) {
    throw commandError(err);
  } finally {
    await admin.close();
  }
}

/** Parses --output. */
export function outputMode(value: string | undefined): 'table' | 'json' {
  if (value !== 'table' && value !== 'json') throw new CommandError(`--output is table or json, not "${value}"`, 2);
  return value;
}

/** Prints rows as an aligned table under a header, or as JSON objects; a null cell (nothing there) prints as "-" in a table. */
export function printTable(headers: string[], rows: (string | number | null)[][], output: 'table' | 'json'): void {
  if (output === 'json') {
    const keys = headers.map((h) => h.toLowerCase().replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()));
    console.log(JSON.stringify(rows.map((r) => Object.fromEntries(r.map((v, i) => [keys[i], v]))), null, 2));
    return;
  }
  const cells = rows.map((r) => r.map((c) => (c === null ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  console.log(line(headers));
  for (const r of cells) console.log(line(r));
}

/**
 * Joins a flag and a negative number after it (`-o -5`, `--shift-by -1`) into one argument: Node's
 * argument parser takes a value starting with a dash for another option. `flags` maps each spelling
 * of such a flag to its long name.
 */
export function joinNegativeNumbers(args: string[], flags: Record<string, string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = Object.hasOwn(flags, args[i]) ? flags[args[i]] : undefined;
    if (name && /^-\d+$/.test(args[i + 1] ?? '')) out.push(`--${name}=${args[++i]}`);
    else out.push(args[i]);
  }
  return out;
}
