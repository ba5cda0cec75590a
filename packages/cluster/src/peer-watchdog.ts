import { connect, type Socket } from 'node:net';
import type { LiveBroker } from './cluster-view.ts';

/** Between a closed connection and the attempt that tells a dead broker from a dropped connection. */
const RECONNECT_DELAY_MS = 50;
/** After a failure that says nothing about the broker (a timeout, an unreachable host), try again this much later. */
const RETRY_MS = 1_000;
const CONNECT_TIMEOUT_MS = 2_000;

interface Peer {
  broker: LiveBroker;
  socket: Socket | null;
  timer: NodeJS.Timeout | null;
  done: boolean;
}

/**
 * Notices a broker whose process has gone, long before its lease would run out: it keeps a
 * connection open to each other broker's listener, and when one closes and a new one is refused,
 * nothing listens on that port any more, so the process is dead. `onDead` is told once per
 * incarnation. A paused or cut-off broker refuses nothing; the lease stays the judge of those.
 */
export class PeerWatchdog {
  private readonly peers = new Map<number, Peer>();
  private readonly selfId: number;
  private readonly onDead: (broker: LiveBroker) => void;

  constructor(selfId: number, onDead: (broker: LiveBroker) => void) {
    this.selfId = selfId;
    this.onDead = onDead;
  }

  /** Watches exactly these brokers (a new incarnation replaces the old one's watch). */
  update(brokers: Iterable<LiveBroker>): void {
    const current = new Map([...brokers].filter((b) => b.nodeId !== this.selfId).map((b) => [b.nodeId, b]));
    for (const [id, peer] of this.peers) {
      const now = current.get(id);
      if (!now || now.epoch !== peer.broker.epoch) this.forget(id);
    }
    for (const [id, broker] of current) {
      if (this.peers.has(id)) continue;
      const peer: Peer = { broker, socket: null, timer: null, done: false };
      this.peers.set(id, peer);
      this.open(peer);
    }
  }

  stop(): void {
    for (const id of [...this.peers.keys()]) this.forget(id);
  }

  private forget(id: number): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    peer.done = true;
    if (peer.timer) clearTimeout(peer.timer);
    peer.socket?.destroy();
    this.peers.delete(id);
  }

  private open(peer: Peer): void {
    if (peer.done) return;
    const socket = connect({ host: peer.broker.host, port: peer.broker.port, timeout: CONNECT_TIMEOUT_MS });
    peer.socket = socket;
    let refused = false;
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      socket.setTimeout(0);
    });
    socket.once('timeout', () => socket.destroy());
    socket.once('error', (err: NodeJS.ErrnoException) => {
      refused = err.code === 'ECONNREFUSED';
    });
    socket.once('close', () => {
      if (peer.done) return;
      if (refused) {
        peer.done = true;
        this.onDead(peer.broker);
        return;
      }
      // Closed after being open, or a failure that proves nothing: look again shortly.
      peer.timer = setTimeout(() => this.open(peer), connected ? RECONNECT_DELAY_MS : RETRY_MS);
    });
  }
}
