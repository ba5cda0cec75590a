import { StreamsError } from '../errors.ts';
import type { StoreBuilder } from '../stores/state-store.ts';
import { type SourceNode, type TopicRef, type TopologyNode, topicName } from './nodes.ts';

/** A part of the topology connected by its nodes and stores: it runs as one task per input partition. */
export interface Subtopology {
  id: number;
  /** Node names in the order they were added. */
  nodes: string[];
  sources: SourceNode[];
  sourceTopics: TopicRef[];
  stores: string[];
}

/** A topic the application creates and owns: repartition topics and store changelogs. */
export interface InternalTopic {
  name: string;
  kind: 'repartition' | 'changelog';
  /** Fixed by the topology (`repartition({ partitions })`); otherwise taken from the inputs at start. */
  partitions: number | null;
  configs: Record<string, string>;
  /** The subtopology whose tasks write it (changelogs: one partition per task). */
  writerSubtopology: number;
}

/**
 * A global table's part: a source reading every partition of its topic into a store that every
 * task of the instance reads. The topic is its changelog: nothing else is written.
 */
export interface GlobalSubtopology extends Subtopology {
  topic: string;
}

/** A topology as built: its nodes, stores, subtopologies and the topics it needs. Immutable. */
export class Topology {
  readonly nodes: ReadonlyMap<string, TopologyNode>;
  readonly stores: ReadonlyMap<string, StoreBuilder>;
  readonly subtopologies: readonly Subtopology[];
  readonly internalTopics: readonly InternalTopic[];
  /** Groups of source topics that must have the same partition count (the inputs of a join). */
  readonly copartitionGroups: readonly TopicRef[][];
  /** Global tables: read whole by every instance, outside the group's tasks. */
  readonly globals: readonly GlobalSubtopology[];

  constructor(nodes: Map<string, TopologyNode>, stores: Map<string, StoreBuilder>, repartitionTopics: Map<string, number | null>, copartitionGroups: TopicRef[][], globalStores: Map<string, { topic: string; nodes: string[] }>) {
    this.nodes = nodes;
    this.stores = stores;
    const globalNodes = new Set([...globalStores.values()].flatMap((g) => g.nodes));
    this.subtopologies = splitSubtopologies(new Map([...nodes].filter(([n]) => !globalNodes.has(n))), stores, new Set(globalStores.keys()));
    this.globals = [...globalStores].map(([store, g]) => {
      const sources = g.nodes.map((n) => nodes.get(n)!).filter((n): n is SourceNode => n.kind === 'source');
      return { id: -1, nodes: g.nodes, sources, sourceTopics: sources.flatMap((x) => x.topics), stores: [store], topic: g.topic };
    });
    this.copartitionGroups = copartitionGroups;
    this.internalTopics = [
      ...[...repartitionTopics].map(([name, partitions]): InternalTopic => ({
        name, kind: 'repartition', partitions, configs: { 'cleanup.policy': 'delete', 'retention.ms': '-1' }, writerSubtopology: this.writerOf(name),
      })),
      ...this.subtopologies.flatMap((s) => s.stores.filter((store) => stores.get(store)!.logged).map((store): InternalTopic => ({
        name: `${store}-changelog`, kind: 'changelog', partitions: null, configs: stores.get(store)!.changelogConfigs, writerSubtopology: s.id,
      }))),
    ];
  }

  private writerOf(topic: string): number {
    const writer = this.subtopologies.find((s) => s.nodes.some((n) => {
      const node = this.nodes.get(n)!;
      return node.kind === 'sink' && typeof node.topic !== 'function' && node.topic.internal && node.topic.name === topic;
    }));
    return writer?.id ?? -1;
  }

  /** Every topic the application reads that it does not own. */
  sourceTopicNames(applicationId: string): string[] {
    return [...new Set([...this.subtopologies, ...this.globals].flatMap((s) => s.sourceTopics.filter((t) => !t.internal).map((t) => topicName(t, applicationId))))];
  }

  /** A readable outline, as Kafka Streams' TopologyDescription: subtopologies, their nodes, stores and topics. */
  describe(applicationId = '<application.id>'): string {
    const lines: string[] = [];
    for (const s of this.subtopologies) {
      lines.push(`Sub-topology: ${s.id}`);
      for (const name of s.nodes) {
        const node = this.nodes.get(name)!;
        const next = node.children.length > 0 ? ` --> ${node.children.join(', ')}` : '';
        if (node.kind === 'source') lines.push(`  Source: ${name} (topics: [${node.topics.map((t) => topicName(t, applicationId)).join(', ')}])${next}`);
        else if (node.kind === 'processor') lines.push(`  Processor: ${name} (stores: [${node.stores.join(', ')}])${next}`);
        else lines.push(`  Sink: ${name} (topic: ${typeof node.topic === 'function' ? '<extractor>' : topicName(node.topic, applicationId)})`);
      }
    }
    for (const g of this.globals) lines.push(`Global table: ${g.stores[0]} (topic: ${g.topic}) --> ${g.nodes.join(', ')}`);
    lines.push('Internal topics:');
    for (const t of this.internalTopics) lines.push(`  ${applicationId}-${t.name} (${t.kind}${t.partitions === null ? '' : `, ${t.partitions} partitions`})`);
    return lines.join('\n') + '\n';
  }
}

/** Nodes joined by an edge or by a store they share belong to one subtopology; numbered by their first node. */
function splitSubtopologies(nodes: Map<string, TopologyNode>, stores: Map<string, StoreBuilder>, globalStores: ReadonlySet<string>): Subtopology[] {
  const parent = new Map<string, string>([...nodes.keys()].map((n) => [n, n]));
  const find = (n: string): string => {
    let root = n;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(n, root);
    return root;
  };
  const union = (a: string, b: string) => parent.set(find(a), find(b));
  const storeUser = new Map<string, string>();
  for (const node of nodes.values()) {
    for (const child of node.children) union(node.name, child);
    if (node.kind !== 'processor') continue;
    for (const store of node.stores) {
      // Every task reads a global table's store: it ties no nodes together.
      if (globalStores.has(store)) continue;
      if (!stores.has(store)) throw new StreamsError('INVALID_TOPOLOGY', `processor ${node.name} uses store "${store}", which the topology does not have`);
      const other = storeUser.get(store);
      if (other) union(node.name, other);
      else storeUser.set(store, node.name);
    }
  }
  const groups = new Map<string, string[]>();
  for (const name of nodes.keys()) {
    const root = find(name);
    groups.set(root, [...(groups.get(root) ?? []), name]);
  }
  return [...groups.values()].map((names, id) => {
    const sources = names.map((n) => nodes.get(n)!).filter((n): n is SourceNode => n.kind === 'source');
    const storeNames = [...new Set(names.flatMap((n) => {
      const node = nodes.get(n)!;
      return node.kind === 'processor' ? node.stores.filter((store) => !globalStores.has(store)) : [];
    }))];
    return { id, nodes: names, sources, sourceTopics: sources.flatMap((s) => s.topics), stores: storeNames };
  });
}
