// Generates hostile request frames from a seeded random source: random bytes, and valid requests
// with flipped bytes, truncated or extended bodies, and lying length fields.
import { ApiKey, createApiVersionsRequest, createFetchRequest, createFetchRequestFetchPartition, createFetchRequestFetchTopic,
  createListOffsetsRequest, createListOffsetsRequestListOffsetsPartition, createListOffsetsRequestListOffsetsTopic,
  createMetadataRequest, createMetadataRequestMetadataRequestTopic, createProduceRequest, createProduceRequestPartitionProduceData,
  createProduceRequestTopicProduceData, encodeRequestFrame,
} from '@millrace/protocol';

/** A small deterministic PRNG (mulberry32) so a failing run can be replayed from its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function frame(apiKey: number, version: number, body: object): Buffer {
  return encodeRequestFrame(apiKey, version, 7, 'fuzz', body);
}

/** Well-formed requests the mutations start from, across plain and flexible versions. */
export function seedFrames(topic: string, batch: Buffer): Buffer[] {
  const seeds: Buffer[] = [];
  for (const v of [0, 2, 3]) seeds.push(frame(ApiKey.ApiVersions, v, createApiVersionsRequest({ clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' })));
  for (const v of [1, 4, 9, 12]) {
    seeds.push(frame(ApiKey.Metadata, v, createMetadataRequest({ topics: [createMetadataRequestMetadataRequestTopic({ name: topic })], allowAutoTopicCreation: false })));
  }
  for (const v of [3, 7, 9, 11]) {
    seeds.push(frame(ApiKey.Produce, v, createProduceRequest({ acks: 1, timeoutMs: 1000, topicData: [createProduceRequestTopicProduceData({ name: topic, partitionData: [createProduceRequestPartitionProduceData({ index: 0, records: batch })] })] })));
  }
  for (const v of [4, 11, 12]) {
    seeds.push(frame(ApiKey.Fetch, v, createFetchRequest({ maxWaitMs: 0, minBytes: 0, maxBytes: 65536, topics: [createFetchRequestFetchTopic({ topic, partitions: [createFetchRequestFetchPartition({ partition: 0, fetchOffset: 0n, partitionMaxBytes: 65536 })] })] })));
  }
  for (const v of [1, 6]) {
    seeds.push(frame(ApiKey.ListOffsets, v, createListOffsetsRequest({ replicaId: -1, topics: [createListOffsetsRequestListOffsetsTopic({ name: topic, partitions: [createListOffsetsRequestListOffsetsPartition({ partitionIndex: 0, timestamp: -1n })] })] })));
  }
  return seeds;
}

/** One hostile frame. Sizes stay small: the point is malformed structure, not volume. */
export function mutate(rand: () => number, seeds: Buffer[]): Buffer {
  const pick = (n: number) => Math.floor(rand() * n);
  const kind = pick(6);
  if (kind === 0) {
    // Pure noise, including the size prefix.
    const bytes = Buffer.alloc(4 + pick(64));
    for (let i = 0; i < bytes.length; i++) bytes[i] = pick(256);
    return bytes;
  }
  const seed = Buffer.from(seeds[pick(seeds.length)]);
  if (kind === 1) {
    // Flip a few bytes after the header.
    for (let n = 1 + pick(4); n > 0; n--) seed[4 + pick(seed.length - 4)] = pick(256);
    return seed;
  }
  if (kind === 2) {
    // Truncate the body but keep the frame consistent.
    const cut = seed.subarray(0, 4 + pick(seed.length - 4));
    cut.writeInt32BE(cut.length - 4, 0);
    return cut;
  }
  if (kind === 3) {
    // A length or count field somewhere claims far more than is there.
    const at = 12 + pick(Math.max(1, seed.length - 16));
    if (at + 4 <= seed.length) seed.writeInt32BE(0x7fff0000 - pick(1000), at);
    return seed;
  }
  if (kind === 4) {
    // Unknown API key or version.
    seed.writeInt16BE(pick(2) === 0 ? 1000 + pick(30000) : pick(100), 4);
    seed.writeInt16BE(pick(2) === 0 ? pick(50) : -1 - pick(100), 6);
    return seed;
  }
  // Trailing garbage after a valid body.
  const extra = Buffer.alloc(1 + pick(16));
  for (let i = 0; i < extra.length; i++) extra[i] = pick(256);
  const grown = Buffer.concat([seed, extra]);
  grown.writeInt32BE(grown.length - 4, 0);
  return grown;
}
