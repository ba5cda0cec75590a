import { parseArgs } from 'node:util';
import { type AclBinding, type AclFilter, AclOperation, nameOf, PatternType, PermissionType, ResourceType } from '@millrace/security';
import { CommandError, CONNECT_OPTIONS, outputMode, printTable, withAdmin } from '../admin-session.ts';

export const ACL_USAGE = `Usage (kafka-acls.sh's options):
  millrace acl add    --allow-principal User:alice [--deny-principal ...] --operation read [--operation ...]
                      (--topic T | --group G | --transactional-id X | --cluster) [--resource-pattern-type literal|prefixed]
                      [--host IP]
  millrace acl list   [--principal User:alice] [--topic T | --group G | --transactional-id X | --cluster]
                      [--resource-pattern-type any|match|literal|prefixed]
  millrace acl remove the same options as add: removes exactly those bindings

Operations: all, read, write, create, delete, alter, describe, cluster_action, describe_configs,
alter_configs, idempotent_write. A name "*" means every resource of its type; --host defaults to "*".
The broker needs authorizer.class.name (docs/security.md); managing ACLs needs ALTER on the cluster.
Options: --brokers HOST:PORT[,...], --command-config FILE, --output table|json`;

const OPTIONS = {
  ...CONNECT_OPTIONS,
  'allow-principal': { type: 'string', multiple: true },
  'deny-principal': { type: 'string', multiple: true },
  principal: { type: 'string' },
  operation: { type: 'string', multiple: true },
  topic: { type: 'string', multiple: true },
  group: { type: 'string', multiple: true },
  'transactional-id': { type: 'string', multiple: true },
  cluster: { type: 'boolean' },
  'resource-pattern-type': { type: 'string' },
  host: { type: 'string', default: '*' },
  output: { type: 'string', default: 'table' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function code(table: Record<string, number>, name: string, what: string): number {
  const value = table[name.toUpperCase().replace(/-/g, '_')];
  if (value === undefined) throw new CommandError(`${what} "${name}" is not one of ${Object.keys(table).map((k) => k.toLowerCase()).join(', ')}`, 2);
  return value;
}

/** The resources named on the command line: --topic, --group, --transactional-id (each may repeat) and --cluster. */
function resources(values: Values): { type: number; name: string }[] {
  return [
    ...(values.topic ?? []).map((name) => ({ type: ResourceType.TOPIC, name })),
    ...(values.group ?? []).map((name) => ({ type: ResourceType.GROUP, name })),
    ...(values['transactional-id'] ?? []).map((name) => ({ type: ResourceType.TRANSACTIONAL_ID, name })),
    ...(values.cluster ? [{ type: ResourceType.CLUSTER, name: 'kafka-cluster' }] : []),
  ];
}

/** Every binding `add` and `remove` mean: each principal, operation and resource combined. */
function bindings(values: Values): AclBinding[] {
  const principals = [
    ...(values['allow-principal'] ?? []).map((p) => ({ principal: p, permissionType: PermissionType.ALLOW })),
    ...(values['deny-principal'] ?? []).map((p) => ({ principal: p, permissionType: PermissionType.DENY })),
  ];
  if (principals.length === 0) throw new CommandError('name at least one --allow-principal or --deny-principal', 2);
  const operations = (values.operation ?? []).map((o) => code(AclOperation, o, 'operation'));
  if (operations.length === 0) throw new CommandError('name at least one --operation', 2);
  const targets = resources(values);
  if (targets.length === 0) throw new CommandError('name a resource: --topic, --group, --transactional-id or --cluster', 2);
  const patternType = code(PatternType, values['resource-pattern-type'] ?? 'literal', '--resource-pattern-type');
  if (patternType !== PatternType.LITERAL && patternType !== PatternType.PREFIXED) throw new CommandError('--resource-pattern-type is literal or prefixed here', 2);
  return principals.flatMap((p) => operations.flatMap((operation) => targets.map((r) => ({
    resourceType: r.type, resourceName: r.name, patternType, principal: p.principal, host: values.host, operation, permissionType: p.permissionType,
  }))));
}

function listFilter(values: Values): AclFilter {
  const targets = resources(values);
  if (targets.length > 1) throw new CommandError('acl list takes at most one resource', 2);
  return {
    resourceType: targets[0]?.type ?? ResourceType.ANY,
    resourceName: targets[0]?.name ?? null,
    patternType: code(PatternType, values['resource-pattern-type'] ?? (targets.length > 0 ? 'literal' : 'any'), '--resource-pattern-type'),
    principal: values.principal ?? null,
    host: null,
    operation: AclOperation.ANY,
    permissionType: PermissionType.ANY,
  };
}

const row = (b: AclBinding) => [
  b.principal, nameOf(PermissionType, b.permissionType), nameOf(AclOperation, b.operation), nameOf(ResourceType, b.resourceType), b.resourceName, nameOf(PatternType, b.patternType), b.host,
];

export async function aclCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`millrace acl: ${(err as Error).message}\n\n${ACL_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(ACL_USAGE);
    return 0;
  }
  const [action] = positionals;
  if (positionals.length !== 1 || !['add', 'list', 'remove'].includes(action)) {
    console.error(`millrace acl: ${action === undefined ? 'needs an action' : `unknown action "${positionals.join(' ')}"`}\n\n${ACL_USAGE}`);
    return 2;
  }
  try {
    const output = outputMode(values.output);
    const headers = ['Principal', 'Permission', 'Operation', 'Resource', 'Name', 'Pattern', 'Host'];
    if (action === 'list') {
      const found = await withAdmin(values, (admin) => admin.describeAcls(listFilter(values)));
      printTable(headers, found.map(row), output);
      return 0;
    }
    const wanted = bindings(values);
    if (action === 'add') {
      await withAdmin(values, (admin) => admin.createAcls(wanted));
      console.log(`added ${wanted.length} ACL binding(s)`);
      return 0;
    }
    const removed = await withAdmin(values, (admin) => admin.deleteAcls(wanted));
    console.log(`removed ${removed.length} ACL binding(s)`);
    return 0;
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    console.error(`millrace acl ${action}: ${err.message}`);
    return err.exitCode;
  }
}
