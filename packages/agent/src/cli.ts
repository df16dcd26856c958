/**
 * `agent`: run on each GPU machine. Registers its GPUs as slots, takes tasks from the
 * queue, runs them locally and reports back. Only the entry point prints errors and exits.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { checkPrefix, connectionSettings, DEFAULT_PREFIX, describeFailure, dropOutputOnceClosed, refuseRepeatedOptions, EXIT_UNREACHABLE, isLoopback, isUsageError, loadSecrets, onRedisClientWarning, explainUsage, prepareWritableDirectory, answerCompletionHelp, completionShellArgs, tidyCompletion, signatureProblem, sweepRecordSigned, UsageError, isMigDevice } from '@sweep-runner/shared';
import { customAlphabet } from 'nanoid';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { Agent } from './agent.js';
import { DEFAULT_PAUSE_AFTER_FAILURES, QUICK_SECONDS } from './run/failure-streak.js';
import { nvidiaSmiRefusal, parseGpuSlots } from './gpu/gpu-slots.js';
import { isMigUuid } from './gpu/gpu-uuids.js';
import { queryGpus } from './gpu/nvidia-smi.js';
import { parseMemoryMiB } from './gpu/memory-size.js';
import { createLogger, exitAfterLogs, type LogFormat } from './log.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const args = completionShellArgs('agent', hideBin(process.argv));
const cli = yargs(args)
  .scriptName('agent')
  .usage('$0 [options]\n\nRun sweep tasks on this machine: registers its GPUs as slots, pulls tasks it can start, reports results.')
  .option('gpus', { type: 'string', describe: 'GPU slots: 0,1 (one task per GPU), 0,1,0,1 (two per GPU), auto (each GPU nvidia-smi lists, or its MIG devices), or UUIDs as nvidia-smi -L prints them (GPU-...,GPU-...)' })
  .option('cpu-slots', { type: 'number', default: 0, describe: 'CPU-only tasks (gpus: 0) run at once' })
  // No yargs default: it would fill in a bare --pool as well, which must be refused.
  .option('pool', { type: 'string', array: true, describe: 'pools to serve (several allowed) [default: default]' })
  .option('workdir', { type: 'string', default: '.', describe: 'where outputs go; commands run here' })
  .option('name', { type: 'string', describe: 'agent name (default: host name plus a short id)' })
  .option('redis', { type: 'string', describe: 'Redis URL (default: $REDIS_URL or redis://127.0.0.1:6379)' })
  .option('prefix', { type: 'string', default: process.env.RUNNER_PREFIX ?? DEFAULT_PREFIX, describe: 'key prefix ($RUNNER_PREFIX)' })
  .option('tls-ca', { type: 'string', describe: 'CA certificate for rediss://' })
  .option('tls-cert', { type: 'string', describe: 'client certificate for rediss://' })
  .option('tls-key', { type: 'string', describe: 'client key for rediss://' })
  .option('lock-ms', { type: 'number', default: 60_000, describe: 'job lock time: a dead agent\'s tasks move on after about 1 to 2x this' })
  .option('drain-timeout', { type: 'number', describe: 'seconds to wait for running tasks after the first SIGTERM, then stop them and hand them back (default: no limit)' })
  .option('kill-grace', { type: 'number', default: 10, describe: 'seconds between SIGTERM and SIGKILL when stopping a task' })
  .option('log-lines', { type: 'number', default: 10_000, describe: 'log lines kept in Redis per command' })
  .option('heartbeat-ms', { type: 'number', default: 5000, describe: 'how often the agent reports itself' })
  .option('log-format', { choices: ['pretty', 'json'] as const, describe: 'operator log format (default: pretty on a terminal, else json)' })
  .option('metrics-port', { type: 'number', describe: 'serve Prometheus metrics on this port (/metrics, /healthz)' })
  .option('metrics-host', { type: 'string', default: '127.0.0.1', describe: 'address for --metrics-port (0.0.0.0: all)' })
  .option('min-free-mem', { type: 'string', describe: 'start a task on a GPU only if nvidia-smi reports this much free memory on it (e.g. 8G)' })
  .option('secret-file', { type: 'string', describe: 'job secret(s), one per line, mode 600 (or $RUNNER_SECRET, comma-separated): refuse unsigned jobs' })
  .option('pause-after-failures', {
    type: 'number',
    default: DEFAULT_PAUSE_AFTER_FAILURES,
    describe: `take no work for a minute after this many tasks in a row failed within ${QUICK_SECONDS} s of starting (0: never)`,
  })
  .option('insecure', { type: 'boolean', default: false, describe: 'allow running without a job secret against a Redis that is not at a loopback address' })
  .strict()
  .help()
  .alias('h', 'help')
  .version(version)
  .fail((message, error) => {
    // yargs' own errors (an unknown or misspelt flag) read as coord's do.
    if (error && error.name !== 'YError') throw error;
    throw new UsageError(explainUsage(error?.message ?? message, cli, { program: 'agent' }));
  });
cli.middleware((argv) => refuseRepeatedOptions(argv, cli));
// Completion words as people type them (-y, --no-param-dir), from the options of the command being completed.
cli.completion('completion', 'Print a bash/zsh completion script: agent completion >> ~/.bashrc', tidyCompletion(cli));

answerCompletionHelp('agent', args);

// yargs may fail before parseAsync returns its promise: one try holds both ways (a mistyped
// flag printed a stack trace, and exited 1, which a service manager restarts forever).
async function parseArguments(): Promise<Awaited<ReturnType<typeof cli.parseAsync>>> {
  try {
    return await cli.parseAsync();
  } catch (error) {
    process.stderr.write(`agent: ${(error as Error).message}\n`);
    process.exit(2);
  }
}

const argv = await parseArguments();

async function main(): Promise<void> {
  dropOutputOnceClosed();
  const format: LogFormat = argv['log-format'] ?? (process.stderr.isTTY ? 'pretty' : 'json');
  const log = createLogger(format);
  // ioredis' own warnings (a password Redis does not need) become one line of our log.
  onRedisClientWarning((text) => log.warn(text));
  const { slots: gpuSlots, uuids: gpuUuids } = await parseGpuSlots(argv.gpus);
  const migs = gpuSlots.filter(isMigDevice);
  const cpuSlots = argv['cpu-slots'];
  if (!Number.isInteger(cpuSlots) || cpuSlots < 0) throw new UsageError('--cpu-slots must be a whole number');
  if (gpuSlots.length === 0 && cpuSlots === 0) throw new UsageError('nothing to run tasks on: give --gpus 0,1 (or auto) and/or --cpu-slots N');
  // yargs turns "abc" into NaN: every number is checked here, once, with its sensible range.
  const check = (flag: 'lock-ms' | 'drain-timeout' | 'kill-grace' | 'log-lines' | 'heartbeat-ms' | 'pause-after-failures' | 'metrics-port', ok: (value: number) => boolean, what: string) => {
    const value = argv[flag];
    if (value === undefined || ok(value)) return;
    throw new UsageError(`--${flag} must be ${what} (got ${Number.isNaN(value) ? 'something that is not a number' : value})`);
  };
  check('lock-ms', (v) => Number.isFinite(v) && v >= 1000, 'at least 1000 (milliseconds)');
  const lockMs = argv['lock-ms'];
  check('drain-timeout', (v) => v >= 0, 'a number of seconds, 0 or more');
  check('kill-grace', (v) => v >= 0, 'a number of seconds, 0 or more');
  check('log-lines', (v) => Number.isInteger(v) && v >= 1, 'a whole number of lines, 1 or more');
  check('heartbeat-ms', (v) => v >= 100, 'at least 100 (milliseconds)');
  check('pause-after-failures', (v) => Number.isInteger(v) && v >= 0, 'a whole number of tasks, 0 or more');
  check('metrics-port', (v) => Number.isInteger(v) && v >= 0 && v <= 65535, 'a port number, 0 to 65535');
  const pools = [...new Set((argv.pool ?? ['default']).flatMap((p) => p.split(',')).filter(Boolean))];
  if (pools.length === 0) throw new UsageError('--pool needs a pool name, e.g. --pool default');
  for (const pool of pools) if (!/^[\w.-]+$/.test(pool)) throw new UsageError(`--pool "${pool}": use letters, digits, "_", "-" or "."`);
  checkPrefix(argv.prefix);
  const name = argv.name ?? `${hostname()}-${customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 4)()}`;
  if (!/^[\w.@-]+$/.test(name)) throw new UsageError(`--name "${name}": use letters, digits, "_", "-", "." or "@"`);
  const connection = connectionSettings(argv.redis, {
    ...(argv['tls-ca'] !== undefined && { ca: argv['tls-ca'] }),
    ...(argv['tls-cert'] !== undefined && { cert: argv['tls-cert'] }),
    ...(argv['tls-key'] !== undefined && { key: argv['tls-key'] }),
  });
  const secrets = loadSecrets({
    ...(process.env.RUNNER_SECRET !== undefined && { env: process.env.RUNNER_SECRET }),
    ...(argv['secret-file'] !== undefined && { file: argv['secret-file'] }),
  });
  if (secrets.length === 0 && !isLoopback(connection.target.host) && !argv.insecure) {
    throw new UsageError(
      `Redis at ${connection.target.host} is not a loopback address (127.0.0.1, ::1, localhost), so it may be reached from other machines, and without a job secret anyone who can write to it can run commands here: set RUNNER_SECRET (or --secret-file), or pass --insecure if you accept that`,
    );
  }
  let minFreeMiB: number | undefined;
  if (argv['min-free-mem'] !== undefined) {
    minFreeMiB = parseMemoryMiB(argv['min-free-mem']);
    if (minFreeMiB === undefined) throw new UsageError(`--min-free-mem "${argv['min-free-mem']}": write a size such as 8G, 8000M or 512 (MiB)`);
    if (gpuSlots.length === 0) throw new UsageError('--min-free-mem needs GPUs (--gpus)');
    const mig = Object.values(gpuUuids).filter(isMigUuid);
    if (mig.length > 0) {
      // Under auto the MIG devices were found, not given: named as status names them, with the whole GPUs to give instead.
      const auto = argv.gpus === 'auto';
      const whole = [...new Set(gpuSlots.filter((slot) => !isMigDevice(slot)))];
      const devices = auto ? `${migs.join(', ')}, found by --gpus auto` : mig.join(', ');
      const instead = !auto ? ', or give whole GPUs' : whole.length > 0 ? `, or give the GPUs not in MIG mode (--gpus ${whole.join(',')})` : '';
      throw new UsageError(`--min-free-mem cannot be checked on MIG devices (${devices}): nvidia-smi gives the free memory of whole GPUs only; drop --min-free-mem${instead}`);
    }
    // Asked once now: without nvidia-smi every GPU would read as busy, and the agent idle for good.
    await queryGpus().catch((error: Error) => {
      throw nvidiaSmiRefusal('--min-free-mem', error, 'drop --min-free-mem');
    });
  }
  const workdir = resolve(argv.workdir);
  // Commands run in the workdir: one just made holds none of the scripts they call.
  const madeWorkdir = prepareWritableDirectory(workdir, '--workdir');
  if (madeWorkdir) log.warn({ workdir }, `--workdir ${argv.workdir} did not exist, so it was created empty; commands run there, so unless they call their scripts by absolute paths, pass your code checkout as --workdir`);
  // Read now, and gone from the environment the commands inherit: a training script that logs
  // its environment (or code it imports) would otherwise carry the job secret and Redis's
  // password into log files, Redis's log streams and the dashboard.
  for (const variable of ['RUNNER_SECRET', 'REDIS_URL']) delete process.env[variable];
  // Said once every option is found good: a refused start says one thing.
  if (migs.length > 0 && migs.length < gpuSlots.length) {
    log.warn({ migDevices: migs.join(','), gpus: gpuSlots.filter((slot) => !migs.includes(slot)).join(',') }, 'MIG devices beside whole GPUs: every task gets one GPU here (a CUDA process sees one MIG device at most), so tasks of more GPUs go to other agents');
  }
  const agent = new Agent({
    name,
    host: hostname(),
    gpuSlots,
    gpuUuids,
    cpuSlots,
    pools,
    workdir,
    prefix: argv.prefix,
    connection,
    lockMs,
    stalledCheckMs: Math.max(500, Math.round(lockMs / 2)),
    killGraceMs: argv['kill-grace'] * 1000,
    logLines: argv['log-lines'],
    pauseAfterFailures: argv['pause-after-failures'],
    heartbeatMs: argv['heartbeat-ms'],
    insecure: secrets.length === 0 && !isLoopback(connection.target.host),
    signedOnly: secrets.length > 0,
    version,
    log,
    verify: (data) => (secrets.length > 0 ? signatureProblem(data, secrets) : undefined),
    trustsSweepRecord: (sweepId, fields, signature) => secrets.length === 0 || sweepRecordSigned(sweepId, fields, signature, secrets),
    ...(minFreeMiB !== undefined && { minFreeMiB }),
    ...(argv['metrics-port'] !== undefined && { metricsPort: argv['metrics-port'], metricsHost: argv['metrics-host'] }),
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      log.info({ signal }, 'signal received');
      void agent.drain(argv['drain-timeout'] === undefined ? undefined : argv['drain-timeout'] * 1000).then(() => exitAfterLogs(log, 0));
    } else {
      void agent.stopNow().then(() => exitAfterLogs(log, 0));
    }
  };
  // SIGHUP: the terminal closed (an ssh connection dropped). Left to its default, it would end
  // the agent at once, its running commands with it.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, onSignal);
  await agent.start();
}

try {
  await main();
} catch (error) {
  const known = isUsageError(error) || (error as { code?: unknown }).code === 'E_EXIT';
  // Redis refusing a command at start-up (an ACL without a key or command we need) reads as
  // coord's refusals do, with the same exit status as a failed login.
  const refusal = known ? undefined : describeFailure(error);
  if (refusal?.refused) {
    process.stderr.write(`agent: cannot use Redis: ${refusal.text}\n`);
    process.exit(EXIT_UNREACHABLE);
  }
  process.stderr.write(`agent: ${(error as Error).message}\n`);
  if (!known && process.env.RUNNER_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
  // Exit now: connections still open (Redis retrying) would keep the process alive.
  process.exit(isUsageError(error) ? 2 : ((error as { exitCode?: number }).exitCode ?? 1));
}
