/**
 * A GPU slot of `resource` or `coord run -r`: what CUDA_VISIBLE_DEVICES is set to for a task.
 * GPU indices, or the UUIDs CUDA_VISIBLE_DEVICES also takes (`GPU-...`, `MIG-...`, as
 * `nvidia-smi -L` prints them), joined by commas. Anything else (`gpu0`, `0.5`) CUDA reads
 * as no GPU at all, and the task would run on the CPU without a word.
 */
const GPU = /^(\d+|(GPU|MIG)-[\w./-]+)$/;

export function isGpuSlot(slot: string): boolean {
  return slot.split(',').every((gpu) => GPU.test(gpu));
}

/** Why `slot` is no GPU slot, for a message that names it. */
export function notAGpuSlot(slot: string): string {
  return `${JSON.stringify(slot)} is not a GPU slot: give a GPU index, or indices joined by commas without spaces, like 0 or "2,3" (or UUIDs as nvidia-smi -L prints them, GPU-...)`;
}

/** A GPU that `slot` names twice (`0,0`), if any: a slot is the GPUs of one task, which cannot hold one twice. */
export function gpuTwiceInSlot(slot: string): string | undefined {
  const gpus = slot.split(',');
  return gpus.find((gpu, i) => gpus.indexOf(gpu) !== i);
}
