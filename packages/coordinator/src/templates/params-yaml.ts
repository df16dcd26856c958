/**
 * The sweep file `coord init` writes: every key a new project needs, explained where it is
 * used, and the optional ones commented out. `coord run --dry-run` accepts it as it is
 * (test/init.test.ts checks that, also with the commented blocks switched on).
 */
export const PARAMS_YAML_TEMPLATE = `# A hyper-parameter sweep for sweep-runner, written by \`coord init\`.
#
#   coord run --dry-run      list the tasks this file makes, and run nothing
#   coord run                run them on this machine, one task per slot in "resource"
#   coord submit             queue them for agents on GPU machines (see "Distributed mode")
#
# The first document, up to the "---" line, configures the sweep. Every document after it
# lists values to try: each combination of its lists is one task, with its own output
# directory (output/Lr_0.001-Seed_1/) holding its logs, param.json and stat.json. A rerun
# skips the commands that already succeeded (coord run -f runs them again).

# The commands of one task, run in this order. In a command line:
#   {p}        the value of param p:             --lr {lr}  ->  --lr 0.001
#   [p]        "--p value"; for True just "--p"; for False nothing at all
#   {_output}  this task's output directory; {_name} its name
# A long command can be written as "train: >" followed by indented lines, joined with spaces.
template:
  train: python train.py --lr {lr} --seed {seed} --batch-size {batch_size} --save-dir {_output} [dropout] [amp]
  test: python test.py --checkpoint {_output}/model.pt

# Values of params that a choice document below does not set.
default:
  batch_size: 32
  dropout: 0.1
  amp: False            # False leaves [amp] out; True would give "--amp"

# Named groups of params: "size: big" in a choice document sets both of them at once.
# alias:
#   size:
#     small: { batch_size: 32, dropout: 0.1 }
#     big: { batch_size: 128, dropout: 0.3 }

# GPU slots for \`coord run\`: one running task per entry, with CUDA_VISIBLE_DEVICES set to it.
#   [0, 1]          one task on GPU 0 and one on GPU 1
#   [0, 1, 0, 1]    two tasks per GPU
#   ["0,1", "2,3"]  two GPUs per task
resource: [0]

# Distributed mode (\`coord submit\`, with an \`agent\` on each GPU machine). The same keys
# with a leading underscore (_gpus, _timeout, ...) set them for one choice document.
# gpus: 1               # GPUs per task; 0 runs it on an agent's CPU slots
# pool: default         # only agents started with --pool default take these tasks
# timeout: 2h           # kill a task that runs longer (90s, 2h, 1h30m); also for coord run
# retries: 1            # run a failed task again, up to this many more times
# priority: 0           # tasks of higher priority start first

---
# A choice document: 3 learning rates x 2 seeds = 6 tasks, named like Lr_0.001-Seed_1.
# A single value needs no brackets; quote a value to keep it as text ("010", "yes").
_title: baseline        # a label: \`coord run -t baseline\` runs only this document
lr: [0.001, 0.0003, 0.0001]
seed: [1, 2]
# size: [small, big]    # with the alias above: twice as many tasks
`;
