/**
 * The measurements' working directories, all under one root made for this run.
 *
 * The root asks ext4 to place what is made in it away from its parent (`chattr +T`, the
 * Orlov allocator's "top of a directory tree"), so that the figures do not depend on what
 * other programs deleted in /tmp in the last minutes. On this machine's journal-less ext4
 * every new inode is checked against every inode freed in the last 60 s (up to 6 min) of
 * its block group, and /tmp's block groups are where the test suite, clones and earlier
 * runs free theirs: a task's directory and three files cost 360-2700 us there against 90-330
 * us under such a root, at the same minutes (bench/NOTES.md, "Where the files go"). Every
 * contender of a measurement (ours, the xargs floor, the runner-equivalent) writes under the
 * same root, and the bench reports both costs (fileCost), so the choice is in the open.
 * Where chattr or the flag is missing, the root is a plain directory in the temp dir.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let root: { path: string; spread: boolean } | undefined;
const workspaces: string[] = [];

export function workspaceRoot(): { path: string; spread: boolean } {
  if (!root) {
    const path = mkdtempSync(join(tmpdir(), 'bench-'));
    let spread: boolean;
    try {
      execFileSync('chattr', ['+T', path], { stdio: 'ignore' });
      // Taken, as lsattr shows it ("----------T-----" before the path), not only a chattr that exited 0.
      spread = /^\S*T/.test(execFileSync('lsattr', ['-d', path], { encoding: 'utf8' }));
    } catch {
      spread = false; // not ext2/3/4, or no chattr: the figures then carry the temp dir's state
    }
    root = { path, spread };
  }
  return root;
}

export function workspace(name: string): string {
  const dir = mkdtempSync(join(workspaceRoot().path, `${name}-`));
  workspaces.push(dir);
  return dir;
}

/** A directory in the temp dir itself, beside the root (for the file-cost comparison); removed with the workspaces. */
export function plainTempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  workspaces.push(dir);
  return dir;
}

/**
 * Only once every figure is taken: deleting thousands of task directories slows every file
 * created soon after in the same block groups (see above; coord run of 1000 tasks: 1.8-1.9 s
 * right after deleting an earlier run's output, 1.3-1.7 s without).
 */
export function removeWorkspaces(): void {
  for (const dir of workspaces.splice(0)) rmSync(dir, { recursive: true, force: true });
  if (root) rmSync(root.path, { recursive: true, force: true });
  root = undefined;
}
