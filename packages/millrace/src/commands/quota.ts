import { parseArgs } from 'node:util';
import type { ClientQuotaEntity, ClientQuotaFilterComponent } from '@millrace/client';
import { CommandError, CONNECT_OPTIONS, outputMode, printTable, withAdmin } from '../admin-session.ts';

export const QUOTA_USAGE = `Usage (the quotas kafka-configs.sh sets on users, clients and IPs):
  millrace quota set    ENTITY KEY=VALUE[,KEY=VALUE...]   set quotas on an entity
  millrace quota remove ENTITY KEY[,KEY...]               remove quotas from an entity
  millrace quota list   [ENTITY]                          the quotas set (all, or those of matching entities)

ENTITY is --user NAME or --user-default, with or without --client-id ID or --client-default;
or --ip ADDRESS or --ip-default. A default applies to every user (client id, IP) without its own.
Keys: producer_byte_rate and consumer_byte_rate (bytes per second), request_percentage (share of
the broker's time, 100 = all of one thread), controller_mutation_rate (partitions created, added or
deleted per second), on users and client ids; connection_creation_rate (connections per second), on IPs.
Examples:
  millrace quota set --user alice producer_byte_rate=1048576,consumer_byte_rate=2097152
  millrace quota set --client-default request_percentage=50
  millrace quota remove --user alice producer_byte_rate
Options: --brokers HOST:PORT[,...], --command-config FILE, --output table|json`;

const OPTIONS = {
  ...CONNECT_OPTIONS,
  user: { type: 'string' },
  'user-default': { type: 'boolean' },
  'client-id': { type: 'string' },
  'client-default': { type: 'boolean' },
  ip: { type: 'string' },
  'ip-default': { type: 'boolean' },
  output: { type: 'string', default: 'table' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** One entity part: a name, the default (null), or not given (undefined). Naming both is a mistake. */
function part(values: Values, name: 'user' | 'client-id' | 'ip'): string | null | undefined {
  const named = values[name];
  const defaultFlag = name === 'client-id' ? 'client-default' : (`${name}-default` as const);
  if (named !== undefined && values[defaultFlag]) throw new CommandError(`give --${name} or --${defaultFlag}, not both`, 2);
  return values[defaultFlag] ? null : named;
}

function entityOf(values: Values): ClientQuotaEntity {
  const entity: ClientQuotaEntity = {};
  for (const name of ['user', 'client-id', 'ip'] as const) {
    const value = part(values, name);
    if (value !== undefined) entity[name] = value;
  }
  return entity;
}

/** KEY=VALUE pairs, comma-separated, as kafka-configs.sh's --add-config takes them. */
function parseSettings(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pair of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    const value = Number(pair.slice(eq + 1));
    if (eq <= 0 || pair.slice(eq + 1).trim() === '' || !Number.isFinite(value)) throw new CommandError(`expected KEY=NUMBER, got "${pair}"`, 2);
    out[pair.slice(0, eq).trim()] = value;
  }
  return out;
}

const showEntity = (entity: ClientQuotaEntity) => Object.entries(entity).map(([type, name]) => `${type}=${name ?? '<default>'}`).join(', ');

export async function quotaCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`millrace quota: ${(err as Error).message}\n\n${QUOTA_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(QUOTA_USAGE);
    return 0;
  }
  const [action, settings, ...extra] = positionals;
  const needsSettings = action === 'set' || action === 'remove';
  if (!['set', 'remove', 'list'].includes(action ?? '') || (needsSettings ? !settings || extra.length > 0 : settings !== undefined)) {
    const why = action === undefined ? 'needs an action' : needsSettings ? `${action} needs one ${action === 'set' ? 'KEY=VALUE[,...]' : 'KEY[,...]'} list` : `unknown action "${positionals.join(' ')}"`;
    console.error(`millrace quota: ${why}\n\n${QUOTA_USAGE}`);
    return 2;
  }
  try {
    const output = outputMode(values.output);
    const entity = entityOf(values);
    if (action === 'list') {
      // The parts given are an exact filter (strict when any is given), as kafka-configs.sh --describe is.
      const components: ClientQuotaFilterComponent[] = Object.entries(entity).map(([entityType, match]) => ({ entityType: entityType as ClientQuotaFilterComponent['entityType'], match }));
      const quotas = await withAdmin(values, (admin) => admin.describeClientQuotas(components, components.length > 0));
      if (output === 'json') console.log(JSON.stringify(quotas, null, 2));
      else printTable(['Entity', 'Quotas'], quotas.map((q) => [showEntity(q.entity), Object.entries(q.values).map(([k, v]) => `${k}=${v}`).join(', ')]), 'table');
      return 0;
    }
    if (Object.keys(entity).length === 0) throw new CommandError(`quota ${action} needs an entity: --user, --client-id, --ip or their -default forms`, 2);
    if (action === 'set') {
      const set = parseSettings(settings);
      await withAdmin(values, (admin) => admin.alterClientQuotas([{ entity, set }]));
      console.log(`set ${Object.entries(set).map(([k, v]) => `${k}=${v}`).join(', ')} for ${showEntity(entity)}`);
    } else {
      const remove = settings.split(',').map((k) => k.trim()).filter((k) => k !== '');
      await withAdmin(values, (admin) => admin.alterClientQuotas([{ entity, remove }]));
      console.log(`removed ${remove.join(', ')} from ${showEntity(entity)}`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    console.error(`millrace quota ${action}: ${err.message}`);
    return err.exitCode;
  }
}
