import { readFileSync } from 'node:fs';
import { aclCommand } from './commands/acl.ts';
import { benchCommand } from './commands/bench.ts';
import { clusterCommand } from './commands/cluster.ts';
import { connectCommand } from './commands/connect.ts';
import { consumeCommand } from './commands/consume.ts';
import { groupCommand } from './commands/group.ts';
import { produceCommand } from './commands/produce.ts';
import { startCommand, devCommand } from './commands/start.ts';
import { topicCommand } from './commands/topic.ts';
import { userCommand } from './commands/user.ts';
import { quotaCommand } from './commands/quota.ts';

const USAGE = `millrace: a Kafka-compatible event streaming broker

Usage:
  millrace dev                      start a broker for development (data in ./.millrace/data, port 9092)
  millrace dev --brokers 3          start etcd and a replicated cluster of 3 brokers (ports 9092-9094)
  millrace start --data-dir DIR     start a broker
       [--host 127.0.0.1] [--port 9092] [--config server.properties] [--set key=value ...]
       [--node-id N --etcd http://127.0.0.1:2379]   join a cluster whose metadata is in that etcd
       [--add-scram 'SCRAM-SHA-256=[name=admin,password=...]']   create a SCRAM user if it does not exist
  millrace topic create|list|describe|delete|alter-config|add-partitions ...
                                    topics and their settings (millrace topic --help)
  millrace produce TOPIC [-k SEP] [-H key=value] [-p N] [-z CODEC] [FILE]
                                    send one record per line (millrace produce --help)
  millrace consume TOPIC [-o OFFSET] [-n COUNT] [-f] [-g GROUP] [--format FORMAT]
                                    print records (millrace consume --help)
  millrace cluster info             the cluster id, brokers and controller
  millrace user add|list|remove ... SCRAM users (millrace user --help)
  millrace acl add|list|remove ...  ACLs, with kafka-acls.sh's options (millrace acl --help)
  millrace quota set|list|remove ... client quotas on users, client ids and IPs (millrace quota --help)
  millrace bench produce|consume|e2e TOPIC
                                    throughput and end-to-end latency against a broker (millrace bench --help)
  millrace group list|describe|reset-offsets|delete ...
                                    consumer groups, their lag, and their offsets (millrace group --help)
  millrace connect standalone WORKER.properties [CONNECTOR.properties...]
                                    run a Kafka Connect worker with those connectors (millrace connect --help)
  millrace connect distributed WORKER.properties
                                    run a worker of a Kafka Connect group; REST API on port 8083
  millrace help                     show this text (millrace COMMAND --help: a command's own)
  millrace --version                the version of millrace

Client commands take --brokers HOST:PORT[,...] (or $MILLRACE_BROKERS; default 127.0.0.1:9092),
--command-config FILE (Kafka client properties for TLS and SASL; see docs/security.md) and
--output table|json. Exit codes: 0 done, 1 the operation failed, 2 the command line is wrong.
Settings use Kafka's server.properties names (num.partitions, log.segment.bytes, ...);
see docs/configuration.md.`;

function version(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Runs one command line and returns the process exit code (the broker commands return when stopped). */
export async function runCli(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'start':
      return startCommand(rest);
    case 'dev':
      return devCommand(rest);
    case 'topic':
      return topicCommand(rest);
    case 'produce':
      return produceCommand(rest);
    case 'consume':
      return consumeCommand(rest);
    case 'group':
      return groupCommand(rest);
    case 'cluster':
      return clusterCommand(rest);
    case 'user':
      return userCommand(rest);
    case 'acl':
      return aclCommand(rest);
    case 'quota':
      return quotaCommand(rest);
    case 'bench':
      return benchCommand(rest);
    case 'connect':
      return connectCommand(rest);
    case '--version':
    case '-V':
    case 'version':
      console.log(`millrace ${version()}`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`millrace: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}
