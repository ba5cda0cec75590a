/** A column of a table as pgoutput's Relation message describes it. */
export interface RelationColumn {
  name: string;
  typeOid: number;
  /** Part of the replica identity (the primary key, by default). */
  key: boolean;
}

export interface Relation {
  id: number;
  schema: string;
  table: string;
  /** d: default, f: full, i: index, n: nothing. */
  replicaIdentity: string;
  columns: RelationColumn[];
}

/** A row's values as text (null: SQL NULL; undefined: an unchanged TOASTed value PostgreSQL did not send). */
export type Tuple = (string | null | undefined)[];

export type PgOutputMessage =
  | { tag: 'begin'; finalLsn: bigint; commitTime: bigint; xid: number }
  | { tag: 'commit'; commitLsn: bigint; endLsn: bigint; commitTime: bigint }
  | { tag: 'relation'; relation: Relation }
  | { tag: 'insert'; relationId: number; newTuple: Tuple }
  /** `keyTuple`: the old key, when the update changed it; `oldTuple`: the old row, under REPLICA IDENTITY FULL. */
  | { tag: 'update'; relationId: number; keyTuple: Tuple | null; oldTuple: Tuple | null; newTuple: Tuple }
  | { tag: 'delete'; relationId: number; keyTuple: Tuple | null; oldTuple: Tuple | null }
  | { tag: 'truncate'; relationIds: number[] }
  | { tag: 'other' };

/** Reads the pgoutput (protocol version 1) message in `buf`, as logical decoding sends it inside XLogData. */
export function decodePgOutput(buf: Buffer): PgOutputMessage {
  let at = 1;
  const int8 = () => buf.readInt8(at++);
  const int16 = () => ((at += 2), buf.readInt16BE(at - 2));
  const int32 = () => ((at += 4), buf.readInt32BE(at - 4));
  const int64 = () => ((at += 8), buf.readBigInt64BE(at - 8));
  const string = () => {
    const end = buf.indexOf(0, at);
    const s = buf.toString('utf8', at, end);
    at = end + 1;
    return s;
  };
  const tuple = (): Tuple => {
    const count = int16();
    const values: Tuple = [];
    for (let i = 0; i < count; i++) {
      const kind = String.fromCharCode(buf[at++]);
      if (kind === 'n') values.push(null);
      else if (kind === 'u') values.push(undefined);
      else {
        const length = int32();
        values.push(buf.toString('utf8', at, at + length));
        at += length;
      }
    }
    return values;
  };
  switch (String.fromCharCode(buf[0])) {
    case 'B':
      return { tag: 'begin', finalLsn: int64(), commitTime: int64(), xid: int32() };
    case 'C':
      int8();
      return { tag: 'commit', commitLsn: int64(), endLsn: int64(), commitTime: int64() };
    case 'R': {
      const id = int32();
      const schema = string();
      const table = string();
      const replicaIdentity = String.fromCharCode(buf[at++]);
      const count = int16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < count; i++) {
        const flags = int8();
        const name = string();
        const typeOid = int32();
        int32();
        columns.push({ name, typeOid, key: (flags & 1) === 1 });
      }
      return { tag: 'relation', relation: { id, schema, table, replicaIdentity, columns } };
    }
    case 'I': {
      const relationId = int32();
      at++;
      return { tag: 'insert', relationId, newTuple: tuple() };
    }
    case 'U': {
      const relationId = int32();
      let keyTuple: Tuple | null = null;
      let oldTuple: Tuple | null = null;
      const kind = String.fromCharCode(buf[at++]);
      if (kind === 'K' || kind === 'O') {
        if (kind === 'K') keyTuple = tuple();
        else oldTuple = tuple();
        // The 'N' that introduces the new row.
        at++;
      }
      return { tag: 'update', relationId, keyTuple, oldTuple, newTuple: tuple() };
    }
    case 'D': {
      const relationId = int32();
      const kind = String.fromCharCode(buf[at++]);
      const values = tuple();
      return { tag: 'delete', relationId, keyTuple: kind === 'K' ? values : null, oldTuple: kind === 'O' ? values : null };
    }
    case 'T': {
      const count = int32();
      int8();
      return { tag: 'truncate', relationIds: Array.from({ length: count }, () => int32()) };
    }
    default:
      // Origin, Type and logical decoding messages carry nothing the connector uses.
      return { tag: 'other' };
  }
}

/** An LSN as PostgreSQL writes it (`16/B374D848`), as a number. */
export function parseLsn(text: string): bigint {
  const [high, low] = text.split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}
