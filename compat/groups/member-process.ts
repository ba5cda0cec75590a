import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** A group member in its own process, so a test can kill it without it leaving the group. */
export class MemberProcess {
  readonly values: string[] = [];
  /** Every assignment it reported, in order (cooperative rebalances report increments and revocations). */
  readonly assignments: number[][] = [];
  readonly errors: string[] = [];
  private readonly child: ChildProcess;

  /** A librdkafka member (cooperative-sticky), or with `client: 'kafkajs'` a KafkaJS one. */
  constructor(bootstrap: string, topic: string, group: string, instanceId?: string, client: 'librdkafka' | 'kafkajs' = 'librdkafka') {
    this.child = client === 'kafkajs'
      ? spawn(process.execPath, ['--conditions=development', join(import.meta.dirname, 'kafkajs-member.ts'), bootstrap, topic, group], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('/usr/bin/python3', [join(import.meta.dirname, 'group_member.py'), bootstrap, topic, group, ...(instanceId ? [instanceId] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.startsWith('{')) this.onLine(JSON.parse(line) as { assigned?: number[]; value?: string; error?: string });
    });
    this.child.stderr!.resume();
  }

  private onLine(event: { assigned?: number[]; value?: string; error?: string }): void {
    if (event.assigned) this.assignments.push(event.assigned);
    if (event.value !== undefined) this.values.push(event.value);
    if (event.error) this.errors.push(event.error);
  }

  get assignment(): number[] {
    return this.assignments.at(-1) ?? [];
  }

  /** SIGKILL: no LeaveGroup, no commit, no goodbye. */
  kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}
