/**
 * Redis errors that describe the server's state rather than a bug of ours, each in words with
 * what to do. Inside MULTI a refusal comes back as EXECABORT, with the refusals of the queued
 * commands on `previousErrors` (ioredis); the transaction then changed nothing.
 */
const REFUSALS: ReadonlyArray<readonly [code: string, text: string]> = [
  ['OOM', 'out of memory: it refused a write that would take it past its maxmemory (OOM); raise maxmemory on the server or free memory there, then run the command again'],
  ['READONLY', 'a read-only replica (READONLY): point --redis at the primary'],
  ['MISCONF', 'unable to save its data to disk, so it refuses writes (MISCONF): see its log (a full disk, often) and fix that, then run the command again'],
  ['LOADING', 'still loading its data from disk (LOADING): run the command again in a moment'],
  ['BUSY', 'busy running a long script (BUSY): run the command again in a moment'],
];

/** How the server refused, in words ("out of memory: ..."), or undefined when the error is not such a refusal. */
export function redisRefusal(error: unknown): string | undefined {
  const previous = (error as { previousErrors?: unknown[] } | undefined)?.previousErrors;
  for (const candidate of [error, ...(Array.isArray(previous) ? previous : [])]) {
    const code = /^([A-Z]+) /.exec(String((candidate as Error | undefined)?.message ?? ''))?.[1];
    const refusal = REFUSALS.find(([known]) => known === code);
    if (refusal) return refusal[1];
  }
  return undefined;
}

/** An error's message, first line only (Redis and ioredis append details on later lines). */
export function firstLineOf(error: unknown): string {
  return String((error as Error | undefined)?.message ?? error).split('\n')[0]!;
}

/**
 * Redis 7's denial of a script's declared keys: not a NOPERM but an ERR, ending with the
 * script's hash and line, which say nothing to whoever runs the command.
 */
const SCRIPT_KEYS_DENIED = /^ERR (The user executing the script can't access at least one of the (?:keys|channels) mentioned in the command arguments)(?: script: \w+, on @user_script:\d+\.?)?/;

/** Redis's ACL denied the user a command or key (NOPERM), in words with what to do; undefined for any other error. */
export function permissionDenied(error: unknown): string | undefined {
  const scriptDenied = SCRIPT_KEYS_DENIED.exec(firstLineOf(error));
  const message = scriptDenied ? scriptDenied[1]! : firstLineOf(error);
  if (!scriptDenied && !/NOPERM/i.test(message)) return undefined;
  // A key outside the user's pattern is most often a --prefix the ACL was not written for.
  const prefixHint = /\bkeys?\b/i.test(message) ? " and that --prefix matches its key pattern (~PREFIX:*)" : '';
  return `permission denied: ${message}; check the Redis user's ACL (docs/redis-acl.md)${prefixHint}`;
}

/** A Redis error in words for a log line: a refusal or a denied permission explained, anything else as its first line. */
export function redisErrorText(error: unknown): string {
  const refusal = redisRefusal(error);
  if (refusal) return `Redis is ${refusal}`;
  return permissionDenied(error) ?? firstLineOf(error);
}
