import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConfigMap } from '../connector.ts';
import { converterClassNames } from '../converters/converters.ts';
import { ConnectError } from '../errors.ts';
import { connectorPlugins, pluginFor } from '../plugins.ts';
import { validateConnectorConfig } from '../runtime/connector-config.ts';
import { checkOffsets } from '../runtime/connector-offsets.ts';
import { transformClassNames } from '../transforms/transforms.ts';
import type { Herder, TargetState } from '../runtime/herder.ts';
import { configInfos, configKeyInfo } from './config-infos.ts';

/** A reply: status code and JSON body (none for 204). */
interface Reply {
  status: number;
  body?: unknown;
  location?: string;
}

interface Request {
  params: string[];
  query: URLSearchParams;
  body: () => Promise<unknown>;
}

type Handler = (request: Request) => Promise<Reply>;

const HTTP_STATUS: Record<string, number> = { NOT_FOUND: 404, INVALID_CONFIG: 400, BAD_REQUEST: 400, CONFLICT: 409, UNAVAILABLE: 503 };
const MILLRACE_VERSION = '0.1.0';

/**
 * Kafka Connect's REST API (port 8083 by default), with its paths, status codes and JSON shapes,
 * so that curl scripts and tools written for Kafka Connect drive a Millrace worker unchanged.
 * Errors are `{"error_code": <HTTP status>, "message": ...}`.
 */
export class RestServer {
  private herder: Herder | null = null;
  private readonly clusterId: () => Promise<string | null>;
  private readonly routes: [method: string, path: RegExp, handler: Handler][];
  private server: Server | null = null;

  constructor(clusterId: () => Promise<string | null>) {
    this.clusterId = clusterId;
    const name = '([^/]+)';
    this.routes = [
      ['GET', /^\/$/, async () => ({ status: 200, body: { version: MILLRACE_VERSION, commit: 'millrace', kafka_cluster_id: await this.clusterId() } })],
      ['GET', /^\/health$/, async () => (this.herder
        ? { status: 200, body: { status: 'healthy', message: 'Worker has completed startup and is ready to handle requests.' } }
        : { status: 503, body: { status: 'starting', message: 'Worker is still starting up.' } })],
      ['GET', /^\/connectors$/, (r) => this.listConnectors(r.query)],
      ['POST', /^\/connectors$/, (r) => this.createConnector(r)],
      ['GET', new RegExp(`^/connectors/${name}$`), async ({ params }) => ({ status: 200, body: await this.ready().connectorInfo(params[0]) })],
      ['DELETE', new RegExp(`^/connectors/${name}$`), async ({ params }) => (await this.ready().deleteConnector(params[0]), { status: 204 })],
      ['GET', new RegExp(`^/connectors/${name}/config$`), async ({ params }) => ({ status: 200, body: (await this.ready().connectorInfo(params[0])).config })],
      ['PUT', new RegExp(`^/connectors/${name}/config$`), (r) => this.putConfig(r)],
      ['PATCH', new RegExp(`^/connectors/${name}/config$`), (r) => this.patchConfig(r)],
      ['GET', new RegExp(`^/connectors/${name}/status$`), async ({ params }) => ({ status: 200, body: await this.ready().connectorStatus(params[0]) })],
      ['POST', new RegExp(`^/connectors/${name}/restart$`), (r) => this.restartConnector(r)],
      ['PUT', new RegExp(`^/connectors/${name}/pause$`), (r) => this.setTargetState(r, 'PAUSED', 202)],
      ['PUT', new RegExp(`^/connectors/${name}/resume$`), (r) => this.setTargetState(r, 'STARTED', 202)],
      ['PUT', new RegExp(`^/connectors/${name}/stop$`), (r) => this.setTargetState(r, 'STOPPED', 204)],
      ['GET', new RegExp(`^/connectors/${name}/tasks$`), async ({ params }) => ({ status: 200, body: await this.ready().taskConfigs(params[0]) })],
      ['GET', new RegExp(`^/connectors/${name}/tasks-config$`), async ({ params }) => ({
        status: 200, body: Object.fromEntries((await this.ready().taskConfigs(params[0])).map((t) => [`${t.id.connector}-${t.id.task}`, t.config])),
      })],
      ['GET', new RegExp(`^/connectors/${name}/tasks/${name}/status$`), (r) => this.taskStatus(r)],
      ['POST', new RegExp(`^/connectors/${name}/tasks/${name}/restart$`), async ({ params }) => (await this.ready().restartTask(params[0], taskNumber(params[0], params[1])), { status: 204 })],
      ['GET', new RegExp(`^/connectors/${name}/offsets$`), async ({ params }) => ({ status: 200, body: { offsets: await this.ready().offsets(params[0]) } })],
      ['PATCH', new RegExp(`^/connectors/${name}/offsets$`), (r) => this.patchOffsets(r)],
      ['DELETE', new RegExp(`^/connectors/${name}/offsets$`), async ({ params }) => {
        await this.ready().alterOffsets(params[0], 'reset');
        return { status: 200, body: { message: 'The offsets for this connector have been reset successfully' } };
      }],
      ['GET', /^\/connector-plugins$/, async ({ query }) => ({ status: 200, body: pluginList(query.get('connectorsOnly') !== 'false') })],
      ['GET', new RegExp(`^/connector-plugins/${name}/config$`), async ({ params }) => ({ status: 200, body: knownPlugin(params[0]).create().configDef.map((key, i) => configKeyInfo(key, null, i + 1)) })],
      ['PUT', new RegExp(`^/connector-plugins/${name}/config/validate/?$`), (r) => this.validate(r)],
    ];
  }

