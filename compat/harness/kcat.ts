import { runTool } from './run-tool.ts';

/** One record as `kcat -C -J` prints it. */
export interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  tstype: string;
  ts: number;
  key: string | null;
  payload: string | null;
  /** Keys and values in turn; a null value is null. */
  headers?: (string | null)[];
}

/** Every record of `topic`, all partitions, from the beginning to the current end, read by kcat (READ_UNCOMMITTED unless asked). */
export async function consumeAllWithKcat(bootstrap: string, topic: string, isolation: 'read_committed' | 'read_uncommitted' = 'read_uncommitted'): Promise<KcatRecord[]> {
  const { stdout } = await runTool('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q', '-X', `isolation.level=${isolation}`], { timeoutMs: 120_000 });
  return stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as KcatRecord);
}

/** The values of `topic`, sorted, read by kcat from the beginning to the end at an isolation level. */
export async function readValuesWithKcat(bootstrap: string, topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const { stdout } = await runTool('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-X', `isolation.level=${isolation}`, '-f', '%s\\n'], { timeoutMs: 60_000 });
  return stdout.split('\n').filter(Boolean).sort();
}
