import pg from 'pg';

/** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
const PG_EPOCH_US = 946_684_800_000_000n;

export interface PgConnection {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

/** pg's connection, which pg keeps to itself: the replication stream's CopyData messages pass through it. */
interface WireConnection {
  on(event: 'copyData', listener: (message: { chunk: Buffer }) => void): void;
  sendCopyFromChunk(chunk: Buffer): void;
  stream: { pause(): void; resume(): void };
}

/**
 * A logical replication connection (`replication=database`): creates a slot with an exported
 * snapshot, then streams pgoutput messages from it. PostgreSQL moves the slot on only as far as
 * `confirm` says, so whatever was not confirmed is sent again after a reconnect.
 */
export class ReplicationConnection {
  private readonly client: pg.Client;

  constructor(connection: PgConnection) {
    this.client = new pg.Client({ ...connection, replication: 'database' } as pg.ClientConfig);
    // An error on an idle connection would otherwise be thrown from an event handler.
    this.client.on('error', () => undefined);
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  /** Creates the slot and exports a snapshot of the moment it starts at (valid until the next command on this connection). */
  async createSlot(slot: string, exportSnapshot: boolean): Promise<{ consistentPoint: string; snapshotName: string | null }> {
    const result = await this.client.query(`CREATE_REPLICATION_SLOT ${quoteIdentifier(slot)} LOGICAL pgoutput ${exportSnapshot ? 'EXPORT_SNAPSHOT' : 'NOEXPORT_SNAPSHOT'}`);
    const row = result.rows[0] as { consistent_point: string; snapshot_name: string | null };
    return { consistentPoint: row.consistent_point, snapshotName: row.snapshot_name };
  }

  /**
   * Streams the slot from where it was confirmed: `onData` gets each XLogData's pgoutput message,
   * `onKeepalive` each keepalive (with whether the server wants an answer now). Resolves or
   * rejects when the stream ends.
   */
  stream(slot: string, publication: string, onData: (message: Buffer) => void, onKeepalive: (walEnd: bigint, replyRequested: boolean) => void): Promise<void> {
    this.wire.on('copyData', ({ chunk }) => {
      if (chunk[0] === 0x77) onData(chunk.subarray(25));
      else if (chunk[0] === 0x6b) onKeepalive(chunk.readBigInt64BE(1), chunk[17] === 1);
    });
    const options = `proto_version '1', publication_names '${publication.replaceAll('\'', '\'\'')}'`;
    return this.client.query(`START_REPLICATION SLOT ${quoteIdentifier(slot)} LOGICAL 0/0 (${options})`).then(() => undefined);
  }

  /** Tells the server everything up to `lsn` is durable here (written, flushed and applied). */
  confirm(lsn: bigint): void {
    const message = Buffer.alloc(34);
    message[0] = 0x72;
    message.writeBigInt64BE(lsn, 1);
    message.writeBigInt64BE(lsn, 9);
    message.writeBigInt64BE(lsn, 17);
    message.writeBigInt64BE(BigInt(Date.now()) * 1000n - PG_EPOCH_US, 25);
    message[33] = 0;
    this.wire.sendCopyFromChunk(message);
  }

  /** Stops reading the stream while the reader is behind (PostgreSQL keeps what is not confirmed), or reads on. */
  setPaused(paused: boolean): void {
    if (paused) this.wire.stream.pause();
    else this.wire.stream.resume();
  }

  private get wire(): WireConnection {
    return (this.client as unknown as { connection: WireConnection }).connection;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

