import { emitFile, GENERATED_HEADER } from './emit-file.ts';
import { buildMessage, type MessageModel } from './model.ts';
import { isEmpty, loadSpecs, type MessageSpec } from './spec.ts';

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase();
}

interface ApiPair {
  apiKey: number;
  name: string;
  file: string;
  request: MessageModel;
  response: MessageModel;
}

/** Every generated file by name: one per API key (request and response), one per header or data message, an API table and an index. */
export function generate(specsDir: string): Map<string, string> {
  const specs = loadSpecs(specsDir);
  const files = new Map<string, string>();
  const pairs = new Map<number, Partial<ApiPair>>();
  const others: MessageSpec[] = [];
  for (const spec of specs) {
    if (spec.type === 'request' || spec.type === 'response') {
      const pair = pairs.get(spec.apiKey!) ?? { apiKey: spec.apiKey! };
      pair[spec.type] = buildMessage(spec);
      if (spec.type === 'request') pair.name = spec.name.replace(/Request$/, '');
      pairs.set(spec.apiKey!, pair);
    } else {
      others.push(spec);
    }
  }
  const apis = [...pairs.values()].sort((a, b) => a.apiKey! - b.apiKey!) as ApiPair[];
  for (const api of apis) {
    if (!api.request || !api.response) throw new Error(`API key ${api.apiKey} lacks a request or a response`);
    api.file = kebab(api.name);
    files.set(`${api.file}.ts`, emitFile([api.request, api.response]));
  }
  for (const spec of others) files.set(`${kebab(spec.name)}.ts`, emitFile([buildMessage(spec)]));
  files.set('api-table.ts', emitApiTable(apis));
  files.set('index.ts', [GENERATED_HEADER, ...[...files.keys()].sort().map((f) => `export * from './${f}';`), ''].join('\n'));
  return files;
}

function emitApiTable(apis: ApiPair[]): string {
  const lines = [
    GENERATED_HEADER,
    "import type { ApiCodec } from '../api-codec.ts';",
    ...apis.map((a) => `import * as ${camelFile(a.file)} from './${a.file}.ts';`),
    '',
    '/** API keys by name. */',
    'export const ApiKey = {',
    ...apis.map((a) => `  ${a.name}: ${a.apiKey},`),
    '} as const;',
    '',
    '/** Every API of the specs, indexed by API key (gaps are undefined). */',
    'export const API_TABLE: readonly (ApiCodec | undefined)[] = (() => {',
    '  const table: (ApiCodec | undefined)[] = [];',
  ];
  for (const a of apis) {
    const m = camelFile(a.file);
    const req = a.request.spec.name;
    const res = a.response.spec.name;
    const flex = isEmpty(a.request.flexible) ? -1 : a.request.flexible.min;
    lines.push(
      `  table[${a.apiKey}] = {`,
      `    apiKey: ${a.apiKey}, name: '${a.name}', minVersion: ${a.request.valid.min}, maxVersion: ${a.request.valid.max},`,
      `    flexibleFrom: ${flex}, latestVersionUnstable: ${a.request.spec.latestVersionUnstable === true},`,
      `    listeners: ${JSON.stringify(a.request.spec.listeners ?? [])},`,
      `    createRequest: ${m}.create${req}, decodeRequest: ${m}.decode${req}, encodeRequest: ${m}.encode${req},`,
      `    createResponse: ${m}.create${res}, decodeResponse: ${m}.decode${res}, encodeResponse: ${m}.encode${res},`,
      '  };',
    );
  }
  lines.push('  return table;', '})();', '');
  return lines.join('\n');
}

function camelFile(file: string): string {
  return file.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
