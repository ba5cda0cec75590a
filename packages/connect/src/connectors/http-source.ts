import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigKey, ConfigMap, SourceConnector, SourceTask, SourceTaskContext } from '../connector.ts';
import { intSetting } from '../config.ts';
import type { ConnectValue, SourceRecord } from '../data.ts';
import { ConnectError } from '../errors.ts';
import { parseHeaders } from './http-headers.ts';
import { sourceConnector } from './define-connector.ts';

const CONFIG: ConfigKey[] = [
  { name: 'http.url', type: 'string', importance: 'high', documentation: 'The URL polled; ${offset} in it is replaced by the offset reached (URL-encoded), so the endpoint returns only what is new.' },
  { name: 'topic', type: 'string', importance: 'high', documentation: 'The topic the records go to.' },
  { name: 'http.poll.interval.ms', type: 'int', default: '5000', importance: 'medium', documentation: 'How long to wait between polls that brought nothing new (or failed).' },
  { name: 'http.headers', type: 'string', default: '', importance: 'medium', documentation: 'Request headers, Name:Value separated by header.separator.' },
  { name: 'header.separator', type: 'string', default: '|', importance: 'low', documentation: 'What separates the headers in http.headers.' },
  { name: 'http.records.field', type: 'string', default: null, importance: 'medium', documentation: 'The field of the JSON response holding the array of records (default: the response itself if it is an array; otherwise the whole response is one record).' },
  { name: 'http.offset.field', type: 'string', default: null, importance: 'medium', documentation: 'The field of each record whose value is its offset: the last one\'s replaces ${offset} in the next request and is stored.' },
  { name: 'http.initial.offset', type: 'string', default: '', importance: 'medium', documentation: 'The offset before anything was read.' },
  { name: 'http.key.field', type: 'string', default: null, importance: 'low', documentation: 'The field of each record used as its key (default: no key).' },
  { name: 'http.request.timeout.ms', type: 'int', default: '30000', importance: 'low', documentation: 'How long a request may take.' },
];

function checkSettings(config: ConfigMap): void {
  try {
    new URL(config['http.url'].replaceAll('${offset}', ''));
  } catch {
    throw new ConnectError('INVALID_CONFIG', `http.url: "${config['http.url']}" is not a URL`);
  }
  parseHeaders(config['http.headers'] ?? '', config['header.separator'] ?? '|', 'http.headers');
  if (config['http.url'].includes('${offset}') && !config['http.offset.field']) throw new ConnectError('INVALID_CONFIG', 'http.offset.field: needed when http.url has ${offset}');
}

/**
 * An HTTP source: polls a URL for JSON and makes a record of each element of the array it returns
 * (or of the whole response). With `http.offset.field`, the last record's field is the offset:
 * stored once Kafka has the records, put into the next request's URL as `${offset}`, and where a
 * restarted task goes on from, so nothing acknowledged is fetched twice.
 */
export function httpSourceConnector(): SourceConnector {
  // One cursor is followed by one task.
  return sourceConnector({ name: 'HttpSourceConnector', configDef: CONFIG,
  check: checkSettings, tasks: 'one', createTask: () => new HttpSourceTask() });
}

class HttpSourceTask implements SourceTask {
  private config!: ConfigMap;
  private context!: SourceTaskContext;
  private headers: Record<string, string> = {};
  private offset = '';
  private pollIntervalMs = 5000;
  private timeoutMs = 30_000;

  start(config: ConfigMap, context: SourceTaskContext): void {
    this.config = config;
    this.context = context;
    this.headers = parseHeaders(config['http.headers'] ?? '', config['header.separator'] ?? '|', 'http.headers');
    this.pollIntervalMs = intSetting(config, CONFIG, 'http.poll.interval.ms');
    this.timeoutMs = intSetting(config, CONFIG, 'http.request.timeout.ms');
    const stored = context.offset({ url: config['http.url'] });
    this.offset = typeof stored?.offset === 'string' ? stored.offset : (config['http.initial.offset'] ?? '');
  }

  async poll(signal: AbortSignal): Promise<SourceRecord[]> {
    const before = this.offset;
    const records = await this.fetchRecords(signal).catch((err: Error) => {
      if (!signal.aborted) this.context.log(`HttpSourceConnector: ${err.message}; trying again in ${this.pollIntervalMs} ms`);
      return [];
    });
    // The next request comes at once only while a cursor moves on (a backlog being read); otherwise after the interval.
    const cursorMoved = this.config['http.offset.field'] !== undefined && this.offset !== before;
    if (records.length === 0 || !cursorMoved) await sleep(this.pollIntervalMs, undefined, { signal }).catch(() => undefined);
    return records;
  }

  private async fetchRecords(signal: AbortSignal): Promise<SourceRecord[]> {
    const url = this.config['http.url'].replaceAll('${offset}', encodeURIComponent(this.offset));
    const response = await fetch(url, { headers: { Accept: 'application/json', ...this.headers }, signal: AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]) });
    const text = await response.text();
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status} ${response.statusText}: ${text.slice(0, 500)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`GET ${url} did not answer JSON: ${text.slice(0, 200)}`);
    }
    const recordsField = this.config['http.records.field'];
    const elements = recordsField !== undefined ? (body as Record<string, unknown> | null)?.[recordsField] : body;
    if (recordsField !== undefined && !Array.isArray(elements)) throw new Error(`GET ${url}: the response has no array in ${recordsField}`);
    const list = Array.isArray(elements) ? elements : [elements];
    const offsetField = this.config['http.offset.field'];
    const keyField = this.config['http.key.field'];
    // The cursor moves on only once the whole response is read: a bad record leaves it where it was.
    let offset = this.offset;
    const records = list.map((element): SourceRecord => {
      const fields = element as Record<string, unknown> | null;
      if (offsetField !== undefined) {
        const value = fields?.[offsetField];
        if (value === undefined || value === null) throw new Error(`GET ${url}: a record has no ${offsetField} (http.offset.field)`);
        offset = String(value);
      }
      const key = keyField !== undefined ? (fields?.[keyField] ?? null) : null;
      return { sourcePartition: { url: this.config['http.url'] }, sourceOffset: { offset }, topic: this.config.topic, key: key as ConnectValue, value: element as ConnectValue };
    });
    this.offset = offset;
    return records;
  }

  stop(): void {}
}