  /** Starts answering requests with `herder` (until then, 503: the worker is starting). */
  serve(herder: Herder): void {
    this.herder = herder;
  }

  private ready(): Herder {
    if (!this.herder) throw new ConnectError('UNAVAILABLE', 'The worker is still starting up; try again shortly');
    return this.herder;
  }

  /** Listens on `host:port` (port 0: any free one); resolves with the port. */
  async listen(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host === '' ? undefined : host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://worker');
    let reply: Reply;
    try {
      reply = await this.route(req, url);
    } catch (err) {
      const status = err instanceof ConnectError ? (HTTP_STATUS[err.code] ?? 500) : 500;
      reply = { status, body: { error_code: status, message: (err as Error).message } };
    }
    const headers: Record<string, string> = {};
    if (reply.location) headers.Location = reply.location;
    if (reply.status === 204 || reply.body === undefined) {
      res.writeHead(reply.status, headers).end();
      return;
    }
    res.writeHead(reply.status, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify(reply.body));
  }

  private async route(req: IncomingMessage, url: URL): Promise<Reply> {
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, '') : url.pathname;
    let pathMatched = false;
    for (const [method, pattern, handler] of this.routes) {
      const match = pattern.exec(path);
      if (!match) continue;
      pathMatched = true;
      if (method !== req.method) continue;
      const params = match.slice(1).map((p) => decodeURIComponent(p));
      return handler({ params, query: url.searchParams, body: () => readJson(req) });
    }
    return pathMatched
      ? { status: 405, body: { error_code: 405, message: 'HTTP 405 Method Not Allowed' } }
      : { status: 404, body: { error_code: 404, message: 'HTTP 404 Not Found' } };
  }

  private async listConnectors(query: URLSearchParams): Promise<Reply> {
    const names = await this.ready().connectors();
    const expand = query.getAll('expand');
    if (expand.length === 0) return { status: 200, body: names };
    const expanded: Record<string, Record<string, unknown>> = {};
    for (const name of names) {
      const entry: Record<string, unknown> = {};
      if (expand.includes('status')) entry.status = await this.ready().connectorStatus(name);
      if (expand.includes('info')) entry.info = await this.ready().connectorInfo(name);
      expanded[name] = entry;
    }
    return { status: 200, body: expanded };
  }

  private async createConnector(request: Request): Promise<Reply> {
    const body = await request.body();
    if (!isObject(body) || typeof body.name !== 'string' || !isObject(body.config)) throw new ConnectError('BAD_REQUEST', 'A connector is created with {"name": ..., "config": {...}}');
    const name = body.name.trim();
    const config = configMap(body.config, name);
    const initialState = body.initial_state === undefined ? undefined : initialTargetState(body.initial_state);
    const { info } = await this.ready().putConnectorConfig(name, config, { allowReplace: false, initialState });
    return { status: 201, body: info, location: `/connectors/${encodeURIComponent(name)}` };
  }

  private async putConfig({ params, body }: Request): Promise<Reply> {
    const raw = await body();
    if (!isObject(raw)) throw new ConnectError('BAD_REQUEST', 'The body must be a JSON object of settings');
    const { created, info } = await this.ready().putConnectorConfig(params[0], configMap(raw, params[0]), { allowReplace: true });
    return created ? { status: 201, body: info, location: `/connectors/${encodeURIComponent(params[0])}` } : { status: 200, body: info };
  }

  /** Changes only the settings given; a null value removes that setting. */
  private async patchConfig({ params, body }: Request): Promise<Reply> {
    const patch = await body();
    if (!isObject(patch)) throw new ConnectError('BAD_REQUEST', 'The body must be a JSON object of settings');
    const config: ConfigMap = { ...(await this.ready().connectorInfo(params[0])).config };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete config[key];
      else Object.assign(config, configMap({ [key]: value }, params[0]));
    }
    const { info } = await this.ready().putConnectorConfig(params[0], configMap(config, params[0]), { allowReplace: true });
    return { status: 200, body: info };
  }

  private async restartConnector({ params, query }: Request): Promise<Reply> {
    const request = { includeTasks: query.get('includeTasks') === 'true', onlyFailed: query.get('onlyFailed') === 'true' };
    const status = await this.ready().restartConnector(params[0], request);
    return request.includeTasks || request.onlyFailed ? { status: 202, body: status } : { status: 204 };
  }

  private async setTargetState({ params }: Request, state: TargetState, status: number): Promise<Reply> {
    await this.ready().setTargetState(params[0], state);
    return { status };
  }

  private async patchOffsets({ params, body }: Request): Promise<Reply> {
    const raw = await body();
    const { type } = await this.ready().connectorInfo(params[0]);
    await this.ready().alterOffsets(params[0], checkOffsets(type, raw));
    return { status: 200, body: { message: 'The offsets for this connector have been altered successfully' } };
  }

  private async taskStatus({ params }: Request): Promise<Reply> {
    const task = taskNumber(params[0], params[1]);
    const status = (await this.ready().connectorStatus(params[0])).tasks.find((t) => t.id === task);
    if (!status) throw new ConnectError('NOT_FOUND', `No status found for task ${params[0]}-${params[1]}`);
    return { status: 200, body: status };
  }

  private async validate({ params, body }: Request): Promise<Reply> {
    const raw = await body();
    if (!isObject(raw)) throw new ConnectError('BAD_REQUEST', 'The body must be a JSON object of settings');
    const config = configMap(raw, null);
    const plugin = pluginFor(params[0]);
    if (config['connector.class'] !== undefined && pluginFor(config['connector.class']) !== plugin) {
      throw new ConnectError('BAD_REQUEST', `Included connector type ${config['connector.class']} does not match request type ${params[0]}`);
    }
    config['connector.class'] ??= plugin.className;
    return { status: 200, body: configInfos(config, validateConnectorConfig(config, this.ready().workerConfig)) };
  }
}

