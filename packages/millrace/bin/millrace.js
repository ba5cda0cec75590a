#!/usr/bin/env node
// Runs the TypeScript sources directly: the development condition resolves the workspace packages to
// their sources, and Node strips the types (without a flag from 22.18 and 23.6 on).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18) || (major === 23 && minor < 6)) {
  console.error(`millrace: Node.js 22.18 or later is needed (this is ${process.version}, which cannot run TypeScript without a flag)`);
  process.exit(2);
}

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
// Node 22 calls node:sqlite (the data directory's lock) experimental at every start; it is not news to a user.
const flags = major === 22 ? ['--disable-warning=ExperimentalWarning'] : [];
// The IPC channel lets the broker notice this wrapper's death (a SIGKILL cannot be passed on) and shut down.
const child = spawn(process.execPath, [...flags, '--conditions=development', main, ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
// Passed on (a terminal's Ctrl-C reaches the child twice: from the terminal and from here; it minds the first).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
