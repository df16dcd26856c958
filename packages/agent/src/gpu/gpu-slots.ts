/**
 * `--gpus`: `0,1` is one task per GPU, `0,1,0,1` two per GPU (the runner's `resource`
 * meaning), `auto` one per GPU that nvidia-smi lists.
 */
import { UsageError } from '@sweep-runner/shared';
import { queryGpus } from './nvidia-smi.js';

export async function parseGpuSlots(spec: string | undefined): Promise<string[]> {
  if (spec === undefined || spec.trim() === '' || spec === 'none') return [];
  if (spec === 'auto') {
    let gpus;
    try {
      gpus = await queryGpus();
    } catch (error) {
      throw new UsageError(`--gpus auto: ${(error as Error).message}; list the GPUs instead, e.g. --gpus 0,1`);
    }
    if (gpus.length === 0) throw new UsageError('--gpus auto: nvidia-smi lists no GPU; list them with --gpus 0,1 or serve CPU tasks with --cpu-slots N');
    return gpus.map((gpu) => gpu.index);
  }
  const slots = spec.split(',').map((part) => part.trim());
  const bad = slots.filter((slot) => !/^\d+$/.test(slot));
  if (bad.length > 0) throw new UsageError(`--gpus takes GPU indices like 0,1 (or 0,1,0,1 for two tasks per GPU, or auto), not "${bad.join(',')}"`);
  return slots;
}
