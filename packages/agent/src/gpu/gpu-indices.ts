/**
 * `--gpus 0,1`: indices are taken as given, but one that nvidia-smi does not list (`--gpus 5`
 * on a machine of two GPUs, or a container given one) would start every task with a
 * CUDA_VISIBLE_DEVICES that names no device: CUDA then sees no GPU, and the training runs on
 * the CPU or fails, task after task. So, where nvidia-smi answers, such an index is refused
 * at start. Where it cannot answer (none installed, a driver not loaded yet), the indices are
 * taken on trust, as before: nothing better is known.
 */
import { UsageError } from '@sweep-runner/shared';
import { queryGpus } from './nvidia-smi.js';

export async function refuseUnlistedGpuIndices(slots: string[]): Promise<void> {
  let listed: string[];
  try {
    listed = (await queryGpus()).map((gpu) => gpu.index);
  } catch {
    return;
  }
  const unlisted = [...new Set(slots.filter((slot) => !listed.includes(slot)))];
  if (unlisted.length === 0) return;
  const lists = listed.length > 0 ? `it lists ${listed.map((index) => `GPU ${index}`).join(', ')}` : 'it lists no GPU';
  const instead = listed.length > 0 ? `give GPUs it lists (--gpus ${listed.join(',')}), or --gpus auto` : 'serve CPU tasks with --cpu-slots N instead';
  throw new UsageError(`--gpus: nvidia-smi does not list ${unlisted.map((index) => `GPU ${index}`).join(', ')} on this machine; ${lists}: ${instead}`);
}
