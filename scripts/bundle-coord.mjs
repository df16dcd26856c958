#!/usr/bin/env node
/**
 * Bundle `coord` (packages/coordinator/dist, after tsc) into packages/coordinator/bundle/.
 *
 * Why: Node 20 loads each ES module separately (resolve, read, compile, link), and `coord`
 * imports some 115 of them (yargs and its helpers, js-yaml, ours) before it does anything:
 * about half of its start-up. `coord run` and `coord submit` pay it once per sweep and
 * `coord status` on every call. One bundle with the heavy libraries (BullMQ, ioredis,
 * Express) left external, and every dynamic import its own chunk, keeps them loaded only by
 * the commands that use them.
 *
 * Usage: node scripts/bundle-coord.mjs (part of `npm run build`)
 */
import { rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const COORDINATOR = resolve(dirname(fileURLToPath(import.meta.url)), '../packages/coordinator');
const OUT = resolve(COORDINATOR, 'bundle');

rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: [resolve(COORDINATOR, 'dist/cli.js')],
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Loaded only by some commands, large, or reading files beside their own code (BullMQ's Lua).
  external: ['bullmq', 'ioredis', 'express', '@bull-board/*', 'chart.js'],
  // Bundled CommonJS (js-yaml's dependencies, yargs' helpers) may call require().
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});
