/** What the leader knows of one follower, from its fetches. */
interface FollowerProgress {
  /** The follower's log end: the offset it asked for last (it fetches only after syncing what it has). */
  endOffset: number;
  /** When it last had everything the leader had (Kafka's lastCaughtUpTimeMs). */
  lastCaughtUpMs: number;
  /** The leader's end at its previous fetch, and when that was. */
  previousLeaderEnd: number;
  previousFetchMs: number;
}

/**
 * A leader's bookkeeping for one partition in one leader epoch: where each follower is, the high
 * watermark that follows from the ISR, and which ISR changes are due. Pure: times and offsets come
 * in as arguments. An ISR change is proposed to etcd by the caller; while it is in flight the high
 * watermark counts the larger of the two sets (an addition at once, a removal only once written),
 * so a change that fails never let the high watermark run ahead (Kafka's "maximal ISR").
 */
export class LeaderState {
  readonly leaderId: number;
  readonly epoch: number;
  /** The log end when this epoch began: a follower must reach it before it may rejoin the ISR. */
  readonly epochStartOffset: number;
  replicas: number[];
  /** The ISR as stored in etcd. */
  isr: number[];
  /** An ISR written to etcd and not yet seen back, or null. */
  pendingIsr: number[] | null = null;
  private readonly followers = new Map<number, FollowerProgress>();

  constructor(leaderId: number, epoch: number, epochStartOffset: number, replicas: number[], isr: number[], now: number) {
    this.leaderId = leaderId;
    this.epoch = epoch;
    this.epochStartOffset = epochStartOffset;
    this.replicas = replicas;
    this.isr = isr;
    for (const r of replicas) {
      if (r !== leaderId) this.followers.set(r, { endOffset: 0, lastCaughtUpMs: now, previousLeaderEnd: 0, previousFetchMs: now });
    }
  }

  /** The partition's replicas changed (a reassignment): new followers are tracked, removed ones forgotten. */
  updateReplicas(replicas: number[], now: number): void {
    this.replicas = replicas;
    for (const r of replicas) {
      if (r !== this.leaderId && !this.followers.has(r)) this.followers.set(r, { endOffset: 0, lastCaughtUpMs: now, previousLeaderEnd: 0, previousFetchMs: now });
    }
    for (const r of [...this.followers.keys()]) if (!replicas.includes(r)) this.followers.delete(r);
  }

  /** Where a follower's log ends, as its last fetch said; undefined for one that is not a follower. */
  followerEndOffset(replicaId: number): number | undefined {
    return this.followers.get(replicaId)?.endOffset;
  }

  /** The ISR the high watermark waits for: the stored one plus any addition in flight. */
  get maximalIsr(): number[] {
    if (!this.pendingIsr) return this.isr;
    return [...new Set([...this.isr, ...this.pendingIsr])];
  }

  /** A follower fetched from `fetchOffset` while the leader's log ended at `leaderEnd`. */
  recordFetch(replicaId: number, fetchOffset: number, leaderEnd: number, now: number): void {
    const f = this.followers.get(replicaId);
    if (!f) return;
    f.endOffset = fetchOffset;
    if (fetchOffset >= leaderEnd) f.lastCaughtUpMs = now;
    else if (fetchOffset >= f.previousLeaderEnd) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.previousFetchMs);
    f.previousLeaderEnd = leaderEnd;
    f.previousFetchMs = now;
  }

  /**
   * The offset every member of the maximal ISR has synced, or null when the ISR is smaller than
   * min.insync.replicas: then nothing more counts as committed (KIP-966), however many acks=1
   * writes the leader takes.
   */
  highWatermark(leaderEnd: number, minInsyncReplicas: number): number | null {
    if (this.isr.length < minInsyncReplicas) return null;
    let hw = leaderEnd;
    for (const r of this.maximalIsr) {
      if (r === this.leaderId) continue;
      hw = Math.min(hw, this.followers.get(r)?.endOffset ?? 0);
    }
    return hw;
  }

  /** A follower outside the ISR that has caught up (to the high watermark and into this epoch), or null. */
  replicaToAdd(highWatermark: number): number | null {
    if (this.pendingIsr) return null;
    for (const [r, f] of this.followers) {
      if (!this.isr.includes(r) && f.endOffset >= highWatermark && f.endOffset >= this.epochStartOffset) return r;
    }
    return null;
  }

  /** ISR followers that have not caught up within `maxLagMs` (stuck or too slow). */
  replicasToRemove(leaderEnd: number, now: number, maxLagMs: number): number[] {
    if (this.pendingIsr) return [];
    return this.isr.filter((r) => {
      const f = this.followers.get(r);
      return f !== undefined && f.endOffset < leaderEnd && now - f.lastCaughtUpMs > maxLagMs;
    });
  }
}
