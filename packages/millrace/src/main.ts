#!/usr/bin/env node
// The `millrace` command.
import { runCli } from './cli.ts';

process.exitCode = await runCli(process.argv.slice(2));
