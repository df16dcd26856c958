"""
The original runner's execution path, for the throughput baseline: N tasks on SLOTS
workers; each task writes its param and stat files and runs its command through
asyncio.create_subprocess_shell with bash and a log redirect, as runner/mlrunner does.
Usage: python3 runner_equivalent.py N SLOTS   (run in an empty directory)
"""
import asyncio
import json
import os
import sys


def dump(path, data):
    with open(path, "w") as f:
        json.dump(data, f, sort_keys=True, indent=4)


async def worker(queue, slot):
    while True:
        index = await queue.get()
        out = f"output/X_{index}"
        os.makedirs(out, exist_ok=True)
        script = f"CUDA_VISIBLE_DEVICES={slot} true > {out}/log.run.20260101.000000 2>&1"
        dump(f"{out}/param.json", {"x": index, "_name": f"X_{index}", "_output": out, "_commands": {"run": script}})
        dump(f"{out}/stat.json", {"run": {"code": -1}})
        process = await asyncio.create_subprocess_shell(script, executable="/bin/bash")
        await process.wait()
        dump(f"{out}/stat.json", {"run": {"code": 0 if process.returncode == 0 else 1}})
        queue.task_done()


async def main(count, slots):
    queue = asyncio.Queue()
    for index in range(1, count + 1):
        queue.put_nowait(index)
    workers = [asyncio.create_task(worker(queue, slot)) for slot in range(slots)]
    await queue.join()
    for w in workers:
        w.cancel()


asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
