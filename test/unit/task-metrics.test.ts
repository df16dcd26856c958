import { describe, expect, it } from 'vitest';
import { sealedRecord, taskMetrics, trustedRecord } from '../../packages/agent/src/run/task-metrics.js';

const earlier = {
  record: { commands: { train: { loss: 0.5 }, test: { acc: 0.9 } }, file: { f1: 0.7 } },
  all: { loss: 0.5, acc: 0.9, f1: 0.7 },
};

describe('taskMetrics', () => {
  it("drops what a command the run did not get to reported after an older run's training", () => {
    const run = { given: ['train', 'test'], ran: new Map([['train', {}]]), skipped: [], file: undefined };
    expect(taskMetrics(run, earlier)).toEqual({ metrics: { f1: 0.7 }, record: { commands: {}, file: { f1: 0.7 } } });
  });
  it('keeps what commands skipped as done, or not given (-c test), reported before', () => {
    const retry = { given: ['train', 'test'], ran: new Map([['test', { acc: 0.95 }]]), skipped: ['train'], file: undefined };
    expect(taskMetrics(retry, earlier).metrics).toEqual({ loss: 0.5, acc: 0.95, f1: 0.7 });
    const testAlone = { given: ['test'], ran: new Map([['test', { acc: 0.8 }]]), skipped: [], file: { f1: 0.6 } };
    expect(taskMetrics(testAlone, earlier)).toEqual({ metrics: { loss: 0.5, acc: 0.8, f1: 0.6 }, record: { commands: { train: { loss: 0.5 }, test: { acc: 0.8 } }, file: { f1: 0.6 } } });
  });
  it("lays a record of an older agent, which kept no command apart, under this run's", () => {
    const run = { given: ['train', 'test'], ran: new Map([['train', { loss: 0.4 }]]), skipped: [], file: undefined };
    expect(taskMetrics(run, { all: { loss: 0.5, acc: 0.9 } }).metrics).toEqual({ loss: 0.4, acc: 0.9 });
  });
  it('trusts a record only beside the metrics it was written with (an older agent of a mixed fleet may have written them since)', () => {
    const record = { commands: { train: { loss: 0.5 } } };
    const sealed = JSON.parse(JSON.stringify(sealedRecord(record, '{"loss":0.5}'))) as unknown;
    expect(trustedRecord(sealed, '{"loss":0.5}')).toMatchObject(record);
    expect(trustedRecord(sealed, '{"loss":0.4}')).toBeUndefined();
    expect(trustedRecord(record, '{"loss":0.5}')).toBeUndefined();
    expect(trustedRecord('nonsense', '{}')).toBeUndefined();
  });
});

it('reads back the NaN and infinities an agent keeps by name, and no other name', async () => {
  const { parseMetrics, stringifyMetrics } = await import('@sweep-runner/shared');
  const text = stringifyMetrics({ loss: NaN, top: Infinity, low: -Infinity, acc: 0.5, of: 'constructor' });
  expect(text).toBe('{"loss":"NaN","top":"Infinity","low":"-Infinity","acc":0.5,"of":"constructor"}');
  expect(parseMetrics(text, {})).toEqual({ loss: NaN, top: Infinity, low: -Infinity, acc: 0.5, of: 'constructor' });
  expect(parseMetrics('{"x": "toString"', { none: true })).toEqual({ none: true });
});
