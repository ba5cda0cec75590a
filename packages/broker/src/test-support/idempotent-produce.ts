// An idempotent producer on the wire for broker tests: a producer id from InitProducerId, then
// batches of 3 records to one partition at the sequences a test chooses (acks=all).
import {
  ApiKey, createInitProducerIdRequest, createProduceRequest, createProduceRequestPartitionProduceData, createProduceRequestTopicProduceData, type InitProducerIdResponse,
  type ProduceResponse, type ProduceResponsePartitionProduceResponse,
} from '@millrace/protocol';
import { testBatch } from '../../../storage/src/test-batches.ts';
import type { WireClient } from './wire-client.ts';

export async function idempotentProducer(client: WireClient, topic: string, partition: number): Promise<(baseSequence: number) => Promise<ProduceResponsePartitionProduceResponse>> {
  const { producerId } = await client.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, createInitProducerIdRequest({ transactionalId: null, transactionTimeoutMs: 60_000 }));
  return async (baseSequence) => {
    const response = await client.request<ProduceResponse>(ApiKey.Produce, 8, createProduceRequest({
      acks: -1, timeoutMs: 10_000,
      topicData: [createProduceRequestTopicProduceData({ name: topic, partitionData: [createProduceRequestPartitionProduceData({
        index: partition, records: testBatch({ records: 3, producerId: Number(producerId), producerEpoch: 0, baseSequence }),
      })] })],
    }));
    return response.responses[0].partitionResponses[0];
  };
}
