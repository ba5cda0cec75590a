import { decodeConsumerProtocolSubscription, Reader } from '@millrace/protocol';
import type { Group } from './group.ts';

/** Highest version of the consumer protocol's subscription this broker reads; later ones only append fields. */
const KNOWN_VERSION = 3;

/**
 * The topics a consumer-protocol group's members subscribe to, read from their JoinGroup metadata.
 * Groups of other protocol types (Connect, Streams) have none as far as offsets are concerned.
 */
export function subscribedTopics(group: Group): Set<string> {
  const topics = new Set<string>();
  if (group.protocolType !== 'consumer') return topics;
  for (const member of group.members.values()) {
    const metadata = member.protocols.find((p) => p.name === group.protocolName)?.metadata ?? member.protocols[0]?.metadata;
    if (!metadata) continue;
    const r = new Reader(metadata);
    const version = r.int16();
    const subscription = decodeConsumerProtocolSubscription(r, Math.min(Math.max(version, 0), KNOWN_VERSION));
    if (!r.failed) for (const t of subscription.topics) topics.add(t);
  }
  return topics;
}
