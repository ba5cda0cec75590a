import type { ClusterKeys } from './keys.ts';
import type { MetaStore } from './meta-store.ts';
import { type BrokerRegistration, decodeBrokerRegistration, encodeRecord } from './records.ts';

export interface MembershipOptions {
  store: MetaStore;
  keys: ClusterKeys;
  registration: BrokerRegistration;
  /** The lease TTL: how long after its last renewal a silent broker is taken for dead. */
  sessionTimeoutMs: number;
  log: { info(m: string): void; warn(m: string): void };
  /** Called when the registration was lost (the lease ended) and a new one was made: a new broker epoch. */
  onReregistered(epoch: bigint): void;
}

/** Renewals per TTL: a renewal lost in a hiccup leaves two more before the lease runs out. */
const RENEWALS_PER_TTL = 3;
/** How long a start waits for a registration under another address to expire before giving up. */
const REGISTRATION_WAIT_TIMEOUTS = 2;

/**
 * This broker's registration in the cluster: a key under a lease that it renews. The key's create
 * revision is the broker epoch. The lease is for liveness only: a broker whose lease ran out
 * registers again, with a new epoch.
 */
export class Membership {
  epoch = 0n;
  private leaseId = '0';
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly options: MembershipOptions;

  constructor(options: MembershipOptions) {
    this.options = options;
  }

  get lease(): string {
    return this.leaseId;
  }

  async register(): Promise<void> {
    const { store, keys, registration, sessionTimeoutMs } = this.options;
    const key = keys.broker(registration.nodeId);
    const giveUpAt = performance.now() + REGISTRATION_WAIT_TIMEOUTS * sessionTimeoutMs;
    for (;;) {
      const existing = await store.get(key);
      if (existing) {
        const other = decodeBrokerRegistration(existing.value);
        // The same node id at our own address is our previous incarnation: we hold its port now,
        // so it is gone, and its lease can end at once rather than after its TTL.
        if (other.host === registration.host && other.port === registration.port) {
          await store.revokeLease(existing.lease).catch(() => undefined);
        } else if (performance.now() > giveUpAt) {
          throw new Error(`node id ${registration.nodeId} is registered by a broker at ${other.host}:${other.port}; two brokers cannot share a node id`);
        } else {
          this.options.log.warn(`node id ${registration.nodeId} is still registered by ${other.host}:${other.port}; waiting for its lease to expire`);
          await sleep(1_000);
          continue;
        }
      }
      const lease = await store.grantLease(Math.max(2, Math.ceil(sessionTimeoutMs / 1000)));
      const result = await store.transaction([{ key, target: 'create', revision: 0n }], [{ put: key, value: encodeRecord(registration), lease }]);
      if (!result.succeeded) {
        await store.revokeLease(lease).catch(() => undefined);
        continue;
      }
      this.leaseId = lease;
      this.epoch = result.revision;
      this.scheduleRenewal();
      return;
    }
  }

  private scheduleRenewal(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.renew(), this.options.sessionTimeoutMs / RENEWALS_PER_TTL);
  }

  private async renew(): Promise<void> {
    try {
      const ttl = await this.options.store.keepAlive(this.leaseId);
      if (this.stopped) return;
      if (ttl <= 0) {
        this.options.log.warn(`registration lease ${this.leaseId} has expired: registering again`);
        await this.register();
        this.options.onReregistered(this.epoch);
        return;
      }
    } catch (err) {
      if (this.stopped) return;
      this.options.log.warn(`renewing the registration lease failed: ${(err as Error).message}`);
    }
    this.scheduleRenewal();
  }

  /** Ends the registration at once (the controller moves leadership away without waiting for the TTL). */
  async leave(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.options.store.revokeLease(this.leaseId).catch(() => undefined);
  }

  /** Stops renewing without revoking, as a crashed broker would. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
