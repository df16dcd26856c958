/**
 * The line each command's log is still redrawing (a progress bar with no newline yet), as its
 * agent last shipped it to the stream's `:meta` hash (SHIP_LOG's `partial`); '' where none is.
 * Readers of a live log poll it beside their XREAD: it changes in place, so no stream entry
 * wakes them, and a bar redrawn for hours must not push the real lines out of the capped stream.
 */
import type { Redis } from 'ioredis';

export async function readPartials(redis: Redis, streamKeys: string[]): Promise<string[]> {
  const pipeline = redis.pipeline();
  for (const key of streamKeys) pipeline.hget(`${key}:meta`, 'partial');
  const answers = (await pipeline.exec()) ?? [];
  return streamKeys.map((_, i) => {
    const [error, value] = answers[i] ?? [null, null];
    return !error && typeof value === 'string' ? value : '';
  });
}
