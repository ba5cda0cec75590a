import type { BrokerRegistration } from '@millrace/cluster';
import type { BrokerState } from '../handler.ts';

export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/**
 * A broker's address on a listener (by name), or null when it has no such listener: a client must
 * not be sent to a port that speaks another security protocol (Kafka leaves such brokers out).
 * A registration without listeners (an older broker's) has only its replication address.
 */
export function addressOn(broker: BrokerRegistration, listener: string): BrokerAddress | null {
  const address = broker.listeners ? broker.listeners[listener] : broker;
  return address ? { nodeId: broker.nodeId, host: address.host, port: address.port, rack: broker.rack } : null;
}

/** The brokers clients on `listener` are told of: every registered broker with that listener in a cluster, else this one. */
export function liveBrokers(state: BrokerState, listener: string): BrokerAddress[] {
  if (state.cluster) return [...state.cluster.view.brokers.values()].sort((a, b) => a.nodeId - b.nodeId).flatMap((b) => addressOn(b, listener) ?? []);
  const address = state.listeners.get(listener) ?? state.advertised;
  return [{ nodeId: state.identity.nodeId, host: address.host, port: address.port, rack: null }];
}

export function controllerId(state: BrokerState): number {
  return state.cluster ? state.cluster.view.controllerId : state.identity.nodeId;
}
