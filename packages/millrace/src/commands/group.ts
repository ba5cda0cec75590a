import { parseArgs } from 'node:util';
import type { Connection } from '@millrace/client';
import {
  ApiKey, createDeleteGroupsRequest, createDescribeGroupsRequest, createListGroupsRequest, createListOffsetsRequest,
  createListOffsetsRequestListOffsetsPartition, createListOffsetsRequestListOffsetsTopic, createMetadataRequest,
  createMetadataRequestMetadataRequestTopic, createOffsetCommitRequest, createOffsetCommitRequestOffsetCommitRequestPartition,
  createOffsetCommitRequestOffsetCommitRequestTopic, createOffsetFetchRequest, decodeConsumerProtocolAssignment,
  type DeleteGroupsResponse, type DescribeGroupsResponse, type DescribeGroupsResponseDescribedGroup, type ListGroupsResponse,
  type ListOffsetsResponse, type MetadataResponse, type OffsetCommitResponse, type OffsetFetchResponse, Reader,
} from '@millrace/protocol';
import { CommandError, kafkaError, printTable, withConnection } from '../admin-session.ts';

export const GROUP_USAGE = `Usage:
  millrace group list                       groups with their state
  millrace group describe GROUP             members, and per partition: committed offset, log end offset, lag
  millrace group reset-offsets GROUP --topic TOPIC (--to-earliest | --to-latest | --to-datetime ISO |
                                       --to-offset N | --shift-by N) [--dry-run]
                                            move committed offsets (only while the group has no members)
  millrace group delete GROUP               delete a group with no members, and its offsets

Options: --brokers HOST:PORT (default: $MILLRACE_BROKERS or 127.0.0.1:9092), --output table|json`;

const OPTIONS = {
  brokers: { type: 'string' },
  output: { type: 'string', default: 'table' },
  topic: { type: 'string' },
  'to-earliest': { type: 'boolean' },
  'to-latest': { type: 'boolean' },
  'to-datetime': { type: 'string' },
  'to-offset': { type: 'string' },
  'shift-by': { type: 'string' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

async function describeGroup(c: Connection, group: string): Promise<DescribeGroupsResponseDescribedGroup> {
  const response = await c.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, 5, createDescribeGroupsRequest({ groups: [group] }));
  const described = response.groups[0];
  if (described.errorCode !== 0) throw kafkaError(`describe ${group}`, described.errorCode);
  return described;
}

/** Which member owns which partition, from the consumer-protocol assignments of a Stable group. */
function owners(group: DescribeGroupsResponseDescribedGroup): Map<string, { consumerId: string; host: string; clientId: string }> {
  const map = new Map<string, { consumerId: string; host: string; clientId: string }>();
  if (group.protocolType !== 'consumer') return map;
  for (const m of group.members) {
    if (m.memberAssignment.length < 2) continue;
    const r = new Reader(m.memberAssignment);
    const version = r.int16();
    const assignment = decodeConsumerProtocolAssignment(r, Math.min(Math.max(version, 0), 3));
    if (r.failed) continue;
    for (const tp of assignment.assignedPartitions) {
      for (const p of tp.partitions) map.set(`${tp.topic}\u0000${p}`, { consumerId: m.memberId, host: m.clientHost, clientId: m.clientId });
    }
  }
  return map;
}

async function offsetsAt(c: Connection, partitions: { topic: string; partition: number }[], timestamp: bigint): Promise<Map<string, bigint>> {
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  const response = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, createListOffsetsRequest({
    replicaId: -1,
    topics: [...byTopic].map(([name, ps]) => createListOffsetsRequestListOffsetsTopic({ name, partitions: ps.map((partitionIndex) => createListOffsetsRequestListOffsetsPartition({ partitionIndex, timestamp })) })),
  }));
  const out = new Map<string, bigint>();
  for (const t of response.topics) for (const p of t.partitions) if (p.errorCode === 0) out.set(`${t.name}\u0000${p.partitionIndex}`, p.offset);
  return out;
}

async function committedOffsets(c: Connection, group: string): Promise<Map<string, bigint>> {
  const response = await c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, createOffsetFetchRequest({ groupId: group, topics: null }));
  if (response.errorCode !== 0) throw kafkaError(`offsets of ${group}`, response.errorCode);
  const out = new Map<string, bigint>();
  for (const t of response.topics) for (const p of t.partitions) if (p.committedOffset >= 0n) out.set(`${t.name}\u0000${p.partitionIndex}`, p.committedOffset);
  return out;
}

async function list(c: Connection, values: Values): Promise<void> {
  const response = await c.request<ListGroupsResponse>(ApiKey.ListGroups, 4, createListGroupsRequest());
  if (response.errorCode !== 0) throw kafkaError('list groups', response.errorCode);
  printTable(['GROUP', 'STATE', 'PROTOCOL-TYPE'], response.groups.map((g) => [g.groupId, g.groupState, g.protocolType || '-']), output(values));
}

async function describe(c: Connection, group: string, values: Values): Promise<void> {
  const described = await describeGroup(c, group);
  if (described.groupState === 'Dead') throw kafkaError(`describe ${group}`, 69);
  const owned = owners(described);
  const committed = await committedOffsets(c, group);
  const keys = [...new Set([...committed.keys(), ...owned.keys()])].sort();
  const partitions = keys.map((k) => ({ topic: k.split('\u0000')[0], partition: Number(k.split('\u0000')[1]) }));
  const ends = partitions.length > 0 ? await offsetsAt(c, partitions, -1n) : new Map<string, bigint>();
  if (output(values) === 'table') console.log(`Group ${group}: ${described.groupState}, ${described.members.length} member(s)\n`);
  printTable(
    ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
    keys.map((k, i) => {
      const current = committed.get(k);
      const end = ends.get(k);
      const owner = owned.get(k);
      const lag = current !== undefined && end !== undefined ? String(end - current) : '-';
      return [partitions[i].topic, partitions[i].partition, current?.toString() ?? '-', end?.toString() ?? '-', lag, owner?.consumerId ?? '-', owner?.host ?? '-', owner?.clientId ?? '-'];
    }),
    output(values),
  );
}

