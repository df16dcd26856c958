/**
 * `--gpus GPU-8f2c...,GPU-1a3b...`: GPUs pinned by the UUIDs `nvidia-smi -L` prints, which
 * stay a GPU's across reboots where its index may not. Each is looked up in nvidia-smi once,
 * as the agent starts, and its slots go by a short name: the GPU's index now (`2`), a MIG
 * device's GPU and number (`0/mig1`). That is what coord status, the task records and the
 * logs show, and what `nvidia-smi` and `nvtop` on the machine show too. CUDA_VISIBLE_DEVICES
 * gets the UUIDs themselves: they pick the very device, whatever CUDA's own numbering, and are
 * the only way CUDA reaches a MIG device.
 */
import { migDeviceName, UsageError } from '@sweep-runner/shared';
import { listMigDevices, queryGpus, type GpuInfo, type MigDevice } from './nvidia-smi.js';

export interface PinnedGpus {
  /** A name per slot, in the order given (a UUID given twice: two slots on that GPU). */
  slots: string[];
  /** Each slot's name -> the UUID it stands for. */
  uuids: Record<string, string>;
}

export function isMigUuid(uuid: string): boolean {
  return uuid.startsWith('MIG-');
}

/** What nvidia-smi lists, for a message about a UUID it does not. */
function listed(gpus: GpuInfo[], migs: MigDevice[]): string {
  const all = [...gpus.map((gpu) => `GPU ${gpu.index} ${gpu.uuid}`), ...migs.map((mig) => `GPU ${mig.gpu} MIG device ${mig.device} ${mig.uuid}`)];
  return all.length > 0 ? all.join(', ') : 'no GPU';
}

/** Looks `given` (UUIDs, any letter case) up in nvidia-smi; a UUID it does not list is refused. Its own failures are thrown as they come. */
export async function resolveGpuUuids(given: string[]): Promise<PinnedGpus> {
  const gpus = await queryGpus();
  const migs = given.some(isMigUuid) ? await listMigDevices() : [];
  const known = new Map<string, { name: string; uuid: string }>([
    ...gpus.map((gpu) => [gpu.uuid.toLowerCase(), { name: gpu.index, uuid: gpu.uuid }] as const),
    ...migs.map((mig) => [mig.uuid.toLowerCase(), { name: migDeviceName(mig.gpu, mig.device), uuid: mig.uuid }] as const),
  ]);
  const unknown = [...new Set(given.filter((uuid) => !known.has(uuid.toLowerCase())))];
  if (unknown.length > 0) {
    throw new UsageError(
      `--gpus: nvidia-smi does not list ${unknown.join(', ')} on this machine; it lists ${listed(gpus, migs)}: give UUIDs as nvidia-smi -L prints them here, or GPU indices (--gpus 0,1)`,
    );
  }
  const pinned: PinnedGpus = { slots: [], uuids: {} };
  for (const uuid of given) {
    const gpu = known.get(uuid.toLowerCase())!;
    pinned.slots.push(gpu.name);
    pinned.uuids[gpu.name] = gpu.uuid;
  }
  return pinned;
}
