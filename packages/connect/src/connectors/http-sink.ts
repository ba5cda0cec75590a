import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigKey, ConfigMap, SinkConnector, SinkTask, SinkTaskContext } from '../connector.ts';
import { intSetting } from '../config.ts';
import type { ConnectValue, SinkRecord } from '../data.ts';
import { ConnectError } from '../errors.ts';
import { parseHeaders } from './http-headers.ts';
import { sinkConnector } from './define-connector.ts';

const CONFIG: ConfigKey[] = [
  { name: 'http.api.url', type: 'string', importance: 'high', documentation: 'The URL records are sent to.' },
  { name: 'request.method', type: 'string', default: 'POST', importance: 'medium', documentation: 'POST, PUT or PATCH.' },
  { name: 'headers', type: 'string', default: '', importance: 'medium', documentation: 'Request headers, Name:Value separated by header.separator.' },
  { name: 'header.separator', type: 'string', default: '|', importance: 'low', documentation: 'What separates the headers in headers.' },
  { name: 'batch.max.size', type: 'int', default: '1', importance: 'medium', documentation: 'The most records in one request.' },
  { name: 'request.body.format', type: 'string', default: 'json', importance: 'medium', documentation: 'json: each value as JSON (a JSON array of them when batched); string: the values as text joined by batch.separator.' },
  { name: 'batch.separator', type: 'string', default: '\n', importance: 'low', documentation: 'What joins values in a string body.' },
  { name: 'max.retries', type: 'int', default: '10', importance: 'medium', documentation: 'Retries of a request that failed to connect, timed out, or got 429 or 5xx; then the task fails.' },
  { name: 'retry.backoff.ms', type: 'int', default: '1000', importance: 'low', documentation: 'The first wait before a retry; it doubles with each, up to 30 s (a Retry-After header is honored).' },
  { name: 'http.request.timeout.ms', type: 'int', default: '30000', importance: 'low', documentation: 'How long a request may take.' },
  { name: 'behavior.on.error', type: 'string', default: 'fail', importance: 'medium', documentation: 'What a response that retrying cannot fix (4xx other than 408 and 429) does: fail the task, or log it and go on.' },
];

const MAX_BACKOFF_MS = 30_000;

/**
 * An HTTP sink: sends each batch of records to an endpoint, in order, and returns from `put` only
 * once the endpoint accepted it (2xx), so the worker commits offsets only for what was delivered.
 * Connection errors, timeouts, 408, 429 and 5xx are retried with exponential backoff.
 */
export function httpSinkConnector(): SinkConnector {
  // Records of a partition stay in order in one task; several tasks share the topics' partitions.
  return sinkConnector({ name: 'HttpSinkConnector', configDef: CONFIG,
  check: sinkSettings, tasks: 'each', createTask: () => new HttpSinkTask() });
}

interface SinkSettings {
  url: URL;
  method: string;
  headers: Record<string, string>;
  batchSize: number;
  format: 'json' | 'string';
  separator: string;
  maxRetries: number;
  backoffMs: number;
  timeoutMs: number;
  onError: 'fail' | 'log';
}

