/** Asks `nvidia-smi` about the GPUs (tests put a fake one on PATH). */
import { execFile } from 'node:child_process';

export interface GpuInfo {
  index: string;
  /** MiB. */
  memoryFree: number;
  memoryTotal: number;
}

/** nvidia-smi could not say: `installed` false when there is none to ask (no driver tools on this machine). */
export class NvidiaSmiError extends Error {
  constructor(
    message: string,
    readonly installed: boolean,
  ) {
    super(message);
  }
}

export function queryGpus(timeoutMs = 10_000): Promise<GpuInfo[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=index,memory.free,memory.total', '--format=csv,noheader,nounits'],
      { timeout: timeoutMs },
      (error, stdout, stderr) => {
        if (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reject(new NvidiaSmiError('nvidia-smi is not installed or not on PATH', false));
          // Killed at the timeout: a hung driver, not a failure it could put in words.
          if (error.killed) return reject(new NvidiaSmiError(`nvidia-smi did not answer within ${timeoutMs / 1000} s`, true));
          // Its own words ("couldn't communicate with the NVIDIA driver"), not Node's "Command failed".
          const said = `${stderr}\n${stdout}`.split('\n').map((line) => line.trim()).find(Boolean) ?? error.message.split('\n')[0];
          return reject(new NvidiaSmiError(`nvidia-smi failed: ${said}`, true));
        }
        const gpus = stdout
          .split('\n')
          .map((line) => line.split(',').map((part) => part.trim()))
          .filter((parts) => parts.length >= 3 && /^\d+$/.test(parts[0]!))
          .map(([index, free, total]) => ({ index: index!, memoryFree: Number(free), memoryTotal: Number(total) }));
        // Something, but no line of ours: not "no GPU" (an nvidia-smi that answers otherwise).
        const said = stdout.split('\n').map((line) => line.trim()).find(Boolean);
        if (gpus.length === 0 && said !== undefined) return reject(new NvidiaSmiError(`nvidia-smi printed no GPU line (it said: "${said.slice(0, 80)}")`, true));
        resolve(gpus);
      },
    );
  });
}
