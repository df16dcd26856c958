/**
 * An agent's GPU slots are named by index (`0`), or a MIG device by its GPU's index and its
 * own number (`0/mig1`). A CUDA process sees one MIG device at most, so an agent given MIG
 * devices runs tasks of one GPU only: a task of two would see one and not say so. The agent
 * serves no larger queue, and coord counts on it for none.
 */
export function migDeviceName(gpu: string, device: string): string {
  return `${gpu}/mig${device}`;
}

/** Whether this GPU slot is a MIG device (`0/mig1`). */
export function isMigDevice(slot: string): boolean {
  return /^\d+\/mig\d+$/.test(slot);
}

/** Whether some of these GPU slots are MIG devices. */
export function hasMigDevices(gpuSlots: string[]): boolean {
  return gpuSlots.some(isMigDevice);
}

/** The most GPUs one task can have on an agent with these slots. */
export function mostGpusPerTask(gpuSlots: string[]): number {
  const gpus = new Set(gpuSlots).size;
  return hasMigDevices(gpuSlots) ? Math.min(1, gpus) : gpus;
}
