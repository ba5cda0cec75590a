import type { BrokerState } from '../handler.ts';

export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** The brokers clients are told of: every registered broker in a cluster, else this one. */
export function liveBrokers(state: BrokerState): BrokerAddress[] {
  if (state.cluster) return [...state.cluster.view.brokers.values()].sort((a, b) => a.nodeId - b.nodeId);
  return [{ nodeId: state.identity.nodeId, host: state.advertised.host, port: state.advertised.port, rack: null }];
}

export function controllerId(state: BrokerState): number {
  return state.cluster ? state.cluster.view.controllerId : state.identity.nodeId;
}
