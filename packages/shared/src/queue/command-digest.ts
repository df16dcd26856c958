/**
 * A short fingerprint of a command line, kept with each command's record in Redis: a later
 * submission tells whether a command it would skip succeeded with the line it gives now.
 * The coordinator cannot read param.json on the agents' disks, where the line itself is.
 */
import { createHash } from 'node:crypto';

export function commandDigest(script: string): string {
  return createHash('sha1').update(script).digest('base64url').slice(0, 12);
}
