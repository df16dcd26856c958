#!/usr/bin/env node
/**
 * Bundle `coord` (packages/coordinator/dist, after tsc) into packages/coordinator/bundle/.
 *
 * Why: Node 20 loads each ES module separately (resolve, read, compile, link), and `coord`
 * imports some 115 of them (yargs and its helpers, js-yaml, ours) before it does anything:
 * about half of its start-up. `coord run` and `coord submit` pay it once per sweep and
 * `coord status` on every call. One bundle with the dashboard's libraries and BullMQ
 * left external, and every dynamic import its own chunk, keeps what a command does not use
 * unloaded.
 *
 * Usage: node scripts/bundle-coord.mjs (part of `npm run build`)
 */
import { renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * string-width (yargs and its help layout bundle three copies) builds an Intl.Segmenter and
 * Unicode-property regular expressions when it is imported: about 28 ms of every `coord` start
 * in a slow hour, for help text that almost no command prints. Every import of it gets a
 * stand-in that loads the real module at its first call (esbuild runs a module reached by
 * require() only when the require runs).
 */
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(build) {
    build.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData?.real) return undefined;
      const real = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: { real: true } });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy-string-width' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-string-width' }, (args) => ({
      resolveDir: dirname(args.path),
      contents: `let width;\nexport default function stringWidth(text, options) {\n  width ??= require(${JSON.stringify(args.path)}).default;\n  return width(text, options);\n}\n`,
    }));
  },
};

const COORDINATOR = resolve(dirname(fileURLToPath(import.meta.url)), '../packages/coordinator');
const OUT = resolve(COORDINATOR, 'bundle');

// Built beside the old bundle and swapped in with two renames: a `coord` started meanwhile
// (a test running while another one packs, a researcher's status watch) never finds it missing.
const NEXT = `${OUT}.next-${process.pid}`;
const OLD = `${OUT}.old-${process.pid}`;
rmSync(NEXT, { recursive: true, force: true });
await build({
  entryPoints: [resolve(COORDINATOR, 'dist/cli.js')],
  outdir: NEXT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // BullMQ reads its Lua files beside its own code; Express, Bull Board and Chart.js serve only
  // the dashboard. ioredis is bundled: some 60 CommonJS files that `submit` and `status` load
  // at every start (BullMQ, where used, loads its own copy and takes our connections as they
  // are: it checks a client by its methods, not its class).
  external: ['bullmq', 'express', '@bull-board/*', 'chart.js'],
  // Bundled CommonJS (js-yaml's dependencies, yargs' helpers) may call require().
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  plugins: [lazyStringWidth],
  sourcemap: 'linked',
  logLevel: 'warning',
});
rmSync(OLD, { recursive: true, force: true });
try {
  renameSync(OUT, OLD);
} catch (error) {
  if (error.code !== 'ENOENT') throw error;
}
renameSync(NEXT, OUT);
rmSync(OLD, { recursive: true, force: true });
