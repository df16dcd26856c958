#!/usr/bin/env node
/**
 * `npm run pack`: one self-contained tarball, sweep-runner-<version>.tgz, whose `coord` and
 * `agent` commands work after `npm install -g ./sweep-runner-<version>.tgz` (or
 * `npx -p ./sweep-runner-<version>.tgz coord ...`), even on a machine without registry access.
 *
 * Why not `npm pack` at the repository root with bundleDependencies: the workspace packages
 * are private and depend on each other, so they must travel inside the tarball, and npm 11
 * gets bundled workspace links wrong: it stores a link's nested node_modules under its
 * source path (packages/agent/node_modules/nanoid) rather than under
 * node_modules/@sweep-runner/agent/, so the installed `agent` cannot find nanoid 5.
 * Why not bundle only the workspace packages and let npm fetch the rest: `npm install -g`
 * then leaves the fetched dependencies of a bundling package empty (npm 11.19).
 * So we assemble the package npm should see, with every production dependency bundled, as
 * npm itself is published:
 *
 *   1. build (`npm run build`: tsc -b, then the bundle of `coord`) and `npm pack --workspaces`: each package as its "files" list says;
 *   2. a stage with the root package.json, the root package-lock.json and those packages,
 *      where `npm ci --omit=dev` installs exactly the locked production dependencies;
 *   3. the workspace links in the stage's node_modules replaced by the packages themselves
 *      (with their nested node_modules);
 *   4. the stage's package.json replaced by the published one: bin coord and agent (two-line
 *      wrappers), every dependency bundled; README.md, docs/ and examples/ alongside;
 *   5. `npm pack` of the stage.
 *
 * Bundled packages never run install scripts, so native add-ons come prebuilt for the packing
 * platform (msgpackr-extract, optional: msgpackr falls back to JavaScript elsewhere).
 *
 * Usage: node scripts/pack.mjs [--out DIR] [--no-build] [--json]
 * Prints the tarball's path (with --json: {"tarball", "name", "version", "bin", "dependencies"}).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Files and folders of the repository that ship with the package, for a newcomer to read. */
const DOCS = ['README.md', 'docs', 'examples'];

class PackError extends Error {
  code = 'E_PACK';
}

function parseArgs(argv) {
  const options = { out: process.cwd(), build: true, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out') {
      const value = argv[++i];
      if (!value) throw new PackError('--out needs a directory');
      options.out = resolve(value);
    } else if (arg === '--no-build') options.build = false;
    else if (arg === '--json') options.json = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: node scripts/pack.mjs [--out DIR] [--no-build] [--json]\n');
      process.exit(0);
    } else throw new PackError(`unknown argument "${arg}" (see --help)`);
  }
  return options;
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function writeJson(path, value) {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Runs a command with its output on our stderr (stdout is for the result), throwing on failure. */
function run(command, args, cwd, { capture = false } = {}) {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', capture ? 'pipe' : 2, 2] });
  } catch (error) {
    throw new PackError(`${command} ${args.join(' ')} (in ${cwd}) failed with ${error.signal ?? `exit code ${error.status}`}`);
  }
}

/**
 * The third-party dependencies of all workspace packages, merged. Two packages asking for
 * different ranges of one dependency is an error: the published package can name only one.
 */
