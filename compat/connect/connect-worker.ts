import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runTool } from '../harness/run-tool.ts';
import { type AppProcess, startProcess } from '../streams/app-process.ts';
import { until } from '../streams/run-workload.ts';

const main = join(resolve(import.meta.dirname, '../..'), 'packages/millrace/src/main.ts');

export interface RestWorker {
  process: AppProcess;
  /** The REST API's base URL, without the trailing slash. */
  url: string;
}

/** Starts `millrace connect standalone` with no connectors and its REST API on a free port, as a user would with these settings. */
export async function startStandaloneWorker(dir: string, bootstrap: string, settings: Record<string, string> = {}): Promise<RestWorker> {
  const workerFile = join(dir, 'worker.properties');
  writeFileSync(workerFile, Object.entries({
    'bootstrap.servers': bootstrap,
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'offset.storage.file.filename': join(dir, 'offsets'),
    'offset.flush.interval.ms': '500',
    'consumer.session.timeout.ms': '6000',
    // Any free port; the worker logs the one it took.
    listeners: 'http://127.0.0.1:0',
    ...settings,
  }).map(([k, v]) => `${k}=${v}`).join('\n'));
  const process = startProcess(['--conditions=development', main, 'connect', 'standalone', workerFile]);
  await until('the REST API listens', () => /REST API listening at (\S+)/.test(process.output()), 30_000);
  return { process, url: /REST API listening at (\S+)/.exec(process.output())![1].replace(/\/$/, '') };
}

export interface Reply {
  status: number;
  // The JSON the worker sent, read by the assertions field by field.
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One request as `curl -X METHOD -H 'Content-Type: application/json' -d BODY URL` sends it. */
export async function curl(worker: RestWorker, method: string, path: string, body?: unknown): Promise<Reply> {
  const args = ['-s', '-X', method, '-H', 'Content-Type: application/json', '-w', '\n%{http_code}'];
  if (body !== undefined) args.push('-d', typeof body === 'string' ? body : JSON.stringify(body));
  const { stdout } = await runTool('curl', [...args, `${worker.url}${path}`], { timeoutMs: 30_000 });
  const newline = stdout.lastIndexOf('\n');
  const text = stdout.slice(0, newline);
  return { status: Number(stdout.slice(newline + 1)), body: text === '' ? null : JSON.parse(text) };
}

/** A connector's state and its tasks', from the status endpoint. */
export async function states(worker: RestWorker, name: string): Promise<{ connector: string; tasks: string[] }> {
  const { body } = await curl(worker, 'GET', `/connectors/${name}/status`);
  return { connector: body.connector.state, tasks: body.tasks.map((t: { state: string }) => t.state) };
}
