/** Asks `nvidia-smi` about the GPUs (tests put a fake one on PATH). */
import { execFile } from 'node:child_process';

export interface GpuInfo {
  index: string;
  /** MiB. */
  memoryFree: number;
  memoryTotal: number;
}

export function queryGpus(timeoutMs = 10_000): Promise<GpuInfo[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=index,memory.free,memory.total', '--format=csv,noheader,nounits'],
      { timeout: timeoutMs },
      (error, stdout) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          reject(new Error(code === 'ENOENT' ? 'nvidia-smi is not installed or not on PATH' : `nvidia-smi failed: ${error.message.split('\n')[0]}`));
          return;
        }
        const gpus = stdout
          .split('\n')
          .map((line) => line.split(',').map((part) => part.trim()))
          .filter((parts) => parts.length >= 3 && /^\d+$/.test(parts[0]!))
          .map(([index, free, total]) => ({ index: index!, memoryFree: Number(free), memoryTotal: Number(total) }));
        resolve(gpus);
      },
    );
  });
}
