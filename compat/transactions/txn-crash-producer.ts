// Runs txn_crash_producer.py (librdkafka transactions of `size` records, through broker failures)
// and collects how each of its transactions ended.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** How a transaction ended as its producer saw it: unknown when the broker went away during the commit. */
export type TxnOutcome = 'committed' | 'aborted' | 'unknown';

export interface TxnCrashProducer {
  process: ChildProcess;
  /** Each transaction's number and outcome, as the producer reports them. */
  outcomes: Map<number, TxnOutcome>;
  committed(): number;
  /** The end of what the producer printed on stderr, for failure messages. */
  stderr(): string;
  /** Lets the producer finish its transaction under way and exit. */
  stop(): Promise<void>;
}

export function startTxnCrashProducer(bootstrap: string, topic: string, size: number): TxnCrashProducer {
  const child = spawn('/usr/bin/python3', [join(import.meta.dirname, 'txn_crash_producer.py'), bootstrap, topic, String(size)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const outcomes = new Map<number, TxnOutcome>();
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    const lines = output.split('\n');
    output = lines.pop()!;
    for (const line of lines) {
      for (const [kind, txn] of Object.entries(JSON.parse(line) as Record<string, number>)) if (kind !== 'done') outcomes.set(txn, kind as TxnOutcome);
    }
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    outcomes,
    committed: () => [...outcomes.values()].filter((k) => k === 'committed').length,
    stderr: () => stderr,
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}
