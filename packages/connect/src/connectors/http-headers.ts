import { ConnectError } from '../errors.ts';

/** Headers written `Name:Value` and joined by `separator`, as the HTTP connectors' `headers` settings take them. */
export function parseHeaders(text: string, separator: string, setting: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const entry of text.split(separator).map((h) => h.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new ConnectError('INVALID_CONFIG', `${setting}: "${entry}" is not Name:Value`);
    headers[entry.slice(0, colon).trim()] = entry.slice(colon + 1).trim();
  }
  return headers;
}
