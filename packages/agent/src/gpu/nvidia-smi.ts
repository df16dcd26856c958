/** Asks `nvidia-smi` about the GPUs (tests put a fake one on PATH). */
import { execFile } from 'node:child_process';

export interface GpuInfo {
  index: string;
  /** `GPU-...`, as `nvidia-smi -L` prints it: what stays the GPU's across reboots. */
  uuid: string;
  /** MiB. */
  memoryFree: number;
  memoryTotal: number;
}

/** A MIG device (a slice of a GPU): CUDA reaches it only by its UUID. */
export interface MigDevice {
  /** The index of the GPU it is part of. */
  gpu: string;
  /** Its number on that GPU, as `nvidia-smi -L` prints it (`Device  1`). */
  device: string;
  /** `MIG-...` (with older drivers `MIG-GPU-.../1/0`). */
  uuid: string;
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

/** nvidia-smi's output for `args`, or why there is none, in its own words. */
function runNvidiaSmi(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('nvidia-smi', args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reject(new NvidiaSmiError('nvidia-smi is not installed or not on PATH', false));
      // Killed at the timeout: a hung driver, not a failure it could put in words.
      if (error.killed) return reject(new NvidiaSmiError(`nvidia-smi did not answer within ${timeoutMs / 1000} s`, true));
      // Its own words ("couldn't communicate with the NVIDIA driver"), not Node's "Command failed".
      const said = `${stderr}\n${stdout}`.split('\n').map((line) => line.trim()).find(Boolean) ?? error.message.split('\n')[0];
      reject(new NvidiaSmiError(`nvidia-smi failed: ${said}`, true));
    });
  });
}

/** Something, but no line of ours: not "no GPU" (an nvidia-smi that answers otherwise). */
function noGpuLine(stdout: string): NvidiaSmiError | undefined {
  const said = stdout.split('\n').map((line) => line.trim()).find(Boolean);
  return said === undefined ? undefined : new NvidiaSmiError(`nvidia-smi printed no GPU line (it said: "${said.slice(0, 80)}")`, true);
}

export async function queryGpus(timeoutMs = 10_000): Promise<GpuInfo[]> {
  const stdout = await runNvidiaSmi(['--query-gpu=index,uuid,memory.free,memory.total', '--format=csv,noheader,nounits'], timeoutMs);
  const gpus = stdout
    .split('\n')
    .map((line) => line.split(',').map((part) => part.trim()))
    .filter((parts) => parts.length >= 4 && /^\d+$/.test(parts[0]!))
    .map(([index, uuid, free, total]) => ({ index: index!, uuid: uuid!, memoryFree: Number(free), memoryTotal: Number(total) }));
  if (gpus.length === 0 && noGpuLine(stdout)) throw noGpuLine(stdout);
  return gpus;
}

/**
 * The MIG devices `nvidia-smi -L` lists under their GPUs; `--query-gpu` lists whole GPUs only:
 *
 *     GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5d5ba0d6-...)
 *       MIG 3g.20gb     Device  0: (UUID: MIG-c6d4f1ef-...)
 */
export async function listMigDevices(timeoutMs = 10_000): Promise<MigDevice[]> {
  const stdout = await runNvidiaSmi(['-L'], timeoutMs);
  const devices: MigDevice[] = [];
  let gpu: string | undefined;
  for (const line of stdout.split('\n')) {
    const whole = /^GPU (\d+):/.exec(line);
    if (whole) gpu = whole[1];
    const mig = /^\s+MIG\b.*\bDevice\s+(\d+):\s*\(UUID:\s*(MIG-[^)\s]+)\)/.exec(line);
    if (mig && gpu !== undefined) devices.push({ gpu, device: mig[1]!, uuid: mig[2]! });
  }
  if (gpu === undefined && noGpuLine(stdout)) throw noGpuLine(stdout);
  return devices;
}
