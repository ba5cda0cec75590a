import type { BrokerRegistration } from '@millrace/cluster';
import type { BrokerState } from '../handler.ts';

export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** A broker's address on a listener (by name), falling back to the one it replicates on when it has no such listener. */
export function addressOn(broker: BrokerRegistration, listener: string): BrokerAddress {
  const address = broker.listeners?.[listener] ?? broker;
  return { nodeId: broker.nodeId, host: address.host, port: address.port, rack: broker.rack };
}

/** The brokers clients on `listener` are told of: every registered broker in a cluster, else this one. */
export function liveBrokers(state: BrokerState, listener: string): BrokerAddress[] {
  if (state.cluster) return [...state.cluster.view.brokers.values()].sort((a, b) => a.nodeId - b.nodeId).map((b) => addressOn(b, listener));
  const address = state.listeners.get(listener) ?? state.advertised;
  return [{ nodeId: state.identity.nodeId, host: address.host, port: address.port, rack: null }];
}

export function controllerId(state: BrokerState): number {
  return state.cluster ? state.cluster.view.controllerId : state.identity.nodeId;
}
