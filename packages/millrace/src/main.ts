#!/usr/bin/env node
// The `millrace` command.
import { runCli } from './cli.ts';

// Started by bin/millrace.js, this process has an IPC channel to it: it must not keep a finished command alive.
process.channel?.unref();
process.exitCode = await runCli(process.argv.slice(2));