function targetFlag(values: Values): string {
  const chosen = ['to-earliest', 'to-latest', 'to-datetime', 'to-offset', 'shift-by'].filter((f) => values[f as keyof Values] !== undefined);
  if (chosen.length !== 1) throw new CommandError('reset-offsets needs exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset, --shift-by', 2);
  return chosen[0];
}

function integer(flag: string, text: string): bigint {
  if (!/^-?\d+$/.test(text)) throw new CommandError(`--${flag} expects an integer, not "${text}"`, 2);
  return BigInt(text);
}

async function resetOffsets(c: Connection, group: string, values: Values): Promise<void> {
  const topic = values.topic;
  if (!topic) throw new CommandError('reset-offsets needs --topic TOPIC', 2);
  const how = targetFlag(values);
  const described = await describeGroup(c, group);
  if (described.groupState !== 'Empty' && described.groupState !== 'Dead') {
    throw new CommandError(`group ${group} is ${described.groupState} with ${described.members.length} member(s): stop its consumers before resetting offsets`);
  }
  const metadata = await c.request<MetadataResponse>(ApiKey.Metadata, 4, createMetadataRequest({ topics: [createMetadataRequestMetadataRequestTopic({ name: topic })], allowAutoTopicCreation: false }));
  const t = metadata.topics[0];
  if (t.errorCode !== 0) throw kafkaError(`topic ${topic}`, t.errorCode);
  const partitions = t.partitions.map((p) => ({ topic, partition: p.partitionIndex })).sort((a, b) => a.partition - b.partition);
  const earliest = await offsetsAt(c, partitions, -2n);
  const latest = await offsetsAt(c, partitions, -1n);
  const committed = await committedOffsets(c, group);
  const byTime = how === 'to-datetime' ? await offsetsAt(c, partitions, BigInt(parseDate(values['to-datetime']!))) : null;
  const targets = partitions.map((p) => {
    const key = `${topic}\u0000${p.partition}`;
    const low = earliest.get(key)!;
    const high = latest.get(key)!;
    let target: bigint;
    if (how === 'to-earliest') target = low;
    else if (how === 'to-latest') target = high;
    else if (how === 'to-datetime') target = byTime!.get(key) ?? -1n;
    else if (how === 'to-offset') target = integer('to-offset', values['to-offset']!);
    else target = (committed.get(key) ?? low) + integer('shift-by', values['shift-by']!);
    if (target < 0n) target = high; // no record at or after the time: the end, as Kafka's tool does
    const clamped = target < low ? low : target > high ? high : target;
    return { partition: p.partition, previous: committed.get(key), target: clamped };
  });
  if (!values['dry-run']) {
    const response = await c.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 7, createOffsetCommitRequest({
      groupId: group,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [createOffsetCommitRequestOffsetCommitRequestTopic({ name: topic, partitions: targets.map((x) => createOffsetCommitRequestOffsetCommitRequestPartition({ partitionIndex: x.partition, committedOffset: x.target, committedMetadata: '' })) })],
    }));
    const failure = response.topics[0].partitions.find((p) => p.errorCode !== 0);
    if (failure) throw kafkaError(`reset ${topic}-${failure.partitionIndex}`, failure.errorCode);
  }
  printTable(['TOPIC', 'PARTITION', 'PREVIOUS-OFFSET', 'NEW-OFFSET'], targets.map((x) => [topic, x.partition, x.previous?.toString() ?? '-', x.target.toString()]), output(values));
  if (values['dry-run'] && output(values) === 'table') console.log('\n(dry run: nothing was changed)');
}

function parseDate(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new CommandError(`--to-datetime expects an ISO date such as 2026-11-22T10:00:00Z, not "${text}"`, 2);
  return ms;
}

async function remove(c: Connection, group: string): Promise<void> {
  const response = await c.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, 2, createDeleteGroupsRequest({ groupsNames: [group] }));
  const result = response.results[0];
  if (result.errorCode !== 0) throw kafkaError(`delete ${group}`, result.errorCode);
  console.log(`deleted group ${group}`);
}

function output(values: Values): 'table' | 'json' {
  if (values.output !== 'table' && values.output !== 'json') throw new CommandError(`--output is table or json, not "${values.output}"`, 2);
  return values.output;
}

export async function groupCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`millrace group: ${(err as Error).message}\n\n${GROUP_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [action, group] = positionals;
  if (values.help || action === undefined) {
    console.log(GROUP_USAGE);
    return action === undefined && !values.help ? 2 : 0;
  }
  const needsGroup = action !== 'list';
  if (!['list', 'describe', 'reset-offsets', 'delete'].includes(action) || (needsGroup && !group)) {
    console.error(`millrace group: ${needsGroup && !group ? `${action} needs a GROUP` : `unknown action "${action}"`}\n\n${GROUP_USAGE}`);
    return 2;
  }
  try {
    await withConnection(values.brokers, (c) => {
      if (action === 'list') return list(c, values);
      if (action === 'describe') return describe(c, group, values);
      if (action === 'reset-offsets') return resetOffsets(c, group, values);
      return remove(c, group);
    });
    return 0;
  } catch (err) {
    if (err instanceof CommandError) {
      console.error(`millrace group ${action}: ${err.message}`);
      return err.exitCode;
    }
    throw err;
  }
}
