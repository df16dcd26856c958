/**
 * What coord's usage errors need to know of coord beyond its yargs set-up: options that belong
 * to another command, and what a command needs named when it is given nothing.
 */
import type { ProgramUsage } from '@sweep-runner/shared';

const slotsFromAgents = (flag: string) => `GPU slots come from the agents in distributed mode (agent --gpus 0,1); ${flag} is for coord run`;

export const COORD_USAGE: ProgramUsage = {
  program: 'coord',
  elsewhere: {
    submit: { r: slotsFromAgents('-r'), resource: slotsFromAgents('--resource') },
    run: { gpus: "coord run takes its GPU slots with -r (-r 0 1, or -r 0,1 2,3 for two GPUs per task); --gpus is the agent's flag" },
  },
  needs: {
    results: 'name an output directory of coord run or a sweep id from coord status: coord results output',
    logs: 'name a task by its id or name from coord status SWEEP: coord logs X_1',
    cancel: 'name a sweep id from coord status, or a task id or name from coord status SWEEP',
    retry: 'name a sweep id from coord status, and tasks of it to retry only those: coord retry SWEEP [TASK...]',
  },
};
