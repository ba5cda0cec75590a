// Orders joined with their payments: a payment within 10 minutes of its order (1 minute grace)
// makes a "paid" record; an order still unpaid when its window has passed makes an "unpaid" one.
//   node examples/streams/orders-payments.ts --brokers localhost:9092 --orders orders --payments payments --output order-status
// Input records: key = order id in both topics; values are JSON ({"amount": 12.5, ...}).
import { fileURLToPath } from 'node:url';
import { JoinWindows, Serdes, StreamsBuilder, type StoreType, type Topology } from '@millrace/streams';
import { exampleArgs, runUntilStopped } from './run-example.ts';

interface Order {
  amount: number;
}

interface Payment {
  amount: number;
}

export function ordersPayments(orders: string, payments: string, output: string, defaultStore: StoreType = 'in-memory'): Topology {
  const builder = new StreamsBuilder({ defaultStore });
  const orderStream = builder.stream(orders, { key: Serdes.string(), value: Serdes.json<Order>() });
  const paymentStream = builder.stream(payments, { key: Serdes.string(), value: Serdes.json<Payment>() });
  orderStream
    .leftJoin(paymentStream, (order, payment) => ({
      status: payment === null ? 'unpaid' : payment.amount >= order.amount ? 'paid' : 'underpaid',
      ordered: order.amount,
      paid: payment?.amount ?? 0,
    }), JoinWindows.ofTimeDifference('10m', { grace: '1m' }).before(0), { name: 'order-payment' })
    .to(output, { value: Serdes.json() });
  return builder.build();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = exampleArgs('orders-payments.ts --brokers HOST:PORT --orders TOPIC --payments TOPIC --output TOPIC [--application-id ID] [--exactly-once] [--persistent [--state-dir DIR]]', ['orders', 'payments', 'output'], 'orders-payments');
  await runUntilStopped(ordersPayments(args.values.orders, args.values.payments, args.values.output, args.store), args.config);
}
