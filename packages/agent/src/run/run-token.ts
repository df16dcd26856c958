/**
 * A run's token: `<agent name>:<this process>:<n>`, never used twice, even by a restarted agent
 * of the same name. It holds the run's job lock and is its commands' `RUNNER_RUN`; its agent
 * part (all but the number) tells an agent started later whose run it was.
 */

export function runToken(agentPart: string, n: number): string {
  return `${agentPart}:${n}`;
}

/** The agent part of a run's token. */
export function agentPartOf(token: string): string {
  return token.slice(0, token.lastIndexOf(':'));
}
