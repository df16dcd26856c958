/**
 * `--gpus`: `0,1` is one task per GPU, `0,1,0,1` two per GPU (the runner's `resource`
 * meaning), `auto` one per GPU that nvidia-smi lists (one per MIG device of a GPU in MIG mode),
 * or GPUs by UUID (gpu-uuids.ts).
 */
import { ExitError, isGpuSlot, UsageError } from '@sweep-runner/shared';
import { refuseUnlistedGpuIndices } from './gpu-indices.js';
import { findAllGpus, resolveGpuUuids, type PinnedGpus } from './gpu-uuids.js';
import { NvidiaSmiError } from './nvidia-smi.js';

/**
 * Why a flag that needs nvidia-smi cannot start: without one, a usage error (exit 2: the
 * flag is wrong here); with one that fails (a driver not loaded yet at boot), exit 1, so that
 * a service manager tries again.
 */
export function nvidiaSmiRefusal(flag: string, error: Error, instead: string): Error {
  if (error instanceof NvidiaSmiError && error.installed) return new ExitError(`${flag}: ${error.message.replace(/\.$/, '')}; the agent stops, to be started again once nvidia-smi works (or ${instead})`, 1);
  return new UsageError(`${flag}: ${error.message}; ${instead}`);
}

/** The agent's GPU slots: a name per slot, and for GPUs given by UUID, the UUID each name stands for. */
export type GpuSlots = PinnedGpus;

export async function parseGpuSlots(spec: string | undefined): Promise<GpuSlots> {
  const byIndex = (slots: string[]): GpuSlots => ({ slots, uuids: {} });
  if (spec === undefined || spec.trim() === '' || spec === 'none') return byIndex([]);
  if (spec === 'auto') {
    let found;
    try {
      found = await findAllGpus();
    } catch (error) {
      throw nvidiaSmiRefusal('--gpus auto', error as Error, 'list the GPUs instead, e.g. --gpus 0,1');
    }
    if (found.slots.length === 0) throw new UsageError('--gpus auto: nvidia-smi lists no GPU; list them with --gpus 0,1 or serve CPU tasks with --cpu-slots N');
    return found;
  }
  const slots = spec.split(',').map((part) => part.trim());
  const bad = slots.filter((slot) => !isGpuSlot(slot));
  if (bad.includes('')) throw new UsageError(`--gpus "${spec}" has an empty entry: GPU indices like 0,1 (or 0,1,0,1 for two tasks per GPU, or auto), one between each comma`);
  if (bad.length > 0) throw new UsageError(`--gpus takes GPU indices like 0,1 (or 0,1,0,1 for two tasks per GPU, or auto), or UUIDs as nvidia-smi -L prints them (GPU-..., MIG-...), not "${bad.join(',')}"`);
  const uuids = slots.filter((slot) => !/^\d+$/.test(slot));
  if (uuids.length === 0) {
    await refuseUnlistedGpuIndices(slots);
    return byIndex(slots);
  }
  // An index and a UUID may name one GPU without it showing; and CUDA_VISIBLE_DEVICES would get both kinds.
  if (uuids.length < slots.length) throw new UsageError(`--gpus "${spec}" mixes GPU indices and UUIDs: give every GPU by index (--gpus 0,1) or every one by UUID (--gpus GPU-...,GPU-...)`);
  try {
    return await resolveGpuUuids(slots);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw nvidiaSmiRefusal('--gpus', error as Error, 'give GPU indices instead, e.g. --gpus 0,1');
  }
}
