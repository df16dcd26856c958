/**
 * Whether the process that wrote a record (a lock, an agent's registration) still runs on
 * this machine. kill(pid, 0) alone says yes to a zombie (a killed process its parent has not
 * reaped yet, as a shell's background job) and to whatever process got the pid since.
 */
import { readFileSync, readlinkSync } from 'node:fs';

export function processRuns(pid: number, commandLineHas: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (name) S ...": the state follows the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(commandLineHas);
  } catch {
    // No /proc (not Linux): kill(pid, 0) is all we can go by.
    return true;
  }
}

/**
 * Where a pid means this process table: the kernel's boot and our pid namespace. A record
 * written in another (another container, another machine under the same host name, an
 * earlier boot) names a pid `processRuns` cannot ask about. Undefined without /proc.
 */
export function pidSpace(): string | undefined {
  try {
    return `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()} ${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    return undefined;
  }
}
