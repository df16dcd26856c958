/**
 * `--gpus GPU-8f2c...,GPU-1a3b...`: GPUs pinned by the UUIDs `nvidia-smi -L` prints, which
 * stay a GPU's across reboots where its index may not. Each is looked up in nvidia-smi once,
 * as the agent starts, and its slots go by a short name: the GPU's index now (`2`), a MIG
 * device's GPU and number (`0/mig1`). That is what coord status, the task records and the
 * logs show, and what `nvidia-smi` and `nvtop` on the machine show too. CUDA_VISIBLE_DEVICES
 * gets the UUIDs themselves: they pick the very device, whatever CUDA's own numbering, and are
 * the only way CUDA reaches a MIG device. A GPU in MIG mode runs nothing as a whole: its own
 * UUID is refused, naming its MIG devices', and `--gpus auto` takes its MIG devices instead.
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

/** A listed device a given UUID names: the whole UUID, or (as CUDA takes it) a start of it that fits one device only. Letter case aside. */
function lookUp(known: Map<string, Device>, given: string): Device | Device[] | undefined {
  const key = given.toLowerCase();
  const exact = known.get(key);
  if (exact) return exact;
  const starting = [...known].filter(([uuid]) => uuid.startsWith(key)).map(([, device]) => device);
  return starting.length === 1 ? starting[0] : starting.length > 1 ? starting : undefined;
}

interface Device {
  name: string;
  uuid: string;
  /** A whole GPU split into MIG devices: the UUIDs of those, which is how CUDA reaches it. */
  migs?: string[];
}

/**
 * `--gpus auto`: every GPU nvidia-smi lists, one slot each, by its index as before; but a GPU
 * in MIG mode, which CUDA cannot run on as a whole, gives a slot per MIG device, named and
 * reached as one given by UUID is (`0/mig1`, its UUID in CUDA_VISIBLE_DEVICES).
 */
export async function findAllGpus(): Promise<PinnedGpus> {
  const gpus = await queryGpus();
  const migs = await listMigDevices();
  const found: PinnedGpus = { slots: [], uuids: {} };
  for (const gpu of gpus) {
    const split = migs.filter((mig) => mig.gpu === gpu.index);
    if (split.length === 0) found.slots.push(gpu.index);
    for (const mig of split) {
      const name = migDeviceName(mig.gpu, mig.device);
      found.slots.push(name);
      found.uuids[name] = mig.uuid;
    }
  }
  return found;
}

/** Looks `given` (UUIDs, their hex digits in any letter case) up in nvidia-smi; a UUID it does not list is refused. Its own failures are thrown as they come. */
export async function resolveGpuUuids(given: string[]): Promise<PinnedGpus> {
  const gpus = await queryGpus();
  // Asked always: a whole GPU in MIG mode shows only there, with its MIG devices under it.
  const migs = await listMigDevices();
  const known = new Map<string, Device>([
    ...gpus.map((gpu) => {
      const split = migs.filter((mig) => mig.gpu === gpu.index).map((mig) => mig.uuid);
      return [gpu.uuid.toLowerCase(), { name: gpu.index, uuid: gpu.uuid, ...(split.length > 0 && { migs: split }) }] as const;
    }),
    ...migs.map((mig) => [mig.uuid.toLowerCase(), { name: migDeviceName(mig.gpu, mig.device), uuid: mig.uuid }] as const),
  ]);
  const found = given.map((uuid) => ({ uuid, device: lookUp(known, uuid) }));
  const unknown = [...new Set(found.filter(({ device }) => device === undefined).map(({ uuid }) => uuid))];
  if (unknown.length > 0) {
    throw new UsageError(
      `--gpus: nvidia-smi does not list ${unknown.join(', ')} on this machine; it lists ${listed(gpus, migs)}: give UUIDs as nvidia-smi -L prints them here, or GPU indices (--gpus 0,1)`,
    );
  }
  const pinned: PinnedGpus = { slots: [], uuids: {} };
  for (const { uuid, device } of found) {
    if (Array.isArray(device)) throw new UsageError(`--gpus: ${uuid} is the start of more than one UUID (${device.map((d) => d.uuid).join(', ')}): give more of it`);
    const { name, uuid: full, migs: split } = device!;
    if (split) {
      throw new UsageError(`--gpus: GPU ${name} (${full}) is in MIG mode, where CUDA reaches it only through its MIG devices: give their UUIDs instead (${split.join(',')})`);
    }
    pinned.slots.push(name);
    pinned.uuids[name] = full;
  }
  return pinned;
}
