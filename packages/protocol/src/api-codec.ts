import type { Reader } from './reader.ts';
import type { Writer } from './writer.ts';

/**
 * What the generated API table knows of one API key. Methods (not function properties) so that a
 * table of differently typed messages can share this one interface.
 */
export interface ApiCodec<Req = object, Res = object> {
  apiKey: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  /** First flexible version of the request, -1 if none. */
  flexibleFrom: number;
  latestVersionUnstable: boolean;
  listeners: string[];
  createRequest(init?: Partial<Req>): Req;
  decodeRequest(r: Reader, version: number): Req;
  encodeRequest(w: Writer, m: Req, version: number): void;
  createResponse(init?: Partial<Res>): Res;
  decodeResponse(r: Reader, version: number): Res;
  encodeResponse(w: Writer, m: Res, version: number): void;
}
