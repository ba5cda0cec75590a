// Generates packages/protocol/src/messages from the Kafka message specs.
// Usage: node tools/codegen/main.ts [--check] [--specs DIR]
// --check regenerates in memory and fails when the committed output differs in any file.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generate } from './generate.ts';

const root = resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const check = args.includes('--check');
const specsAt = args.indexOf('--specs');
const specsDir = specsAt >= 0 ? resolve(args[specsAt + 1]) : resolve(root, '../shared/kafka-protocol/messages');
const outDir = join(root, 'packages/protocol/src/messages');

if (!existsSync(specsDir)) {
  console.error(`codegen: the Kafka message specs are not at ${specsDir} (pass --specs DIR)`);
  process.exit(2);
}

const files = generate(specsDir);
if (check) {
  const differing: string[] = [];
  for (const [name, text] of files) {
    const path = join(outDir, name);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) differing.push(name);
  }
  const stale = existsSync(outDir) ? readdirSync(outDir).filter((f) => !files.has(f)) : [];
  if (differing.length + stale.length > 0) {
    console.error(`codegen --check: generated code is out of date (${[...differing, ...stale].join(', ')}); run npm run codegen`);
    process.exit(1);
  }
  console.log(`codegen --check: ${files.size} files up to date`);
} else {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const [name, text] of files) writeFileSync(join(outDir, name), text);
  console.log(`codegen: wrote ${files.size} files to packages/protocol/src/messages`);
}
