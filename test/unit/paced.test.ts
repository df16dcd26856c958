/** The dashboard's pacing of costly reads (static/js/paced.js): a page left stops its reads. */
import { expect, it } from 'vitest';
// @ts-expect-error plain browser JavaScript, without types
import { paced } from '../../packages/coordinator/static/js/paced.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Paced = (load: () => Promise<void>, options: { settleMs: number; everyMs: number }) => { ask(): void; cancel(): void };

/** Loads that take `ms` each, paced; `loads` counts them. */
function pacedLoads(ms: number, options: { settleMs: number; everyMs: number }) {
  let loads = 0;
  const reads = (paced as Paced)(async () => {
    loads++;
    await sleep(ms);
  }, options);
  return {
    ...reads,
    get loads() {
      return loads;
    },
  };
}

it('loads nothing more once cancelled, not even what was asked for during a load under way', async () => {
  const reads = pacedLoads(100, { settleMs: 10, everyMs: 50 });
  reads.ask();
  await sleep(40);
  expect(reads.loads).toBe(1);
  // Asked again while the first load runs, then the page is left.
  reads.ask();
  reads.cancel();
  await sleep(300);
  reads.ask();
  await sleep(100);
  expect(reads.loads).toBe(1);
});

it('makes one load of a burst of asks, and one more for asks during it', async () => {
  const reads = pacedLoads(50, { settleMs: 10, everyMs: 20 });
  for (let i = 0; i < 5; i++) reads.ask();
  await sleep(30);
  reads.ask();
  reads.ask();
  await sleep(200);
  expect(reads.loads).toBe(2);
  reads.cancel();
});
