/** The dashboard's pacing of costly reads (static/js/paced.js): a page left stops its reads. */
import { expect, it } from 'vitest';
// @ts-expect-error plain browser JavaScript, without types
import { paced } from '../../packages/coordinator/static/js/paced.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('loads nothing more once cancelled, not even what was asked for during a load under way', async () => {
  let loads = 0;
  const reads = (paced as (load: () => Promise<void>, options: { settleMs: number; everyMs: number }) => { ask(): void; cancel(): void })(
    async () => {
      loads++;
      await sleep(100);
    },
    { settleMs: 10, everyMs: 50 },
  );
  reads.ask();
  await sleep(40);
  expect(loads).toBe(1);
  // Asked again while the first load runs, then the page is left.
  reads.ask();
  reads.cancel();
  await sleep(300);
  reads.ask();
  await sleep(100);
  expect(loads).toBe(1);
});

it('makes one load of a burst of asks, and one more for asks during it', async () => {
  let loads = 0;
  const reads = (paced as (load: () => Promise<void>, options: { settleMs: number; everyMs: number }) => { ask(): void; cancel(): void })(
    async () => {
      loads++;
      await sleep(50);
    },
    { settleMs: 10, everyMs: 20 },
  );
  for (let i = 0; i < 5; i++) reads.ask();
  await sleep(30);
  reads.ask();
  reads.ask();
  await sleep(200);
  expect(loads).toBe(2);
  reads.cancel();
});
