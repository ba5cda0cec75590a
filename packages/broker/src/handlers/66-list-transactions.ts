import {
  ApiKey, createListTransactionsResponse, createListTransactionsResponseTransactionState, type ListTransactionsRequest, type ListTransactionsResponse,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canTransactionalId } from '../security/authorizer.ts';
import { TXN_STATUS_NAMES, TxnStatus } from '../txn/txn-records.ts';

/** Transactional ids, filtered by state, producer id and (v1) how long their transaction has been open. */
export const listTransactionsHandler: Handler<ListTransactionsRequest, ListTransactionsResponse> = {
  apiKey: ApiKey.ListTransactions,
  versions: { min: 0, max: 1 },
  handle(ctx, request) {
    const known = new Set(Object.values(TXN_STATUS_NAMES));
    const states = new Set(request.stateFilters);
    const producers = new Set(request.producerIdFilters.map(Number));
    const minDuration = ctx.apiVersion >= 1 ? Number(request.durationFilter) : -1;
    const now = ctx.broker.now();
    // Only the transactional ids the principal may describe are listed.
    const matching = ctx.broker.transactions.list().filter((m) => canTransactionalId(ctx, m.transactionalId, AclOperation.DESCRIBE) &&
      (states.size === 0 || states.has(TXN_STATUS_NAMES[m.status])) &&
      (producers.size === 0 || producers.has(m.producerId)) &&
      (minDuration < 0 || (m.status === TxnStatus.ONGOING && now - m.startMs >= minDuration)));
    return createListTransactionsResponse({
      unknownStateFilters: request.stateFilters.filter((s) => !known.has(s)),
      transactionStates: matching.map((m) =>
        createListTransactionsResponseTransactionState({ transactionalId: m.transactionalId, producerId: BigInt(m.producerId), transactionState: TXN_STATUS_NAMES[m.status] }),
      ),
    });
  },
};