function mergeDependencies(workspaces, workspaceNames) {
  const merged = {};
  const wantedBy = {};
  const problems = [];
  for (const pkg of workspaces) {
    for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
      if (workspaceNames.has(name)) continue;
      if (merged[name] !== undefined && merged[name] !== range) {
        problems.push(`${name}: ${wantedBy[name]} wants ${merged[name]}, ${pkg.name} wants ${range}; use one range in both package.json files`);
        continue;
      }
      merged[name] = range;
      wantedBy[name] = pkg.name;
    }
  }
  if (problems.length > 0) throw new PackError(`the workspace packages disagree on dependencies:\n  ${problems.join('\n  ')}`);
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const root = readJson(join(ROOT, 'package.json'));
  const workspaceDirs = root.workspaces ?? [];
  const workspaces = workspaceDirs.map((dir) => readJson(join(ROOT, dir, 'package.json')));
  const workspaceNames = new Set(workspaces.map((pkg) => pkg.name));

  if (options.build) run('npm', ['run', 'build'], ROOT);
  for (const [i, pkg] of workspaces.entries()) {
    for (const built of ['dist', 'bundle'].filter((dir) => (pkg.files ?? []).includes(dir))) {
      const dir = join(ROOT, workspaceDirs[i], built);
      if (!existsSync(dir)) throw new PackError(`${pkg.name} is not built (${dir} is missing): run "npm run build" or drop --no-build`);
    }
  }

  const stage = mkdtempSync(join(tmpdir(), 'sweep-runner-pack-'));
  try {
    // 1. Each workspace package as npm packs it, unpacked where the workspace lives.
    const tarballs = join(stage, '.workspaces');
    mkdirSync(tarballs);
    const packed = JSON.parse(run('npm', ['pack', '--workspaces', '--json', '--pack-destination', tarballs], ROOT, { capture: true }));
    const tarballOf = new Map(packed.map((entry) => [entry.name, join(tarballs, entry.filename)]));
    for (const [i, pkg] of workspaces.entries()) {
      const target = join(stage, workspaceDirs[i]);
      mkdirSync(target, { recursive: true });
      run('tar', ['-xzf', tarballOf.get(pkg.name), '-C', target, '--strip-components=1'], stage);
    }
    rmSync(tarballs, { recursive: true });

    // 2. Exactly the locked production dependencies. No install scripts: bundled packages
    // never run theirs on the user's machine either.
    writeJson(join(stage, 'package.json'), root);
    cpSync(join(ROOT, 'package-lock.json'), join(stage, 'package-lock.json'));
    run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], stage);

    // 3. Workspace links -> the packages themselves.
    for (const [i, pkg] of workspaces.entries()) {
      const link = join(stage, 'node_modules', pkg.name);
      if (!lstatSync(link).isSymbolicLink()) throw new PackError(`expected npm ci to link ${pkg.name} at ${link}`);
      rmSync(link);
      renameSync(join(stage, workspaceDirs[i]), link);
    }
    for (const item of ['package-lock.json', 'node_modules/.package-lock.json', 'node_modules/.bin']) rmSync(join(stage, item), { recursive: true, force: true });
    for (const dir of new Set(workspaceDirs.map((dir) => dir.split('/')[0]))) rmSync(join(stage, dir), { recursive: true, force: true });

    // 4. The published package.json, a wrapper per command, the docs.
    const bin = {};
    mkdirSync(join(stage, 'bin'));
    for (const pkg of workspaces) {
      for (const [command, path] of Object.entries(pkg.bin ?? {})) {
        const file = join(stage, 'bin', `${command}.js`);
        const specifier = `${pkg.name}/${path.replace(/^\.\//, '')}`;
        writeFileSync(file, `#!/usr/bin/env node\n// The \`${command}\` command of ${pkg.name}, bundled in this package.\nimport '${specifier}';\n`);
        chmodSync(file, 0o755);
        bin[command] = `bin/${command}.js`;
      }
    }
    for (const item of DOCS) {
      if (!existsSync(join(ROOT, item))) continue;
      // Leave out what running the examples writes (their output/ directories).
      cpSync(join(ROOT, item), join(stage, item), { recursive: true, filter: (source) => !/[\\/]output$/.test(source) });
    }
    const dependencies = mergeDependencies(workspaces, workspaceNames);
    for (const pkg of workspaces) dependencies[pkg.name] = pkg.version;
    const manifest = {
      name: root.name,
      version: root.version,
      description: root.description,
      type: 'module',
      bin,
      files: ['bin', ...DOCS.filter((item) => existsSync(join(stage, item)))],
      engines: root.engines,
      dependencies,
      bundleDependencies: Object.keys(dependencies),
      ...(root.license !== undefined && { license: root.license }),
      ...(root.repository !== undefined && { repository: root.repository }),
    };
    writeJson(join(stage, 'package.json'), manifest);

    // 5. The tarball.
    mkdirSync(options.out, { recursive: true });
    const [result] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', options.out], stage, { capture: true }));
    const tarball = join(options.out, result.filename);
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ tarball, name: manifest.name, version: manifest.version, bin: Object.keys(bin), dependencies }, null, 2)}\n`);
    } else {
      process.stdout.write(`${tarball}\n`);
      process.stderr.write(`install it with: npm install -g ${tarball}\n`);
    }
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  process.stderr.write(`pack: ${error instanceof PackError ? error.message : (error?.stack ?? String(error))}\n`);
  process.exit(1);
}
