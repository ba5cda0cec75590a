import { parseArgs } from 'node:util';
import type { ScramCredentialChange } from '@millrace/client';
import { CommandError, CONNECT_OPTIONS, outputMode, printTable, withAdmin } from '../admin-session.ts';

export const USER_USAGE = `Usage:
  millrace user add NAME --password PASSWORD [--mechanism SCRAM-SHA-256|SCRAM-SHA-512] [--iterations N]
                             create a SCRAM user, or give it a new password (both mechanisms unless one is named)
  millrace user list         the SCRAM users, their mechanisms and iteration counts
  millrace user remove NAME [--mechanism SCRAM-SHA-256|SCRAM-SHA-512]
                             delete a user's credentials (all its mechanisms unless one is named)

The password is salted and hashed by this command; only the result reaches the broker.
Options: --brokers HOST:PORT[,...], --command-config FILE (Kafka client properties: security.protocol,
sasl.mechanism, sasl.jaas.config, ssl.truststore.location, ...), --output table|json`;

const OPTIONS = {
  ...CONNECT_OPTIONS,
  password: { type: 'string' },
  mechanism: { type: 'string' },
  iterations: { type: 'string' },
  output: { type: 'string', default: 'table' },
  help: { type: 'boolean', short: 'h' },
} as const;

const MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

function mechanisms(value: string | undefined): (typeof MECHANISMS)[number][] {
  if (value === undefined) return [...MECHANISMS];
  const m = value.toUpperCase();
  if (!(MECHANISMS as readonly string[]).includes(m)) throw new CommandError(`--mechanism is SCRAM-SHA-256 or SCRAM-SHA-512, not "${value}"`, 2);
  return [m as (typeof MECHANISMS)[number]];
}

export async function userCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`millrace user: ${(err as Error).message}\n\n${USER_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USER_USAGE);
    return 0;
  }
  const [action, name, ...extra] = positionals;
  const needsName = action === 'add' || action === 'remove';
  if (!['add', 'list', 'remove'].includes(action ?? '') || (needsName ? !name || extra.length > 0 : name !== undefined)) {
    console.error(`millrace user: ${action === undefined ? 'needs an action' : needsName ? `${action} needs one NAME` : `unknown action "${positionals.join(' ')}"`}\n\n${USER_USAGE}`);
    return 2;
  }
  try {
    const output = outputMode(values.output);
    if (action === 'list') {
      const users = await withAdmin(values, (admin) => admin.describeScramUsers());
      if (output === 'json') console.log(JSON.stringify(users, null, 2));
      else printTable(['User', 'Mechanisms'], users.map((u) => [u.user, u.credentials.map((c) => `${c.mechanism} (${c.iterations} iterations)`).join(', ')]), 'table');
      return 0;
    }
    let changes: ScramCredentialChange[];
    if (action === 'add') {
      if (!values.password) throw new CommandError('user add needs --password', 2);
      const iterations = values.iterations === undefined ? undefined : Number(values.iterations);
      if (iterations !== undefined && (!Number.isInteger(iterations) || iterations < 4096 || iterations > 16384)) throw new CommandError('--iterations must be 4096-16384', 2);
      changes = mechanisms(values.mechanism).map((mechanism) => ({ user: name, mechanism, password: values.password!, iterations }));
    } else {
      // Without --mechanism, every mechanism the user has.
      changes = await withAdmin(values, async (admin) => {
        const [described] = await admin.describeScramUsers([name]);
        const have = described.credentials.map((c) => c.mechanism);
        return (values.mechanism === undefined ? have : mechanisms(values.mechanism)).map((mechanism) => ({ user: name, mechanism, delete: true as const }));
      });
    }
    await withAdmin(values, (admin) => admin.alterScramUsers(changes));
    console.log(`${action === 'add' ? 'set' : 'removed'} ${changes.map((c) => c.mechanism).join(' and ')} credentials of ${name}`);
    return 0;
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    console.error(`millrace user ${action}: ${err.message}`);
    return err.exitCode;
  }
}
