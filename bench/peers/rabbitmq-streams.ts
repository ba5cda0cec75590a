// RabbitMQ Streams in the peer comparison: Debian's rabbitmq-server as a private node (its own node
// name, ports, Erlang cookie, epmd and data, all under one temp directory) with the stream plugin on
// loopback; produce, consume and end-to-end latency run by rabbitmq-streams-worker.ts in child processes.
// The stream keeps the server's defaults, as its users run it: a publish is confirmed once the one
// node has written it to the stream's segment file, a write into the OS page cache with no fsync
// (seen with strace: the VM fsyncs only metadata when the stream is created, never during produce).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../../compat/harness/broker-process.ts';
import { runTool } from '../../compat/harness/run-tool.ts';
import { type PeerServer, runWorkloads, startServer } from './server-process.ts';
import { rssMb, type SystemResult, type Workload } from './workload.ts';

const BIN = '/usr/lib/rabbitmq/bin';
const WORKER = join(import.meta.dirname, 'rabbitmq-streams-worker.ts');
const CLIENT = 'rabbitmq-stream-js-client';
const CTL_TIMEOUT_MS = 60_000;

/** `count` distinct free ports (freePort alone may hand out the same one twice). */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Runs a RabbitMQ CLI tool (rabbitmqctl, rabbitmq-diagnostics) against the node in `env`. */
async function cli(tool: string, env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  const run = await runTool(join(BIN, tool), ['-n', env.RABBITMQ_NODENAME!, ...args], { timeoutMs: CTL_TIMEOUT_MS, allowFailure: true, env: { ...process.env, ...env } });
  if (run.code !== 0) throw new Error(`${tool} ${args.join(' ')} exited with ${run.code}: ${run.stderr || run.stdout}`);
  return run.stdout.trim();
}

/** Stops the node, then whatever of it is left: the Erlang VM if it outlived its start script, and our epmd. */
async function stopNode(env: NodeJS.ProcessEnv, server: PeerServer | undefined): Promise<void> {
  const pidFile = env.RABBITMQ_PID_FILE!;
  const beamPid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
  // `stop PIDFILE` returns once the VM has exited; should it fail, the SIGTERM of server.stop() (which
  // the start script passes on to the VM) and the SIGKILL below are left to do it.
  if (server) await cli('rabbitmqctl', env, ['stop', pidFile]).catch(() => undefined);
  await server?.stop();
  // Checked by name: once gone, its pid may already be another process's.
  const comm = `/proc/${beamPid}/comm`;
  if (beamPid && existsSync(comm) && readFileSync(comm, 'utf8').trim() === 'beam.smp') process.kill(beamPid, 'SIGKILL');
  await runTool('epmd', ['-kill'], { timeoutMs: CTL_TIMEOUT_MS, allowFailure: true, env: { ...process.env, ...env } });
}

export async function benchRabbitMqStreams(workload: Workload): Promise<SystemResult> {
  const [amqpPort, streamPort, distPort, epmdPort] = await freePorts(4);
  let env: NodeJS.ProcessEnv = {};
  let server: PeerServer | undefined;
  try {
    // The start script reads everything from its environment, and the files it names must exist
    // before it runs, so both are made here, in the directory startServer creates.
    const startCommand = (dir: string): string[] => {
      const node = `bench-${amqpPort}@localhost`;
      env = {
        // The Erlang cookie lives in HOME, so a private HOME makes a private cookie.
        HOME: dir,
        RABBITMQ_NODENAME: node,
        RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
        RABBITMQ_NODE_PORT: String(amqpPort),
        RABBITMQ_DIST_PORT: String(distPort),
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
        // Our own epmd, on loopback, so stopping it touches no other Erlang node on the machine.
        ERL_EPMD_PORT: String(epmdPort),
        ERL_EPMD_ADDRESS: '127.0.0.1',
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        RABBITMQ_PID_FILE: join(dir, `${node}.pid`),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
        RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
        // A file that does not exist, instead of /etc/rabbitmq/rabbitmq-env.conf: nothing of the
        // machine's own RabbitMQ applies.
        RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
      };
      writeFileSync(env.RABBITMQ_ENABLED_PLUGINS_FILE!, '[rabbitmq_stream].\n');
      // The advertised host is where clients connect for a stream's leader (by default the node's
      // host name, localhost, which may resolve to ::1). guest/guest stays as by default: allowed
      // from loopback only, which is where the workers are.
      writeFileSync(env.RABBITMQ_CONFIG_FILE!, `stream.listeners.tcp.1 = 127.0.0.1:${streamPort}\nstream.advertised_host = 127.0.0.1\n`);
      return [...Object.entries(env).map(([name, value]) => `${name}=${value}`), join(BIN, 'rabbitmq-server')];
    };
    // Ready when the stream listener accepts: it opens as the plugin starts, near the end of the boot
    // (about 5 s on 2 cores); await_startup then confirms the boot completed.
    server = await startServer('rabbitmq', 'env', startCommand, streamPort);
    await cli('rabbitmqctl', env, ['await_startup']);
    const serverVersion = await cli('rabbitmq-diagnostics', env, ['server_version', '--quiet']);
    const beamPid = Number(readFileSync(env.RABBITMQ_PID_FILE!, 'utf8'));

    const measured = await runWorkloads(WORKER, streamPort, workload);
    const serverRssMb = rssMb(beamPid);
    const clientVersion = (JSON.parse(readFileSync(resolve(import.meta.dirname, '../../node_modules', CLIENT, 'package.json'), 'utf8')) as { version: string }).version;
    return {
      system: 'RabbitMQ Streams',
      serverVersion,
      client: `${CLIENT} ${clientVersion}`,
      durability: 'confirm after the write to the OS page cache, no fsync (one node)',
      ...measured,
      serverRssMb,
    };
  } finally {
    // Nothing to stop if the start script never ran (env is filled in just before).
    if (env.RABBITMQ_NODENAME) await stopNode(env, server);
  }
}