function sinkSettings(config: ConfigMap): SinkSettings {
  let url: URL;
  try {
    url = new URL(config['http.api.url']);
  } catch {
    throw new ConnectError('INVALID_CONFIG', `http.api.url: "${config['http.api.url']}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConnectError('INVALID_CONFIG', `http.api.url: ${url.protocol} is not http: or https:`);
  const method = (config['request.method'] ?? 'POST').toUpperCase();
  if (!['POST', 'PUT', 'PATCH'].includes(method)) throw new ConnectError('INVALID_CONFIG', `request.method: ${method} is not POST, PUT or PATCH`);
  const format = config['request.body.format'] ?? 'json';
  if (format !== 'json' && format !== 'string') throw new ConnectError('INVALID_CONFIG', `request.body.format: ${format} is not json or string`);
  const onError = config['behavior.on.error'] ?? 'fail';
  if (onError !== 'fail' && onError !== 'log') throw new ConnectError('INVALID_CONFIG', `behavior.on.error: ${onError} is not fail or log`);
  const batchSize = intSetting(config, CONFIG, 'batch.max.size');
  if (batchSize < 1) throw new ConnectError('INVALID_CONFIG', 'batch.max.size must be at least 1');
  return {
    url, method, format, onError, batchSize,
    headers: parseHeaders(config.headers ?? '', config['header.separator'] ?? '|', 'headers'),
    separator: config['batch.separator'] ?? '\n',
    maxRetries: intSetting(config, CONFIG, 'max.retries'),
    backoffMs: intSetting(config, CONFIG, 'retry.backoff.ms'),
    timeoutMs: intSetting(config, CONFIG, 'http.request.timeout.ms'),
  };
}

/** A value as JSON text: a string holding JSON is sent as that JSON, any other string as a JSON string. */
function jsonText(value: ConnectValue): string {
  if (typeof value === 'string') {
    try {
      JSON.parse(value);
      return value;
    } catch {
      return JSON.stringify(value);
    }
  }
  if (Buffer.isBuffer(value)) return jsonText(value.toString('utf8'));
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? JSON.rawJSON(v.toString()) : Buffer.isBuffer(v) ? v.toString('base64') : v));
}

function text(value: ConnectValue): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return jsonText(value);
}

class HttpSinkTask implements SinkTask {
  private settings!: SinkSettings;
  private context!: SinkTaskContext;
  private readonly stopping = new AbortController();

  start(config: ConfigMap, context: SinkTaskContext): void {
    this.settings = sinkSettings(config);
    this.context = context;
  }

  async put(records: SinkRecord[]): Promise<void> {
    // Tombstones (null values) carry nothing to send.
    const values = records.map((r) => r.value).filter((v) => v !== null);
    for (let i = 0; i < values.length; i += this.settings.batchSize) await this.send(values.slice(i, i + this.settings.batchSize));
  }

  private body(values: ConnectValue[]): string {
    const { format, batchSize, separator } = this.settings;
    if (format === 'string') return values.map(text).join(separator);
    return batchSize === 1 ? jsonText(values[0]) : `[${values.map(jsonText).join(',')}]`;
  }

  /** Sends one request until it is accepted, retrying what a retry can fix. */
  private async send(values: ConnectValue[]): Promise<void> {
    const { url, method, headers, maxRetries, backoffMs, timeoutMs, onError, format } = this.settings;
    const body = this.body(values);
    let lastProblem = '';
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      let waitMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2 ** attempt);
      try {
        const response = await fetch(url, {
          method, body,
          headers: { 'Content-Type': format === 'json' ? 'application/json' : 'text/plain; charset=utf-8', ...headers },
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.stopping.signal]),
        });
        const answer = await response.text();
        if (response.ok) return;
        lastProblem = `${method} ${url} answered ${response.status} ${response.statusText}: ${answer.slice(0, 500)}`;
        if (response.status !== 408 && response.status !== 429 && response.status < 500) {
          if (onError === 'log') {
            this.context.log(`HttpSinkConnector: ${lastProblem} (${values.length} record(s) skipped, behavior.on.error=log)`);
            return;
          }
          throw new ConnectError('TASK_FAILED', `${lastProblem}; the records were not delivered (behavior.on.error=fail)`);
        }
        const retryAfter = Number(response.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) waitMs = Math.min(MAX_BACKOFF_MS, retryAfter * 1000);
      } catch (err) {
        if (err instanceof ConnectError) throw err;
        if (this.stopping.signal.aborted) throw new ConnectError('TASK_FAILED', 'stopped while sending');
        lastProblem = `${method} ${url} failed: ${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause: Error }).cause.message})` : ''}`;
      }
      if (attempt < maxRetries) await sleep(waitMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
    throw new ConnectError('TASK_FAILED', `${lastProblem}; gave up after ${maxRetries} retries`);
  }

  flush(): void {
    // put returns only once every request was accepted: nothing is pending here.
  }

  interrupt(): void {
    this.stopping.abort();
  }

  stop(): void {
    this.stopping.abort();
  }
}
