/**
 * @sweep-runner/shared: what the coordinator and the agent both need.
 *
 * - config/: read and check the sweep file (YAML 1.1 as PyYAML reads it), with file:line errors
 * - sweep/:  expansion, naming, rendering and quoting, exactly as the original runner
 * - exec/:   run one task's commands on given GPUs (shared by local mode and the agent)
 * - queue/:  Redis connection options, key names and job payload types
 */
export * from './clock-time.js';
export * from './errors.js';
export * from './fs-reason.js';
export * from './net/listen.js';
export * from './parse-json.js';
export * from './config/duration.js';
export * from './config/gpu-slot.js';
export * from './config/read-sweep-file.js';
export * from './config/suggest.js';
export * from './cli/explain-usage.js';
export * from './cli/completion-words.js';
export * from './cli/closed-output.js';
export * from './cli/repeated-options.js';
export * from './config/sweep-file.js';
export * from './sweep/expand.js';
export * from './sweep/naming.js';
export * from './sweep/param-order.js';
export * from './sweep/python-format.js';
export * from './sweep/py-value.js';
export * from './sweep/task.js';
export * from './sweep/template.js';
export * from './exec/atomic-write.js';
export * from './exec/attempt-heading.js';
export * from './exec/command-summary.js';
export * from './exec/direct-launcher.js';
export * from './exec/events.js';
export * from './exec/launcher.js';
export * from './exec/log-tail.js';
export * from './exec/shown-text.js';
export * from './exec/make-directory.js';
export * from './exec/process-group.js';
export * from './exec/process-runs.js';
export * from './exec/run-task.js';
export * from './exec/task-files.js';
export * from './queue/agent-record.js';
export * from './queue/client-warnings.js';
export * from './queue/control-message.js';
export * from './queue/gpus-per-task.js';
export * from './queue/eviction-policy.js';
export * from './queue/redis-refusal.js';
export * from './queue/closed-on-connect.js';
export * from './queue/connect.js';
export * from './queue/command-digest.js';
export * from './queue/keys.js';
export * from './queue/payload.js';
export * from './queue/redis-url.js';
export * from './queue/task-record.js';
export * from './queue/task-scripts.js';
export * from './results/collect-metrics.js';
export * from './results/metrics-json.js';
export * from './results/parse-python-json.js';
export * from './queue/signing.js';
export * from './exec/spawner-launcher.js';
export * from './metrics/prometheus.js';
export * from './results/pattern-problem.js';
export * from './queue/bullmq-add-job.js';
