/**
 * Why a GPU of an agent takes no task under --min-free-mem: the agent's note when it could not
 * read the GPU's free memory, else other users' processes filling it. Undefined when the GPU is
 * not held back. coord status and a waiting task's reason word it alike.
 */
import type { AgentSummary } from './list-agents.js';

export function heldBackWhy(agent: AgentSummary, gpu: string): string | undefined {
  return agent.busyGpus.includes(gpu) ? (agent.gpuNotes[gpu] ?? 'other users') : undefined;
}
