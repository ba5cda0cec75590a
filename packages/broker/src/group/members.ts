/** What the coordinator keeps of one group member (classic protocol). */
export interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: { name: string; metadata: Buffer }[];
  /** What the leader assigned this member in the current generation. */
  assignment: Buffer;
  /** Set while the member waits for the rebalance to finish its JoinGroup. */
  awaitingJoin: ((result: JoinResult) => void) | null;
  /** Set while the member waits for the leader's assignment in SyncGroup. */
  awaitingSync: ((result: SyncResult) => void) | null;
  sessionTimer: unknown;
}

export interface JoinParams {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  /** JoinGroup v4+: a new dynamic member must first learn its member id (MEMBER_ID_REQUIRED). */
  requireKnownMemberId: boolean;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** Every member with its metadata for the chosen protocol, for the leader only. */
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export const EMPTY_BYTES = Buffer.alloc(0);

/**
 * The protocol for the next generation: among those every member supports, the one most members
 * list first among them (Kafka's vote); ties go to the one that comes first in the leader's list.
 */
export function selectProtocol(members: Member[]): string {
  const candidates = members
    .map((m) => new Set(m.protocols.map((p) => p.name)))
    .reduce((common, names) => new Set([...common].filter((n) => names.has(n))));
  const votes = new Map<string, number>();
  for (const m of members) {
    const choice = m.protocols.find((p) => candidates.has(p.name))!.name;
    votes.set(choice, (votes.get(choice) ?? 0) + 1);
  }
  let best = '';
  let bestVotes = -1;
  for (const p of members[0].protocols) {
    const count = votes.get(p.name) ?? -1;
    if (count > bestVotes) {
      best = p.name;
      bestVotes = count;
    }
  }
  return best;
}