/** A plugin named in the URL: an unknown one is 404, as Kafka Connect answers. */
function knownPlugin(name: string): ReturnType<typeof pluginFor> {
  try {
    return pluginFor(name);
  } catch (err) {
    throw new ConnectError('NOT_FOUND', (err as Error).message);
  }
}

function pluginList(connectorsOnly: boolean): { class: string; type: string; version: string }[] {
  const connectors = connectorPlugins().map((p) => ({ class: p.className, type: p.type, version: MILLRACE_VERSION }));
  if (connectorsOnly) return connectors;
  const { transformations, predicates } = transformClassNames();
  return [
    ...connectors,
    ...converterClassNames().map((className) => ({ class: className, type: 'converter', version: MILLRACE_VERSION })),
    ...transformations.map((className) => ({ class: className, type: 'transformation', version: MILLRACE_VERSION })),
    ...predicates.map((className) => ({ class: className, type: 'predicate', version: MILLRACE_VERSION })),
  ];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Settings from a JSON object: strings, with numbers and booleans taken as their text (as Kafka
 * Connect's JSON reading does); `name`, if given, must agree with the URL's.
 */
function configMap(raw: Record<string, unknown>, name: string | null): ConfigMap {
  const config: ConfigMap = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string') config[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') config[key] = String(value);
    else throw new ConnectError('BAD_REQUEST', `Setting ${key} must be a string, not ${JSON.stringify(value)}`);
  }
  if (name !== null) {
    if (config.name !== undefined && config.name !== name) throw new ConnectError('BAD_REQUEST', `Connector name configuration (${config.name}) doesn't match connector name in the URL (${name})`);
    config.name = name;
  }
  return config;
}

function initialTargetState(value: unknown): TargetState {
  if (value === 'RUNNING') return 'STARTED';
  if (value === 'PAUSED' || value === 'STOPPED') return value;
  throw new ConnectError('BAD_REQUEST', `initial_state must be RUNNING, PAUSED or STOPPED, not ${JSON.stringify(value)}`);
}

function taskNumber(connector: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new ConnectError('NOT_FOUND', `Task ${connector}-${text} not found`);
  return Number(text);
}

const MAX_BODY_BYTES = 1024 * 1024;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ConnectError('BAD_REQUEST', `The request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConnectError('BAD_REQUEST', `The request body is not JSON: ${(err as Error).message}`);
  }
}
