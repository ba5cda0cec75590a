// The crash harness: a librdkafka producer (acks=all) writes while the broker is SIGKILLed at random
// moments and restarted; afterwards every acknowledged record must be readable at its offset with the
// same bytes, and no offset may hold two values.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { random } from '../../packages/broker/src/fuzz/frame-mutator.ts';
import { startBroker } from '../harness/broker-process.ts';
import { runTool } from '../harness/run-tool.ts';

export interface CrashResult {
  cycles: number;
  acked: number;
  lost: number;
  altered: number;
  problems: string[];
}

function startProducer(bootstrap: string, topic: string, acks: Map<string, string>): { child: ChildProcess; done: Promise<void>; conflicts: string[] } {
  const child = spawn('/usr/bin/python3', [join(import.meta.dirname, 'acked_producer.py'), bootstrap, topic], { stdio: ['pipe', 'pipe', 'pipe'] });
  const conflicts: string[] = [];
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const ack = JSON.parse(line) as { p?: number; o?: number; v?: string };
      if (ack.p === undefined) continue;
      const key = `${ack.p}/${ack.o}`;
      const previous = acks.get(key);
      // Two acknowledgements for one offset with different values: an acked record was overwritten.
      if (previous !== undefined && previous !== ack.v) conflicts.push(`${key}: acked as ${previous} and as ${ack.v}`);
      acks.set(key, ack.v!);
    }
  });
  child.stderr!.resume();
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, done, conflicts };
}

/** Runs `cycles` kill-and-restart cycles and checks every acknowledged record. */
export async function runCrashCycles(cycles: number, seed: number, log: (line: string) => void = () => {}): Promise<CrashResult> {
  const rand = random(seed);
  const topic = 'crash';
  const broker = await startBroker({ args: ['--set', 'num.partitions=3'] });
  const acks = new Map<string, string>();
  try {
    const producer = startProducer(broker.bootstrap, topic, acks);
    for (let cycle = 1; cycle <= cycles; cycle++) {
      await new Promise((r) => setTimeout(r, 200 + Math.floor(rand() * 800)));
      await broker.stop('SIGKILL');
      await broker.restart();
      if (cycle % 10 === 0) log(`crash: ${cycle}/${cycles} cycles, ${acks.size} acknowledged records`);
    }
    await new Promise((r) => setTimeout(r, 500));
    producer.child.stdin!.end();
    await producer.done;
    const { stdout } = await runTool('kcat', ['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p/%o %s\\n'], { timeoutMs: 300_000 });
    const stored = new Map<string, string>();
    const problems = [...producer.conflicts];
    for (const line of stdout.split('\n')) {
      if (line === '') continue;
      const [key, value] = line.split(' ');
      if (stored.has(key)) problems.push(`${key} read twice`);
      stored.set(key, value);
    }
    let lost = 0;
    let altered = 0;
    for (const [key, value] of acks) {
      const found = stored.get(key);
      if (found === undefined) {
        lost++;
        if (problems.length < 20) problems.push(`${key} (${value}) was acknowledged but is gone`);
      } else if (found !== value) {
        altered++;
        if (problems.length < 20) problems.push(`${key} was acknowledged as ${value} but holds ${found}`);
      }
    }
    return { cycles, acked: acks.size, lost, altered, problems };
  } finally {
    await broker.dispose();
  }
}
