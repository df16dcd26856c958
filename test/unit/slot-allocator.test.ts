/**
 * SlotAllocator: GPUs with several slots fill least loaded first, and a slot whose task ended
 * may pass straight to the next task only where a fresh allocation would be as good.
 */
import { describe, expect, it } from 'vitest';
import { SlotAllocator } from '@sweep-runner/agent/dist/gpu/slot-allocator.js';

describe('SlotAllocator', () => {
  it('gives a task the least loaded GPUs', () => {
    const allocator = new SlotAllocator(['0', '0', '1', '1'], 0);
    expect(allocator.allocate(1)).toEqual({ gpus: ['0'] });
    expect(allocator.allocate(1)).toEqual({ gpus: ['1'] });
    expect(allocator.allocate(2)).toEqual({ gpus: ['0', '1'] });
    expect(allocator.canFit(1)).toBe(false);
  });

  it('orders GPUs by number, and MIG devices by their GPU and then their own number', () => {
    expect(new SlotAllocator(['10', '2'], 0).allocate(2)).toEqual({ gpus: ['2', '10'] });
    const mig = new SlotAllocator(['1/mig0', '0/mig1', '0/mig0'], 0);
    expect([mig.allocate(1), mig.allocate(1), mig.allocate(1)]).toEqual([{ gpus: ['0/mig0'] }, { gpus: ['0/mig1'] }, { gpus: ['1/mig0'] }]);
  });

  it('keeps a slot for the next task only if no less loaded GPU would sit idle', () => {
    const allocator = new SlotAllocator(['0', '0', '1', '1'], 2);
    const a = allocator.allocate(1)!;
    const b = allocator.allocate(1)!;
    const c = allocator.allocate(1)!;
    expect([a.gpus, b.gpus, c.gpus]).toEqual([['0'], ['1'], ['0']]);
    allocator.release(b);
    // GPU 0 holds a and c, GPU 1 nothing: a's slot should not go to the next task on GPU 0.
    expect(allocator.isLeastLoaded(a)).toBe(false);
    expect(allocator.gpuSlotsUsed).toBe(2); // asking changes nothing
    const d = allocator.allocate(1)!;
    expect(d.gpus).toEqual(['1']);
    // Now either GPU would do: a's slot and d's may both pass on.
    expect(allocator.isLeastLoaded(a)).toBe(true);
    expect(allocator.isLeastLoaded(d)).toBe(true);
    expect(allocator.gpuSlotsUsed).toBe(3);
    // A CPU slot is as good as another; a GPU held back (another user's memory) never is.
    expect(allocator.isLeastLoaded(allocator.allocate(0)!)).toBe(true);
    allocator.setUnusable(['1']);
    expect(allocator.isLeastLoaded(d)).toBe(false);
  });
});
