/**
 * Real agents (the Agent class, its BullMQ workers and Lua steps) in the test's own process,
 * where a test needs to reach inside: an executor of its own (a full disk, a report held up),
 * or a drain at a chosen moment. Each is stopped after the file's tests.
 */
import { pino } from 'pino';
import { afterAll } from 'vitest';
import { Agent, type AgentOptions } from '@sweep-runner/agent/dist/agent.js';
import { connectionSettings } from '@sweep-runner/shared';
import type { TestRedis } from './redis-server.js';

export function useInProcessAgents(redis: () => TestRedis): (options: Partial<AgentOptions> & Pick<AgentOptions, 'name' | 'workdir' | 'prefix'>) => Agent {
  const agents: Agent[] = [];
  afterAll(async () => {
    await Promise.allSettled(agents.map((agent) => agent.stopNow('test done')));
  });
  return (options) => {
    const created = new Agent({
      host: 'test',
      gpuSlots: [],
      cpuSlots: 2,
      pools: ['default'],
      connection: connectionSettings(redis().url),
      lockMs: 10_000,
      stalledCheckMs: 5000,
      killGraceMs: 1000,
      logLines: 100,
      heartbeatMs: 500,
      insecure: false,
      signedOnly: false,
      version: 'test',
      log: pino({ level: 'silent' }),
      verify: () => undefined,
      ...options,
    });
    agents.push(created);
    return created;
  };
}
