/**
 * A GPU slot of `resource` or `coord run -r`: what CUDA_VISIBLE_DEVICES is set to for a task.
 * GPU indices, or the UUIDs (GPU-...) CUDA_VISIBLE_DEVICES also takes, joined by commas.
 */
const GPU_SLOT = /^[\w.-]+(,[\w.-]+)*$/;

export function isGpuSlot(slot: string): boolean {
  return GPU_SLOT.test(slot);
}

/** Why `slot` is no GPU slot, for a message that names it. */
export function notAGpuSlot(slot: string): string {
  return `${JSON.stringify(slot)} is not a GPU slot: give a GPU index, or indices joined by commas without spaces, like 0 or "2,3"`;
}
