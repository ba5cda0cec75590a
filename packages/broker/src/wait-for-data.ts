import type { BrokerState } from './handler.ts';
import type { Partition } from './partition.ts';

/**
 * Resolves true when any of the partitions gets new durable data, false when `ms` pass or the broker
 * starts shutting down first. Every listener and timer is removed either way.
 */
export function waitForData(state: Pick<BrokerState, 'stopping'>, partitions: Partition[], ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const unsubscribes: (() => void)[] = [];
    let done = false;
    const finish = (woke: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      state.stopping.removeEventListener('abort', onStop);
      for (const unsubscribe of unsubscribes) unsubscribe();
      resolve(woke);
    };
    const timer = setTimeout(() => finish(false), ms);
    for (const p of partitions) unsubscribes.push(p.onNewData(() => finish(true)));
    const onStop = () => finish(false);
    if (state.stopping.aborted) return finish(false);
    state.stopping.addEventListener('abort', onStop);
  });
}
