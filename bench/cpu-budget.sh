#!/usr/bin/env bash
# CPU per task of each part of the distributed path, for bench/NOTES.md: one agent with 8
# slots runs N trivial tasks (`true`) against a private redis-server; the figures come from
# /proc (the agent, its spawner, the commands the spawner reaped, redis-server). Then the
# runner-equivalent on the same tasks, for comparison. Usage: bench/cpu-budget.sh [N]
set -euo pipefail
N=${1:-1000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/cpu-budget.XXXX)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PYTHON=/usr/bin/python3; [ -x "$PYTHON" ] || PYTHON=python3
TICK=$(getconf CLK_TCK)

redis-server --port "$PORT" --save '' --appendonly no --daemonize yes --pidfile "$WORK/redis.pid" --dir "$WORK" >/dev/null
AGENT=
cleanup() {
  [ -n "$AGENT" ] && kill -INT "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null || true
  kill "$(cat "$WORK/redis.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
python3 -c "import sys; open(sys.argv[1], 'w').write('template:\n  run: \"true\"\n---\nx: [%s]\n' % ', '.join(map(str, range(1, int(sys.argv[2]) + 1))))" "$WORK/params.yaml" "$N"

own() { awk '{print $14 + $15}' "/proc/$1/stat"; }       # user + system ticks of the process
reaped() { awk '{print $16 + $17}' "/proc/$1/stat"; }    # ... of the children it waited for
per_task() { echo "scale=2; ($2 - $1) * 1000 / $TICK / $N" | bc; }

node "$ROOT/packages/agent/bin/agent.js" --gpus 0,1,2,3,4,5,6,7 --redis "redis://127.0.0.1:$PORT" --prefix budget --workdir "$WORK/agent" --name budget >"$WORK/agent.log" 2>&1 &
AGENT=$!
until grep -q 'agent running' "$WORK/agent.log" 2>/dev/null; do sleep 0.1; done
SPAWNER=$(pgrep -P "$AGENT" | head -1)
REDIS=$(cat "$WORK/redis.pid")
a0=$(own "$AGENT"); s0=$(own "$SPAWNER"); c0=$(reaped "$SPAWNER"); r0=$(own "$REDIS"); t0=$(date +%s.%N)
(cd "$WORK" && node "$ROOT/packages/coordinator/bin/coord.js" submit params.yaml --redis "redis://127.0.0.1:$PORT" --prefix budget --wait >/dev/null 2>&1)
t1=$(date +%s.%N); a1=$(own "$AGENT"); s1=$(own "$SPAWNER"); c1=$(reaped "$SPAWNER"); r1=$(own "$REDIS")
echo "distributed: $N tasks in $(echo "$t1 - $t0" | bc) s; CPU ms per task: agent $(per_task "$a0" "$a1"), spawner $(per_task "$s0" "$s1"), commands $(per_task "$c0" "$c1"), redis-server $(per_task "$r0" "$r1")"

mkdir "$WORK/runner"
(cd "$WORK/runner" && /usr/bin/time -f '%e %U %S' -o "$WORK/runner.time" "$PYTHON" "$ROOT/bench/runner_equivalent.py" "$N" 8)
read -r wall user sys <"$WORK/runner.time"
echo "runner-equivalent: $N tasks in $wall s; CPU ms per task (Python and commands): $(echo "scale=2; ($user + $sys) * 1000 / $N" | bc)"
