import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseProperties } from '../config/broker-config.ts';
import { type Fs, writeFileDurably } from '@millrace/storage';

export interface ClusterIdentity {
  clusterId: string;
  nodeId: number;
}

/**
 * The cluster id is made once, when a data directory is first used, and kept in `meta.properties`
 * (Kafka's file and format), so clients see the same cluster across restarts. A data directory
 * that belongs to another node id is refused rather than silently adopted.
 */
export async function loadClusterIdentity(fs: Fs, dataDir: string, nodeId: number): Promise<ClusterIdentity> {
  const path = join(dataDir, 'meta.properties');
  const data = await fs.readFileIfExists(path);
  if (data !== null) {
    const props = parseProperties(data.toString('utf8'));
    const storedNode = Number(props['node.id']);
    if (storedNode !== nodeId) {
      throw new Error(`${path} belongs to node.id ${props['node.id']}, but this broker is node.id ${nodeId}`);
    }
    if (!props['cluster.id']) throw new Error(`${path} has no cluster.id`);
    return { clusterId: props['cluster.id'], nodeId };
  }
  const clusterId = randomBytes(16).toString('base64url');
  await writeFileDurably(fs, path, Buffer.from(`# Written by Millrace when this data directory was first used.\nversion=1\ncluster.id=${clusterId}\nnode.id=${nodeId}\n`));
  return { clusterId, nodeId };
}
