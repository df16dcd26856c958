#!/usr/bin/env node
/**
 * The root's `prepack`: `npm pack` at the repository root would pack the workspace root,
 * whose bundled workspace links npm gets wrong (see scripts/pack.mjs). Say what to run instead.
 * (`npm pack --workspaces` does not run this script.)
 */
process.stderr.write('npm pack: the repository root is not the package; run "npm run pack" (scripts/pack.mjs) for the installable tarball\n');
process.exit(1);
