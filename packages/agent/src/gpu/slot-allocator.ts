/**
 * Who may run where. Each GPU has as many slots as it appears in `--gpus`; a task needing
 * k GPUs gets k distinct GPUs with a free slot (the least loaded first); CPU-only tasks use
 * the CPU slots. A GPU can be held back (another user fills its memory).
 */

/** GPU order: by index, numbers as numbers (`2` before `10`), a MIG device's name (`0/mig1`) by its GPU's index and then its own number. */
const byIndex = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

export interface Allocation {
  /** Empty for a CPU task. */
  gpus: string[];
}

export class SlotAllocator {
  private readonly capacity = new Map<string, number>();
  private readonly used = new Map<string, number>();
  private cpuUsed = 0;
  private unusable = new Set<string>();

  constructor(
    gpuSlots: string[],
    readonly cpuSlots: number,
  ) {
    for (const gpu of gpuSlots) this.capacity.set(gpu, (this.capacity.get(gpu) ?? 0) + 1);
    for (const gpu of this.capacity.keys()) this.used.set(gpu, 0);
  }

  get gpus(): string[] {
    return [...this.capacity.keys()];
  }

  setUnusable(gpus: Iterable<string>): void {
    this.unusable = new Set(gpus);
  }

  get unusableGpus(): string[] {
    return [...this.unusable];
  }

  private freeGpus(): string[] {
    return this.gpus
      .filter((gpu) => !this.unusable.has(gpu) && this.used.get(gpu)! < this.capacity.get(gpu)!)
      .sort((a, b) => this.load(a) - this.load(b) || byIndex(a, b));
  }

  private load(gpu: string): number {
    return this.used.get(gpu)! / this.capacity.get(gpu)!;
  }

  canFit(gpuCount: number): boolean {
    if (gpuCount === 0) return this.cpuUsed < this.cpuSlots;
    return this.freeGpus().length >= gpuCount;
  }

  /** Whether a task of `gpuCount` GPUs could ever start here: that many distinct GPUs not held back. */
  couldEverFit(gpuCount: number): boolean {
    if (gpuCount === 0) return this.cpuSlots > 0;
    return this.gpus.filter((gpu) => !this.unusable.has(gpu)).length >= gpuCount;
  }

  allocate(gpuCount: number): Allocation | undefined {
    if (!this.canFit(gpuCount)) return undefined;
    if (gpuCount === 0) {
      this.cpuUsed++;
      return { gpus: [] };
    }
    const gpus = this.freeGpus().slice(0, gpuCount).sort(byIndex);
    for (const gpu of gpus) this.used.set(gpu, this.used.get(gpu)! + 1);
    return { gpus };
  }

  /**
   * Whether `allocation`, were it given back now, is as good as what `allocate` would pick
   * for a task of its size: none of its GPUs held back, and no less loaded GPU left idle.
   * A slot may then go straight to the queue's next task.
   */
  isLeastLoaded(allocation: Allocation): boolean {
    if (allocation.gpus.length === 0) return true;
    if (allocation.gpus.some((gpu) => this.unusable.has(gpu))) return false;
    this.release(allocation);
    try {
      const best = this.freeGpus().slice(0, allocation.gpus.length).map((gpu) => this.load(gpu));
      const ours = allocation.gpus.map((gpu) => this.load(gpu)).sort((a, b) => a - b);
      return best.every((load, i) => ours[i]! <= load + 1e-9);
    } finally {
      for (const gpu of allocation.gpus) this.used.set(gpu, this.used.get(gpu)! + 1);
    }
  }

  release(allocation: Allocation): void {
    if (allocation.gpus.length === 0) {
      this.cpuUsed = Math.max(0, this.cpuUsed - 1);
      return;
    }
    for (const gpu of allocation.gpus) this.used.set(gpu, Math.max(0, this.used.get(gpu)! - 1));
  }

  get gpuSlotCount(): number {
    return [...this.capacity.values()].reduce((sum, n) => sum + n, 0);
  }

  get gpuSlotsUsed(): number {
    return [...this.used.values()].reduce((sum, n) => sum + n, 0);
  }

  get cpuSlotsUsed(): number {
    return this.cpuUsed;
  }

  /** Nothing runs. */
  get idle(): boolean {
    return this.cpuUsed === 0 && [...this.used.values()].every((n) => n === 0);
  }
}
