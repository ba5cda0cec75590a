import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A program of ours (a Streams example, a `millrace` command) running in its own process, as a user starts it. */
export interface AppProcess {
  process: ChildProcess;
  output(): string;
  /** Sends a signal and waits for the exit: the exit code, or the signal that killed it. */
  stop(signal: NodeJS.Signals): Promise<number | string>;
}

/** How long an instance may take to stop before it is killed. */
const STOP_TIMEOUT_MS = 60_000;

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function startExample(script: string, args: string[]): AppProcess {
  return startProcess([`examples/streams/${script}`, ...args]);
}

/** Runs `node ARGS...` from the repository's root; its standard output and error are collected together. */
export function startProcess(args: string[]): AppProcess {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let log = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  const exited = once(child, 'exit').then(([code, signal]) => {
    running.delete(child);
    return (code ?? signal) as number | string;
  });
  return {
    process: child,
    output: () => log,
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      // One that does not stop is killed, and says so: a test fails rather than hanging.
      const timer = setTimeout(() => {
        log += `\n(did not stop within ${STOP_TIMEOUT_MS / 1000} s of ${signal}: SIGKILL)\n`;
        child.kill('SIGKILL');
      }, STOP_TIMEOUT_MS);
      return exited.finally(() => clearTimeout(timer));
    },
  };
}
