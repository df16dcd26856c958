"""
The spawner: a small long-lived helper that starts a launcher's commands for it.

Node's own spawn forks the whole Node process (tens of MiB of page tables) for every
command; this helper starts each command with posix_spawn (vfork-fast) instead. Each
command gets a session and process group of its own, stdout and stderr appended to its log.

It also guards against orphans, for every group it started: when its parent stops talking
(end of input: the parent died) or goes silent past the orphan timeout (the parent is
frozen), every running group gets SIGTERM, then SIGKILL after the grace period.

Protocol: JSON lines. In: {"op": "spawn", "id", "script", "log", "env": {...}, "cwd"?},
{"op": "hb"}. Out: {"ev": "started", "id", "pid"},
{"ev": "exit", "id", "code", "signal"}, {"ev": "error", "id", "message"}.
"""
import json
import os
import selectors
import signal
import sys
import time

ORPHAN_TIMEOUT = float(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] else None
GRACE = float(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] else 5.0
STRAY_GRACE = float(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else 5.0

# Our environment never changes: copied once (reading os.environ decodes every entry).
BASE_ENV = dict(os.environ)
running = {}   # pid -> id
strays = {}    # pgid -> deadline for SIGKILL (groups whose leader exited)
out = sys.stdout


def send(message):
    out.write(json.dumps(message) + "\n")
    out.flush()


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def signal_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def spawn(message):
    ident = message["id"]
    env = BASE_ENV.copy()
    for key, value in (message.get("env") or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    script = message["script"]
    cwd = message.get("cwd")
    if cwd and cwd != os.getcwd():
        script = "cd -- " + "'" + cwd.replace("'", "'\"'\"'") + "' || exit 127\n" + script
    actions = [
        (os.POSIX_SPAWN_CLOSE, 0),
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, message["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    try:
        pid = os.posix_spawn("/bin/bash", ["bash", "-c", script], env, file_actions=actions, setsid=True,
                             setsigdef=(signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE, signal.SIGCHLD))
    except OSError as error:
        send({"ev": "error", "id": ident, "message": str(error)})
        return
    running[pid] = ident
    send({"ev": "started", "id": ident, "pid": pid})


def reap():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        ident = running.pop(pid, None)
        if ident is None:
            continue
        if os.WIFSIGNALED(status):
            code, sig = None, signal.Signals(os.WTERMSIG(status)).name
        else:
            code, sig = os.WEXITSTATUS(status), None
        send({"ev": "exit", "id": ident, "code": code, "signal": sig})
        # What the command left running in its group gets SIGTERM now, SIGKILL later.
        if group_alive(pid):
            signal_group(pid, signal.SIGTERM)
            strays[pid] = time.monotonic() + STRAY_GRACE


def sweep_strays():
    now = time.monotonic()
    for pgid, deadline in list(strays.items()):
        if not group_alive(pgid):
            del strays[pgid]
        elif now >= deadline:
            signal_group(pgid, signal.SIGKILL)
            del strays[pgid]


def kill_everything():
    """The parent is gone or frozen: another agent may take these tasks over."""
    groups = list(running.keys()) + list(strays.keys())
    for pgid in groups:
        signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE
    while time.monotonic() < deadline and any(group_alive(g) for g in groups):
        time.sleep(0.05)
        reap()
    for pgid in groups:
        signal_group(pgid, signal.SIGKILL)
    reap()


def main():
    if not hasattr(os, "posix_spawn") or sys.version_info < (3, 8):
        send({"ev": "unsupported", "message": "python 3.8 or later with os.posix_spawn is needed"})
        return
    send({"ev": "ready"})
    # The parent decides: a Ctrl-C, a closed terminal (SIGHUP) or Ctrl-\ sent to the whole group
    # must not kill us first, leaving the commands (in sessions of their own) running. Should
    # the parent die of it, our input ends and we stop every command.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_IGN)
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "input")
    selector.register(read_end, selectors.EVENT_READ, "child")
    buffer = b""
    last_heard = time.monotonic()
    while True:
        timeout = 0.1 if strays else 1.0
        for key, _ in selector.select(timeout):
            if key.data == "child":
                os.read(read_end, 4096)
                reap()
                continue
            chunk = os.read(sys.stdin.fileno(), 65536)
            if not chunk:
                kill_everything()
                return
            last_heard = time.monotonic()
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if not line.strip():
                    continue
                message = json.loads(line)
                op = message.get("op")
                if op == "spawn":
                    spawn(message)
        reap()
        sweep_strays()
        if ORPHAN_TIMEOUT is not None and running and time.monotonic() - last_heard > ORPHAN_TIMEOUT:
            kill_everything()
            last_heard = time.monotonic()


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        kill_everything()
