import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';

/**
 * Runs `source` as a TypeScript file of its own (`path`) in a child Node process, and resolves
 * once it prints `ready` on its standard output; `kill()` SIGKILLs it and waits for it to be gone.
 * For what must hold after a process dies mid-work: files, locks.
 */
export async function startScript(path: string, source: string, ready: string): Promise<{ kill(): Promise<void> }> {
  writeFileSync(path, source);
  // Not process.execArgv: under `node --test` it carries the runner's own flags, and the child would run as a test runner.
  const child = spawn(process.execPath, ['--conditions=development', path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk).includes(ready) && resolve());
    void exited.then(([code]) => reject(new Error(`${path} exited (${code}) before printing "${ready}"`)));
  });
  return {
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
