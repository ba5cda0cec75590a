import type { Socket } from 'node:net';
import {
  API_TABLE, ApiKey, decodeRequestHeader, ErrorCode, ProtocolError, Reader, requestHeaderVersion,
  REFERENCE_FROM_BYTES, responseHeaderVersion, Writer,
} from '@millrace/protocol';
import { type BrokerState, CloseConnection, type Handler, type RequestContext } from './handler.ts';
import { FrameReader } from './frame-reader.ts';
import { SaslAuthenticationError } from '@millrace/security';
import type { Session } from './security/session.ts';
import { clientThrottlesItself } from './quota/kip-219.ts';
import { quotaClient } from './quota/quota-client.ts';

/** What a SASL listener's connection may ask before it is authenticated (Kafka's rule). */
const PRE_AUTHENTICATION_APIS = new Set<number>([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);
/** Requests the request quota does not count: those a client needs to be able to connect at all. */
const REQUEST_QUOTA_EXEMPT = PRE_AUTHENTICATION_APIS;

interface Slot {
  ready: boolean;
  /** The answer frame in pieces (records by reference), or null for a request without an answer. */
  bytes: Buffer[] | null;
}

export interface ConnectionLimits {
  maxFrameBytes: number;
  /** The largest frame before authentication (sasl.server.max.receive.size): an unknown client cannot make the broker buffer much. */
  preAuthFrameBytes: number;
  /** How long a failed bare-token login waits before the connection closes (slows password guessing). */
  failedAuthDelayMs: number;
  /** Requests read but not yet answered; reading pauses at this many (back-pressure on a pipelining client). */
  maxInFlight: number;
}

/**
 * One client connection: frames in, responses out in request order (Kafka clients pipeline and
 * match by order as well as correlation id). Bad bytes close this connection with one log line and
 * never disturb the others.
 */
export class Connection {
  private readonly socket: Socket;
  private readonly state: BrokerState;
  private readonly limits: ConnectionLimits;
  private readonly frames: FrameReader;
  private readonly queue: Slot[] = [];
  private readonly peer: string;
  private readonly session: Session;
  private closed = false;
  private inFlightPaused = false;
  /** Frames read but not yet handled: before authentication each waits for the answer to the one before. */
  private readonly held: Buffer[] = [];
  private handlingHeld = false;
  /** While a throttled client's time runs, nothing more is read from it (Kafka mutes the channel). */
  private muteTimer: NodeJS.Timeout | null = null;
  private mutedUntil = 0;
  /** When the client last sent bytes or was sent an answer (connections.max.idle.ms counts from here). */
  private lastActiveMs = Date.now();

  constructor(socket: Socket, state: BrokerState, limits: ConnectionLimits, session: Session) {
    this.socket = socket;
    this.state = state;
    this.limits = limits;
    this.session = session;
    this.frames = new FrameReader(session.authenticated ? limits.maxFrameBytes : limits.preAuthFrameBytes);
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close(null));
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('drain', () => this.updateFlow());
  }

  /** Ends the connection; `reason` (if any) is logged as the one line about it. */
  close(reason: string | null): void {
    if (this.closed) return;
    this.closed = true;
    if (this.muteTimer) clearTimeout(this.muteTimer);
    if (reason) this.state.log.warn(`closing connection from ${this.peer}: ${reason}`);
    this.socket.destroy();
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }

  /** Closes the connection if nothing has passed on it for `maxIdleMs` and nothing is pending (Kafka's connections.max.idle.ms). */
  closeIfIdle(maxIdleMs: number, now: number): void {
    if (this.queue.length === 0 && this.held.length === 0 && now - this.lastActiveMs >= maxIdleMs) {
      this.state.log.info(`closing connection from ${this.peer}: idle for ${Math.round((now - this.lastActiveMs) / 1000)} s (connections.max.idle.ms)`);
      this.close(null);
    }
  }

  private onData(chunk: Buffer): void {
    this.lastActiveMs = Date.now();
    const result = this.frames.push(chunk);
    if (typeof result === 'string') return this.close(result);
    this.held.push(...result);
    this.handleHeld();
  }

  /**
   * Handles the frames read so far. Before authentication one at a time, as Kafka does: a SASL
   * token's check may finish later, and whether the next frame is a token, a request, or not to be
   * served at all depends on how it ends.
   */
  private handleHeld(): void {
    if (this.handlingHeld) return;
    this.handlingHeld = true;
    while (this.held.length > 0 && !this.closed && this.muteTimer === null && this.session.closeReason === null && (this.session.authenticated || this.queue.length === 0)) {
      const frame = this.held.shift()!;
      if (this.session.sasl?.rawTokens) this.onRawToken(frame);
      else this.onFrame(frame);
    }
    this.handlingHeld = false;
    this.updateFlow();
  }

  private onFrame(frame: Buffer): void {
    const r = new Reader(frame);
    const apiKey = r.int16();
    const apiVersion = r.int16();
    const correlationId = r.int32();
    if (r.failed) return this.close('frame shorter than a request header');
    const handler = this.state.handlers.get(apiKey);
    const api = API_TABLE[apiKey];
    if (!handler || !api) return this.close(`unknown API key ${apiKey}`);
    if (!this.session.authenticated && !PRE_AUTHENTICATION_APIS.has(apiKey)) {
      return this.close(`unexpected ${api.name} request before SASL authentication on listener ${this.session.listener.name}`);
    }
    // KIP-368: past its login's lifetime, a client is served only the requests that log it in again.
    const expiresAtMs = this.session.expiresAtMs;
    if (expiresAtMs !== null && Date.now() >= expiresAtMs && apiKey !== ApiKey.SaslHandshake && apiKey !== ApiKey.SaslAuthenticate) {
      return this.close(`${api.name} after the login of ${this.session.principal.name} expired at ${new Date(expiresAtMs).toISOString()} without a re-authentication (connections.max.reauth.ms)`);
    }
    if (apiKey === ApiKey.ApiVersions && apiVersion > handler.versions.max) {
      // KIP-511: answer at v0 with UNSUPPORTED_VERSION and our ranges, so the client retries at one we speak.
      return this.respond(this.enqueue(), correlationId, apiKey, 0, handler.errorResponse!(api.createRequest(), ErrorCode.UNSUPPORTED_VERSION));
    }
    if (apiVersion < api.minVersion || apiVersion > api.maxVersion) {
      return this.close(`${api.name} version ${apiVersion} does not exist`);
    }
    r.pos = 0;
    let clientId: string | null;
    let request: object;
    try {
      clientId = decodeRequestHeader(r, requestHeaderVersion(apiKey, apiVersion)).clientId;
      request = api.decodeRequest(r, apiVersion);
      r.complete(`${api.name} v${apiVersion} request`);
    } catch (err) {
      if (err instanceof ProtocolError) return this.close(err.message);
      throw err;
    }
    const slot = this.enqueue();
    if (apiVersion < (handler.servedFrom ?? handler.versions.min) || apiVersion > handler.versions.max) {
      if (!handler.errorResponse) return this.close(`${api.name} version ${apiVersion} is not served`);
      return this.respond(slot, correlationId, apiKey, apiVersion, handler.errorResponse(request, ErrorCode.UNSUPPORTED_VERSION));
    }
    this.run(handler, slot, correlationId, apiVersion, clientId, request, frame.length + 4);
  }

  private run(handler: Handler, slot: Slot, correlationId: number, apiVersion: number, clientId: string | null, request: object, requestBytes: number): void {
    const fail = (err: unknown) => {
      if (err instanceof CloseConnection) return this.close(err.message);
      this.state.log.error(`${API_TABLE[handler.apiKey]!.name} from ${this.peer} failed: ${(err as Error).stack ?? err}`);
      this.close(null);
    };
    const ctx: RequestContext = {
      broker: this.state, clientId, clientHost: `/${this.socket.remoteAddress}`, apiVersion, session: this.session, requestBytes, throttleMs: 0, quotaExempt: false,
    };
    const throttle = this.state.quotas.throttle;
    // request_percentage counts the time the event loop spends in the handler (its part before the first wait).
    const timed = throttle.measuresRequestTime && !REQUEST_QUOTA_EXEMPT.has(handler.apiKey);
    const started = timed ? performance.now() : 0;
    const answer = (response: object | null, spentMs: number) => {
      const requestThrottleMs = timed && !ctx.quotaExempt ? throttle.handled(quotaClient(ctx), spentMs, this.state.now()) : 0;
      this.respond(slot, correlationId, handler.apiKey, apiVersion, response, Math.max(ctx.throttleMs, requestThrottleMs));
    };
    try {
      const result = handler.handle(ctx, request);
      const spentMs = timed ? performance.now() - started : 0;
      // A produce is counted as it starts: frames read behind it wait from now, not from its answer,
      // so a pipelining client cannot get more in while this one is being written.
      if (ctx.throttleMs > 0) this.mute(ctx.throttleMs);
      if (result instanceof Promise) {
        result.then((response) => answer(response, spentMs), fail);
      } else {
        answer(result, spentMs);
      }
    } catch (err) {
      fail(err);
    }
  }

  /**
   * A SASL token sent as a bare frame after SaslHandshake v0; the answer is a bare frame too. A
   * failure closes the connection without an answer (the old protocol has no way to say why).
   */
  private onRawToken(token: Buffer): void {
    const slot = this.enqueue();
    const done = () => {
      slot.ready = true;
      this.flushReady();
    };
    this.session.evaluate(token).then(({ response }) => {
      const frame = Buffer.alloc(4 + response.length);
      frame.writeInt32BE(response.length, 0);
      response.copy(frame, 4);
      slot.bytes = [frame];
      done();
    }, (err: unknown) => {
      if (!(err instanceof SaslAuthenticationError)) {
        this.state.log.error(`SASL token from ${this.peer} failed: ${(err as Error).stack ?? err}`);
        return this.close(null);
      }
      // No answer in the old protocol; the close is held back as a failed answer would be (KIP-306).
      setTimeout(() => {
        this.session.closeReason = `SASL authentication with ${this.session.sasl?.mechanism} failed: ${err.detail ?? err.message}`;
        done();
      }, this.limits.failedAuthDelayMs).unref();
    });
  }

  private enqueue(): Slot {
    const slot: Slot = { ready: false, bytes: null };
    this.queue.push(slot);
    return slot;
  }

  /**
   * Encodes an answer into its slot. A throttled client is told how long in throttle_time_ms and
   * is not read from for that long; one too old to throttle itself (KIP-219) gets its answer late.
   */
  private respond(slot: Slot, correlationId: number, apiKey: number, apiVersion: number, response: object | null, throttleMs = 0): void {
    if (this.closed) return;
    const withThrottle = response as { throttleTimeMs?: number } | null;
    if (throttleMs > 0 && typeof withThrottle?.throttleTimeMs === 'number') withThrottle.throttleTimeMs = Math.max(withThrottle.throttleTimeMs, throttleMs);
    if (response !== null) {
      // Fetched records are written from the buffers they were read into, not copied into the frame.
      const w = new Writer(1024, REFERENCE_FROM_BYTES);
      w.int32(0);
      w.int32(correlationId);
      if (responseHeaderVersion(apiKey, apiVersion) >= 1) w.uvarint(0);
      API_TABLE[apiKey]!.encodeResponse(w, response, apiVersion);
      const chunks = w.finishChunks();
      chunks[0].writeInt32BE(w.length - 4, 0);
      slot.bytes = chunks;
    }
    if (throttleMs > 0) {
      this.mute(throttleMs);
      if (!clientThrottlesItself(apiKey, apiVersion)) {
        setTimeout(() => {
          slot.ready = true;
          if (!this.closed) this.flushReady();
        }, throttleMs).unref();
        return;
      }
    }
    slot.ready = true;
    this.flushReady();
  }

  /** Stops reading from the client for `ms` (or longer, if it is muted longer already). */
  private mute(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.mutedUntil) return;
    this.mutedUntil = until;
    if (this.muteTimer) clearTimeout(this.muteTimer);
    this.muteTimer = setTimeout(() => {
      this.muteTimer = null;
      this.handleHeld();
    }, ms);
    this.muteTimer.unref();
    this.updateFlow();
  }

  private flushReady(): void {
    if (this.queue.length === 0 || !this.queue[0].ready) return;
    this.lastActiveMs = Date.now();
    this.socket.cork();
    while (this.queue.length > 0 && this.queue[0].ready) {
      const slot = this.queue.shift()!;
      for (const piece of slot.bytes ?? []) this.socket.write(piece);
    }
    this.socket.uncork();
    if (this.session.authenticated) this.frames.maxFrameBytes = this.limits.maxFrameBytes;
    if (this.session.closeReason !== null && this.queue.length === 0) this.closeAfterAnswer(this.session.closeReason);
    this.handleHeld();
  }

  /** Ends the connection once what was written reaches the client (a failed login's answer was already held back). */
  private closeAfterAnswer(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.state.log.warn(`closing connection from ${this.peer}: ${reason}`);
    this.socket.pause();
    // destroySoon, not end: a paused socket never reads the client's FIN, so a half-close would linger.
    this.socket.destroySoon();
  }

  /** Pause reading while too many requests are unanswered or the client is not reading its responses. */
  private updateFlow(): void {
    if (this.closed) return;
    const shouldPause = this.held.length > 0 || this.muteTimer !== null || this.queue.length >= this.limits.maxInFlight || this.socket.writableNeedDrain;
    if (shouldPause && !this.inFlightPaused) this.socket.pause();
    else if (!shouldPause && this.inFlightPaused) this.socket.resume();
    this.inFlightPaused = shouldPause;
  }
}
