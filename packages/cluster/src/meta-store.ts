import { CompareResult, CompareTarget, Etcd3, type IKeyValue, type IRequestOp, type IWatchResponse, type Watcher } from 'etcd3';

/** A key as read from etcd, with the revisions that every compare-and-swap is built on. */
export interface StoredValue {
  key: string;
  value: Buffer;
  createRevision: bigint;
  modRevision: bigint;
  /** The lease the key lives under, "0" for none. */
  lease: string;
}

/** A condition of a transaction: the key's create or mod revision equals `revision` (0 = the key does not exist). */
export interface Compare {
  key: string;
  target: 'create' | 'mod';
  revision: bigint;
}

export type Operation =
  | { put: string; value: Buffer; lease?: string }
  | { delete: string }
  | { deletePrefix: string };

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  value: Buffer;
  createRevision: bigint;
  modRevision: bigint;
  lease: string;
}

export interface WatchHandlers {
  /** Every change after the start revision, in revision order, one etcd response at a time. */
  onEvents(events: WatchEvent[], revision: bigint): void;
  /** The watch was cancelled (its start revision was compacted away): the caller must list again. */
  onCancelled(err: Error): void;
}

/** How long one etcd call may take before it fails (the broker retries, or fences itself). */
const CALL_TIMEOUT_MS = 5_000;

function stored(kv: IKeyValue): StoredValue {
  return { key: kv.key.toString('utf8'), value: kv.value, createRevision: BigInt(kv.create_revision), modRevision: BigInt(kv.mod_revision), lease: String(kv.lease) };
}

/** The first key after every key that starts with `prefix`: etcd's range end for a prefix. */
function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

function toRequestOp(op: Operation): IRequestOp {
  if ('put' in op) return { request_put: { key: Buffer.from(op.put), value: op.value, lease: op.lease ?? 0 } };
  if ('delete' in op) return { request_delete_range: { key: Buffer.from(op.delete) } };
  return { request_delete_range: { key: Buffer.from(op.deletePrefix), range_end: prefixEnd(op.deletePrefix) } };
}

/**
 * The cluster's metadata store: etcd's key-value API reduced to what Millrace needs. Reads are
 * linearizable; writes are transactions whose compares name create or mod revisions, never
 * versions (a version restarts at 1 when a key is deleted and created again).
 */
export class MetaStore {
  private readonly client: Etcd3;

  constructor(endpoints: string[]) {
    this.client = new Etcd3({ hosts: endpoints, dialTimeout: CALL_TIMEOUT_MS, defaultCallOptions: () => ({ deadline: Date.now() + CALL_TIMEOUT_MS }) });
  }

  /** Every key under `prefix`, and the store's revision at that read. */
  async list(prefix: string): Promise<{ values: StoredValue[]; revision: bigint }> {
    const res = await this.client.kv.range({ key: Buffer.from(prefix), range_end: prefixEnd(prefix) });
    return { values: res.kvs.map(stored), revision: BigInt(res.header.revision) };
  }

  async get(key: string): Promise<StoredValue | null> {
    const res = await this.client.kv.range({ key: Buffer.from(key) });
    return res.kvs.length > 0 ? stored(res.kvs[0]) : null;
  }

  /**
   * Applies `operations` if every compare holds. Returns whether it did, and the store's revision
   * after the call (the mod revision of every key it wrote, when it succeeded).
   */
  async transaction(compares: Compare[], operations: Operation[]): Promise<{ succeeded: boolean; revision: bigint }> {
    const res = await this.client.kv.txn({
      compare: compares.map((c) => ({
        key: Buffer.from(c.key),
        result: CompareResult.Equal,
        target: c.target === 'create' ? CompareTarget.Create : CompareTarget.Mod,
        ...(c.target === 'create' ? { create_revision: c.revision.toString() } : { mod_revision: c.revision.toString() }),
      })),
      success: operations.map(toRequestOp),
      failure: [],
    });
    return { succeeded: res.succeeded, revision: BigInt(res.header.revision) };
  }

  /** Watches every key under `prefix` from `fromRevision` on; resumes by itself after a lost connection. */
  async watch(prefix: string, fromRevision: bigint, handlers: WatchHandlers): Promise<{ cancel(): Promise<void> }> {
    const watcher: Watcher = await this.client.watch().prefix(prefix).startRevision(fromRevision.toString()).create();
    watcher.on('data', (res: IWatchResponse) => {
      if (res.events.length === 0) return;
      const events = res.events.map((e) => ({
        type: e.type === 'Put' ? 'put' as const : 'delete' as const,
        key: e.kv.key.toString('utf8'),
        value: e.kv.value,
        createRevision: BigInt(e.kv.create_revision),
        modRevision: BigInt(e.kv.mod_revision),
        lease: String(e.kv.lease),
      }));
      handlers.onEvents(events, BigInt(res.header.revision));
    });
    watcher.on('error', (err: Error) => handlers.onCancelled(err));
    return { cancel: () => watcher.cancel() };
  }

  /** A new lease of `ttlSeconds`; its id is a decimal string. */
  async grantLease(ttlSeconds: number): Promise<string> {
    const res = await this.client.leaseClient.leaseGrant({ TTL: ttlSeconds });
    return String(res.ID);
  }

  /** Renews a lease once; the TTL left, or 0 when the lease no longer exists. */
  async keepAlive(leaseId: string): Promise<number> {
    const stream = await this.client.leaseClient.leaseKeepAlive();
    try {
      const answer = new Promise<number>((resolve, reject) => {
        stream.on('data', (res) => resolve(Number(res.TTL)));
        stream.on('error', reject);
      });
      stream.write({ ID: leaseId });
      return await withTimeout(answer, CALL_TIMEOUT_MS, 'lease keepalive');
    } finally {
      stream.end();
    }
  }

  async revokeLease(leaseId: string): Promise<void> {
    await this.client.leaseClient.leaseRevoke({ ID: leaseId });
  }

  close(): void {
    this.client.close();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} got no answer from etcd within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
