/** A failed file operation, in words a researcher reads at a glance (with the code, for a search). */

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  ENOTDIR: 'a part of the path is a file',
  ENOENT: 'no such file or directory',
  ENAMETOOLONG: 'the name is too long',
  EISDIR: 'it is a directory',
};

export function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === undefined ? undefined : REASONS[code];
  return reason ? `${reason} (${code})` : (code ?? (error as Error).message);
}

/** The path a failed file operation was about: for a rename, where the file was to go (its temporary name comes first). */
export function fsErrorPath(error: unknown): string | undefined {
  const { path, dest } = error as NodeJS.ErrnoException & { dest?: string };
  return dest ?? path;
}
