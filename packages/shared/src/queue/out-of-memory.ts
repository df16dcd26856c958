/**
 * Redis refuses writes once its memory reaches `maxmemory` under the noeviction policy we
 * ask for ("OOM command not allowed when used memory > 'maxmemory'"). Inside MULTI the
 * refusal comes back as EXECABORT, with the OOM among the queued commands' errors (ioredis
 * puts them on `previousErrors`); the transaction then changed nothing.
 */
export function isRedisOutOfMemory(error: unknown): boolean {
  const isOom = (e: unknown) => /^OOM /.test(String((e as Error | undefined)?.message ?? ''));
  if (isOom(error)) return true;
  const previous = (error as { previousErrors?: unknown[] } | undefined)?.previousErrors;
  return Array.isArray(previous) && previous.some(isOom);
}

/** Why Redis refused, and what to do, for any command that writes. */
export const OUT_OF_MEMORY = 'out of memory: it refused a write that would take it past its maxmemory (OOM); raise maxmemory on the server or free memory there';

/** A Redis error in words for a log line: the OOM refusal explained, anything else as its first line. */
export function redisErrorText(error: unknown): string {
  if (isRedisOutOfMemory(error)) return `Redis is ${OUT_OF_MEMORY}`;
  return String((error as Error | undefined)?.message ?? error).split('\n')[0]!;
}
