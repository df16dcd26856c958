#!/usr/bin/env node
/**
 * The root's `prepack`. `npm pack` at the repository root would pack the workspace root, whose
 * bundled workspace links npm gets wrong (see scripts/pack.mjs): say what to run instead.
 * npm also runs `prepack` before `npm run pack` (a pre-script of the script "pack"): then there
 * is nothing to refuse. `npm pack --workspaces` does not run it.
 */
if (process.env.npm_command === 'pack' || process.env.npm_command === 'publish') {
  process.stderr.write('npm pack: the repository root is not the package; run "npm run pack" (scripts/pack.mjs) for the installable tarball\n');
  process.exit(1);
}
