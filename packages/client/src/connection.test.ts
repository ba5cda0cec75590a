// The connection against a real socket: a tiny server that answers ApiVersions v0 the way a broker
// frames it, in the chunk sizes and at the moments each test chooses.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { API_TABLE, ApiKey, createApiVersionsResponse, createApiVersionsResponseApiVersion, type ApiVersionsResponse, Writer } from '@millrace/protocol';
import { Connection, ConnectionError } from './connection.ts';

/** An ApiVersions v0 answer frame (size prefix included) whose max version tells answers apart. */
function answer(correlationId: number, marker: number): Buffer {
  const w = new Writer();
  w.int32(correlationId);
  API_TABLE[ApiKey.ApiVersions]!.encodeResponse(w, createApiVersionsResponse({ apiKeys: [createApiVersionsResponseApiVersion({ apiKey: 0, minVersion: 0, maxVersion: marker })] }), 0);
  const body = w.finish();
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** Correlation ids of the complete request frames in `data`. */
function requestIds(data: Buffer): number[] {
  const ids: number[] = [];
  for (let at = 0; at + 4 <= data.length; at += 4 + data.readInt32BE(at)) ids.push(data.readInt32BE(at + 8));
  return ids;
}

async function withServer(onConnection: (socket: Socket) => void, run: (port: number) => Promise<void>): Promise<void> {
  const server: Server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run((server.address() as { port: number }).port);
  } finally {
    server.close();
  }
}

const ask = (c: Connection, timeoutMs?: number) => c.request<ApiVersionsResponse>(ApiKey.ApiVersions, 0, {}, timeoutMs).then((r) => r.apiKeys[0].maxVersion);

test('answers split into single bytes, and several answers in one chunk, reach their requests', async () => {
  await withServer((socket) => {
    let received = Buffer.alloc(0);
    const reply = async (ids: number[]) => {
      // The first answer one byte at a time, then the other two in one write.
      for (const byte of answer(ids[0], 100)) {
        socket.write(Buffer.from([byte]));
        await new Promise((r) => setImmediate(r));
      }
      socket.write(Buffer.concat([answer(ids[1], 101), answer(ids[2], 102)]));
    };
    socket.on('data', (data) => {
      received = Buffer.concat([received, data]);
      const ids = requestIds(received);
      if (ids.length === 3) void reply(ids);
    });
  }, async (port) => {
    const c = await Connection.open('127.0.0.1', port);
    try {
      assert.deepEqual(await Promise.all([ask(c), ask(c), ask(c)]), [100, 101, 102]);
    } finally {
      c.close();
    }
  });
});

test('no more than maxInFlight requests are unanswered; the rest are sent, in order, as answers come', async () => {
  const arrivals: number[][] = [];
  let serverSocket: Socket | null = null;
  await withServer((socket) => {
    serverSocket = socket;
    let received = Buffer.alloc(0);
    socket.on('data', (data) => {
      received = Buffer.concat([received, data]);
      arrivals.push(requestIds(received));
    });
  }, async (port) => {
    const c = await Connection.open('127.0.0.1', port, 'test', 10_000, 2);
    try {
      const answers = [ask(c), ask(c), ask(c), ask(c)];
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(arrivals.at(-1), [1, 2], 'two sent, two held back');
      serverSocket!.write(answer(1, 1));
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(arrivals.at(-1), [1, 2, 3]);
      serverSocket!.write(Buffer.concat([answer(2, 2), answer(3, 3)]));
      await new Promise((r) => setTimeout(r, 200));
      serverSocket!.write(answer(4, 4));
      assert.deepEqual(await Promise.all(answers), [1, 2, 3, 4]);
    } finally {
      c.close();
    }
  });
});

test('a request that waits too long times out, whether sent or still held back, and frees its slot', async () => {
  let serverSocket: Socket | null = null;
  let received = Buffer.alloc(0);
  await withServer((socket) => {
    serverSocket = socket;
    socket.on('data', (data) => (received = Buffer.concat([received, data])));
  }, async (port) => {
    const c = await Connection.open('127.0.0.1', port, 'test', 10_000, 1);
    try {
      const sent = ask(c, 150);
      const heldBack = ask(c, 50);
      const timedOut = (err: ConnectionError) => err.code === 'MILLRACE_TIMEOUT';
      await Promise.all([assert.rejects(sent, timedOut), assert.rejects(heldBack, timedOut)]);
      const later = ask(c);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(requestIds(received), [1, 3], 'the held-back request was never sent; the next one was');
      serverSocket!.write(answer(3, 7));
      assert.equal(await later, 7);
    } finally {
      c.close();
    }
  });
});
