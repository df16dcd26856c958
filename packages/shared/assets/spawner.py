"""
The spawner: a small long-lived helper that starts a launcher's commands for it.

Node's own spawn forks the whole Node process (tens of MiB of page tables) for every
command. A line that is one simple command (a program and its arguments, or a builtin that
runs nothing else) is forked by bash started once (the zygote): a fork of a small bash that
has already started costs a fraction of starting a new `bash -c` (loading, linking and
initialising bash is most of a short command's CPU). We are the zygote's children's
subreaper, so each command is reparented to us and reaped here with its exact status. A line
of plain words naming a program (`sleep 1`, `python train.py --lr 0.1`) needs no shell at
all: bash would only look the program up and run it in place of itself, so we do that, with
the environment bash would give it. Any other line, and every line when the zygote cannot
run, starts with posix_spawn of `bash -c` in a session of its own. Each command gets a
process group of its own, stdout and stderr appended to its log.

It also guards against orphans, for every group it started: when its parent stops talking
(end of input: the parent died) or goes silent past the orphan timeout (the parent is
frozen), every running group gets SIGTERM, then SIGKILL after the grace period.

Protocol: JSON lines. In: {"op": "spawn", "id", "script", "log", "env": {...}, "cwd"?},
{"op": "hb"}. Out: {"ev": "started", "id", "pid"},
{"ev": "exit", "id", "code", "signal"}, {"ev": "error", "id", "message"}.
"""
import json
import os
import re
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

PR_SET_CHILD_SUBREAPER = 36
MY_PID = os.getpid()
SPAWN_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE, signal.SIGCHLD)

# The zygote reads one piece of shell per command (the command's id and the piece's size on a
# line, then the piece: bash reads a pipe a byte at a time, except for a known size) and runs
# it in a grandchild that is a job
# of its own (`set -m`: own process group), so the middle shell exits at once and the
# command is reparented to us. The line waits for that (the middle shell would otherwise reap
# a command that ends first, and its status would be lost), reports the command's pid on
# fd 3, then becomes the command. Fd 4 is a pipe nobody writes to: a read of it is a sleep.
ZYGOTE = ('(( BASH_VERSINFO[0] >= 5 )) || exit 1; '
          # Its shells must see themselves in /proc (not a /proc of another pid namespace).
          'read -r _ _ _ __spawner_parent _ </proc/$BASHPID/stat && [[ $__spawner_parent == $PPID ]] || exit 1; '
          'unset -v __spawner_parent; echo "ready ${BASH_VERSINFO[0]} ${BASH_VERSINFO[1]}" >&3; '
          # A shell it could not fork (no processes left) is said, so the command starts as bash -c.
          'while IFS=" " read -r __spawner_id __spawner_size && IFS= read -r -N "$__spawner_size" __spawner_line; do '
          '( set -m; ( eval "$__spawner_line" ) & ) || printf "failed %s\\n" "$__spawner_id" >&3; done')

# `$$` in a command run by the zygote would be the zygote's pid, not the command's own.
NEEDS_OWN_SHELL = re.compile(r"\$\$|\$\{\$\}")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Variables a shell reads or keeps itself: set for one command, they act in its shell (or are
# refused there) where bash -c would take them from its environment at start.
# So are the variables bash sets itself at start (`env -i bash -c 'compgen -v'`): given to it
# in the environment, some are reset or dropped (LINENO, OPTIND, PS4, RANDOM, ...).
SHELL_VARIABLES = {"IFS", "SHELLOPTS", "BASHOPTS", "UID", "EUID", "PPID", "SHLVL", "ENV", "PATH", "PWD", "OLDPWD",
                   "HOME", "CDPATH", "GLOBIGNORE", "TMOUT", "POSIXLY_CORRECT", "LANG", "LC_ALL", "LC_CTYPE",
                   "COMP_WORDBREAKS", "DIRSTACK", "EPOCHREALTIME", "EPOCHSECONDS", "GROUPS", "HISTCMD", "HOSTNAME",
                   "HOSTTYPE", "LINENO", "MACHTYPE", "OPTERR", "OPTIND", "OSTYPE", "PS4", "RANDOM", "SECONDS", "SHELL",
                   "SRANDOM", "TERM", "_", "SSH_CLIENT", "SSH2_CLIENT", "EXECIGNORE"}

# The zygote runs only a line that is one simple command: naming a program (`python train.py
# --lr 0.1 --name 'run 1'`), run with `exec`, as `bash -c` runs such a line in place of
# itself (the program is the command's process, so its exit status or signal, and its own
# handling of SIGTERM, are the command's); or a builtin that runs no program, which `bash -c`
# runs in itself too. Anything else (lists, pipelines, redirections, command substitution,
# other builtins) is a new `bash -c`, as before.
PROGRAM = re.compile(r"[A-Za-z0-9_./+][A-Za-z0-9_./+-]*\Z")
BUILTINS_IN_PLACE = {"true", "false", ":", "echo", "printf", "exit", "kill", "test", "["}
SHELL_WORDS = set("""alias bg bind break builtin caller cd command compgen complete compopt continue declare dirs
    disown echo enable eval exec exit export false fc fg getopts hash help history jobs kill let local logout
    mapfile popd printf pushd pwd read readarray readonly return set shift shopt source suspend test times
    trap true type typeset ulimit umask unalias unset wait . if then else elif fi case esac for select while
    until do done in function time coproc""".split())


class Zygote:
    def __init__(self, pid, requests, reports, never_written, bash_version):
        self.pid = pid
        self.bash_version = bash_version   # (major, minor)
        self.never_written = never_written
        self.requests = requests    # we write command lines here (None once closed)
        self.reports = reports      # "id pid" lines come back here (None at end of file)
        self.buffer = b""
        self.awaiting = {}          # id -> spawn message: sent, and its pid not reported yet


zygote = None
early_exits = {}   # pid -> (status, when): reaped before the zygote's report of it was read


def high_fd(fd):
    """A copy of fd above the ones the zygote is given (0-4), still closed on exec."""
    import fcntl
    copy = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return copy


def bash_shell_level(env):
    """The shell level of a bash started with `env` (bash's own rule: its legal_number)."""
    given = re.match(r"[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t]*\Z", env.get("SHLVL", ""), re.ASCII)
    level = (int(given.group(1)) if given else 0) + 1
    return 0 if level < 0 else 1 if level >= 1000 else level


# bash runs a file of the user's as each bash -c starts: BASH_ENV, or ~/.bashrc where it takes
# itself for a command run by sshd (Debian builds it so: SSH_CLIENT or SSH2_CLIENT set, shell
# level below 2, as for `ssh host agent ...`). Then every command is a bash -c of its own.
RUN_BY_SSH = any(name in BASE_ENV for name in ("SSH_CLIENT", "SSH2_CLIENT"))
BASH_RUNS_FILES = any(name in BASE_ENV for name in ("BASH_ENV", "ENV")) or (RUN_BY_SSH and bash_shell_level(BASE_ENV) < 2)
SHORTCUTS = not BASH_RUNS_FILES and os.environ.get("RUNNER_SPAWNER_ZYGOTE") != "0"


def start_zygote():
    # TMOUT would end the zygote's wait for the next command.
    if not SHORTCUTS or "TMOUT" in BASE_ENV:
        return None
    try:
        import ctypes   # not in a minimal python3 install: then every command is a new bash -c
        import fcntl    # noqa: F401 (high_fd needs it; imported here so that its absence is caught)
        if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            return None
    except (ImportError, OSError, AttributeError):
        return None
    request_read, request_write = (high_fd(fd) for fd in os.pipe())
    report_read, report_write = (high_fd(fd) for fd in os.pipe())
    sleep_read, never_written = (high_fd(fd) for fd in os.pipe())
    # What it says itself (a warning as it starts, a fork it retries) is not the launcher's
    # output: a command says what matters in its own log, or as a failed start.
    actions = [
        (os.POSIX_SPAWN_DUP2, request_read, 0),
        (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0),
        (os.POSIX_SPAWN_DUP2, report_write, 3),
        (os.POSIX_SPAWN_DUP2, sleep_read, 4),
    ]
    try:
        pid = os.posix_spawn("/bin/bash", ["bash", "-c", ZYGOTE, "bash"], BASE_ENV, file_actions=actions, setsid=True,
                             setsigdef=SPAWN_SIGNALS)
    except OSError:
        for fd in (request_read, request_write, report_read, report_write, sleep_read, never_written):
            os.close(fd)
        return None
    for fd in (request_read, report_write, sleep_read):
        os.close(fd)
    # It says it runs (bash 5 or later), or every command is a new bash -c.
    waiting = selectors.DefaultSelector()
    waiting.register(report_read, selectors.EVENT_READ)
    answered = waiting.select(5.0)
    waiting.close()
    ready = re.match(rb"ready (\d+) (\d+)\n\Z", os.read(report_read, 64)) if answered else None
    if ready:
        return Zygote(pid, request_write, report_read, never_written, (int(ready.group(1)), int(ready.group(2))))
    end_zygote(pid, (request_write, report_read, never_written))
    return None


def end_zygote(pid, fds):
    """A zygote that has run no command (its session holds nothing else): killed, reaped, and
    our ends of its pipes closed."""
    signal_group(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    for fd in fds:
        os.close(fd)


def stop_zygote():
    """Before any command: bash says something as each bash -c starts, so each must be one."""
    global zygote
    end_zygote(zygote.pid, (zygote.requests, zygote.reports, zygote.never_written))
    zygote = None


# Inside $'...': controls, quote, backslash and every byte past ASCII as \xHH, the rest as is.
ANSI_C_ESCAPES = {byte: ("\\x%02x" % byte if byte < 0x20 or byte >= 0x7f or byte in (0x27, 0x5c) else chr(byte)) for byte in range(256)}


def ansi_c_quote(text):
    """$'...' for any text, in ASCII only: its size in characters is its size in bytes,
    whatever the locale (read -N counts characters)."""
    return "$'" + text.encode("utf-8").decode("latin-1").translate(ANSI_C_ESCAPES) + "'"


def simple_command(script):
    """("program", name) or ("builtin", name) for a line of one simple command, else None:
    quotes and $VAR are fine, any shell operator, newline, comment, command substitution or
    unfinished quote is not."""
    words, word, i = [], "", 0
    while i < len(script):
        char = script[i]
        if char in " \t":
            if word:
                words.append(word)
            word = ""
        elif char == "\\":
            if i + 1 >= len(script) or script[i + 1] == "\n":
                return None
            word += script[i:i + 2]
            i += 1
        elif char == "'":
            close = script.find("'", i + 1)
            if close < 0:
                return None
            word += script[i:close + 1]
            i = close
        elif char == '"':
            j = i + 1
            while j < len(script) and script[j] != '"':
                if script[j] == "`" or script.startswith("$(", j):
                    return None
                j += 2 if script[j] == "\\" else 1
            if j >= len(script):
                return None
            word += script[i:j + 1]
            i = j
        elif char in ";&|<>()`\n\r" or script[i:i + 2] in ("$(", "$'", '$"', "${") or (char == "#" and not word):
            return None
        else:
            word += char
        i += 1
    if word:
        words.append(word)
    if not words:
        return None
    if words[0] in BUILTINS_IN_PLACE:
        return ("builtin", words[0])
    if not PROGRAM.match(words[0]) or words[0] in SHELL_WORDS:
        return None
    return ("program", words[0])


def zygote_line(ident, message, env_changes, command, here):
    """The grandchild's shell: report our pid, take the command's files, directory and
    environment, and run the command as `bash -c` would."""
    parts = [
        "unset -v __spawner_id __spawner_size __spawner_line",
        "set +m",
        # A read of fd 4 that ends before its timeout means we are gone: then the command is not run.
        "until read -r _ _ _ __spawner_parent _ </proc/$BASHPID/stat && [[ $__spawner_parent == %d ]]; do read -t 0.0002 -u 4; (( $? > 128 )) || exit 125; done" % MY_PID,
        "unset -v __spawner_parent",
        "printf '%%s\\n' \"%d $BASHPID\" >&3" % ident,
        "exec 3>&- 4<&- </dev/null >>%s 2>&1" % ansi_c_quote(message["log"]),
    ]
    cwd = message.get("cwd")
    if cwd and cwd != here:
        parts.append("cd -- %s || exit 127" % ansi_c_quote(cwd))
    for key, value in env_changes:
        parts.append("unset -v %s" % key if value is None else "export %s=%s" % (key, ansi_c_quote(value)))
    # As `bash -c` has them: this shell is two subshells down from the zygote, whose code it holds.
    parts.append("BASH_SUBSHELL=0")
    parts.append("BASH_EXECUTION_STRING=%s" % ansi_c_quote(message["script"]))
    kind, name = command
    if kind == "program":
        # Not found, or not a runnable file: eval says so in bash's own words.
        found = "[[ -f %s && -x %s ]]" % (name, name) if "/" in name else "hash -- %s 2>/dev/null" % name
        # Parsed only now, after the report: a line bash cannot parse ends with its error in
        # the log. bash -c hands the program its own shell level, one less than its own (set
        # after the arguments are expanded, as a prefix assignment is), and `_`.
        # `_` names the program, as bash puts it in a program's environment (the path it found).
        program = name if "/" in name else "\\${BASH_CMDS[%s]}" % name
        parts.append('%s && { eval "_=%s SHLVL=\\$((SHLVL - 1)) exec $BASH_EXECUTION_STRING"; exit; }' % (found, program))
    parts.append('eval "$BASH_EXECUTION_STRING"')
    return "; ".join(parts)


def write_all(fd, data):
    """A long line fills the pipe, and a signal (SIGCHLD) may end a write part way."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# An exported function could stand for the program: bash -c would call it, exec could not.
# (One set for a single command is a BASH_ variable, which sends that command to bash -c.)
EXPORTED_FUNCTIONS = any(key.startswith("BASH_FUNC_") for key in BASE_ENV)


def shortcut_command(message, env_changes):
    """The simple command the line is (see simple_command), when it may start without a
    bash -c of its own (with no shell, or through the zygote), else None."""
    if stopping or EXPORTED_FUNCTIONS:
        return None
    texts = [message["script"], message["log"], message.get("cwd") or ""] + [v for _, v in env_changes if v is not None]
    if (NEEDS_OWN_SHELL.search(message["script"]) or any("\x00" in text for text in texts)
            or not all(ENV_NAME.match(key) and key not in SHELL_VARIABLES and not key.startswith("BASH") for key, _ in env_changes)):
        return None
    return simple_command(message["script"])


parent_gone = False   # our output is closed: nobody is told anything any more
stopping = False      # killing everything: no new command starts


def send(message):
    global parent_gone
    if parent_gone:
        return
    try:
        out.write(json.dumps(message) + "\n")
        out.flush()
    except BrokenPipeError:
        parent_gone = True


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


# Words that bash takes as they are: no quoting, expansion, pattern or operator in them.
PLAIN_LINE = re.compile(r"[ \t]*[A-Za-z0-9_./+][A-Za-z0-9_./+-]*(?:[ \t]+[A-Za-z0-9_./:=,+@%-]+)*[ \t]*\Z")
PROGRAM_ENV = None   # what bash -c gives a program it runs in place of itself (read_probe)
START_CWD = None     # our directory, to which we come back after starting a command elsewhere
START_DIR = None     # a descriptor of it
SPAWN_MASK = ()      # the signals blocked for a program: ours, but SIGCHLD, which bash unblocks


def current_directory():
    try:
        return os.getcwd()
    except OSError:
        return None   # removed: then every command with a directory of its own goes there by cd


def start_probe():
    """Starts a real `bash -c` of a program, /usr/bin/env, to learn what bash gives a program
    it runs in place of itself and whether it says anything as it starts (read_probe), while
    the zygote starts. None where there is nothing to learn."""
    if not SHORTCUTS or not os.access("/usr/bin/env", os.X_OK):
        return None
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    actions = [(os.POSIX_SPAWN_CLOSE, 0), (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0), (os.POSIX_SPAWN_DUP2, out_write, 1),
               (os.POSIX_SPAWN_DUP2, err_write, 2)]
    try:
        pid = os.posix_spawn("/bin/bash", ["bash", "-c", "/usr/bin/env -0"], BASE_ENV, file_actions=actions, setsid=True,
                             setsigdef=SPAWN_SIGNALS)
    except OSError:
        os.close(out_read)
        os.close(err_read)
        return None
    finally:
        os.close(out_write)
        os.close(err_write)
    return pid, out_read, err_read


def read_probe(probe):
    """(the environment, or None; whether bash said anything as it started). bash drops some
    variables (an OLDPWD that is not a directory, PPID), resets others (IFS, SHLVL) and adds
    PWD; only `_` differs between programs. What it says (a locale it cannot set, a shell
    level too high) is in every bash -c's log: then every command must be a bash -c."""
    if probe is None:
        return None, False
    pid, out_read, err_read = probe
    outputs = {out_read: [], err_read: []}
    waiting = selectors.DefaultSelector()
    for fd in outputs:
        waiting.register(fd, selectors.EVENT_READ)
    deadline = time.monotonic() + 5.0
    while waiting.get_map() and time.monotonic() < deadline:
        for key, _ in waiting.select(deadline - time.monotonic()):
            chunk = os.read(key.fd, 65536)
            if chunk:
                outputs[key.fd].append(chunk)
            else:
                waiting.unregister(key.fd)
    finished = not waiting.get_map()
    waiting.close()
    for fd in outputs:
        os.close(fd)
    # Done, it is reaped first (a kill could catch env between closing its output and exiting);
    # then whatever it left in its session is killed. Stuck, it is killed first.
    if not finished:
        signal_group(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    signal_group(pid, signal.SIGKILL)
    data, said = b"".join(outputs[out_read]), b"".join(outputs[err_read])
    if not finished or said:
        return None, True
    if status != 0 or not data.endswith(b"\0"):
        return None, False
    entries = [os.fsdecode(entry).split("=", 1) for entry in data[:-1].split(b"\0")]
    if not all(len(entry) == 2 for entry in entries):
        return None, False
    env = dict(entries)
    # A level below 2 where sshd seems to run us: bash ran ~/.bashrc (our own reading of SHLVL
    # missed it). The program gets one less than bash's level, so reading it as bash does gives that level.
    if RUN_BY_SSH and bash_shell_level(env) < 2:
        return None, True
    if env.pop("_", None) != "/usr/bin/env" or "PWD" not in env or "PATH" not in env or os.environ.get("RUNNER_SPAWNER_DIRECT") == "0":
        return None, False
    return env, False


EFFECTIVE_IDS = os.access in os.supports_effective_ids


def runnable(path):
    """As bash judges a file it finds: anything but a directory, executable for our effective ids."""
    return os.path.exists(path) and not os.path.isdir(path) and os.access(path, os.X_OK, effective_ids=EFFECTIVE_IDS)


def search_directories(search_path):
    """PATH's entries up to the first we cannot search as bash would: a relative one (read
    from the directory bash is in at the time), or one whose paths bash would write otherwise.
    PATH is the same for every command (a command may not set it), so this is read once."""
    directories = []
    for directory in search_path.split(":"):
        if not directory.startswith("/") or os.path.normpath(directory) != directory or directory.startswith("//") or directory == "/":
            break
        directories.append(directory)
    return directories


PROGRAM_DIRECTORIES = []   # search_directories of PROGRAM_ENV's PATH


def find_program(name, cwd):
    """The file bash would run for `name`, or None where bash would say it cannot, or where we
    cannot search on (see search_directories)."""
    if "/" in name:
        # Run by the name as written, from the command's directory: a script's $0 is that name.
        return name if runnable(os.path.join(cwd, name)) else None
    for directory in PROGRAM_DIRECTORIES:
        if runnable(directory + "/" + name):
            return directory + "/" + name
    return None


def spawn_program(message, env_changes, name, here):
    """A line of plain words naming a program, started with no shell, as `bash -c` would run
    it: the same process (its own session), arguments, environment, directory and files.
    False where bash must run it after all, to say what is wrong in its own words (no such
    program, not runnable). Where the program cannot start (no such directory, a script with
    no #! line, which bash runs itself) it starts as bash -c."""
    script = message["script"]
    if PROGRAM_ENV is None or not PLAIN_LINE.match(script):
        return False
    cwd = message.get("cwd") or here
    env = PROGRAM_ENV.copy()
    if cwd != here:
        # As `cd -- cwd` leaves them, for a directory written as cd would write it.
        if not cwd.startswith("/") or cwd.startswith("//") or os.path.normpath(cwd) != cwd:
            return False
        env["OLDPWD"], env["PWD"] = env["PWD"], cwd
    for key, value in env_changes:
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    path = find_program(name, cwd)
    if path is None:
        return False
    env["_"] = path
    try:
        log = os.open(message["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    except (OSError, ValueError):   # said by the way the line goes on
        return False
    actions = [
        (os.POSIX_SPAWN_CLOSE, 0),
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, log, 1),
        (os.POSIX_SPAWN_DUP2, log, 2),
    ]
    try:
        if cwd != here:
            os.chdir(cwd)
        pid = os.posix_spawn(path, script.split(), env, file_actions=actions, setsid=True, setsigdef=SPAWN_SIGNALS,
                             setsigmask=SPAWN_MASK)
    except (OSError, ValueError):   # ValueError: text that is not Unicode, which bash -c refuses too
        pid = None
    finally:
        os.close(log)
        if cwd != here:
            os.fchdir(START_DIR)
    if pid is None:
        spawn(message, shortcuts=False)
        return True
    running[pid] = message["id"]
    send({"ev": "started", "id": message["id"], "pid": pid})
    return True


def spawn(message, shortcuts=True):
    """Start a command: with no shell where bash would run it in place of itself, else through
    the zygote where it can run it, else (and always without shortcuts) as bash -c."""
    ident = message["id"]
    env_changes = list((message.get("env") or {}).items())
    # Moved or removed since we started, our directory is not the one the zygote's and the
    # probe's PWD name: a bash -c starting now would see it otherwise.
    here = current_directory()
    command = shortcut_command(message, env_changes) if shortcuts and here is not None and here == START_CWD else None
    if command is not None and command[0] == "program" and spawn_program(message, env_changes, command[1], here):
        return
    # The zygote's exec would hand a script named by a relative path its whole path as $0.
    if command is not None and command[0] == "program" and "/" in command[1] and not command[1].startswith("/"):
        command = None
    if command is not None and zygote is not None and zygote.requests is not None:
        try:
            # Created here with the mode posix_spawn gives it (bash would use 0666 less the umask).
            os.close(os.open(message["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644))
        except (OSError, ValueError) as error:   # ValueError: a path that is not Unicode
            send({"ev": "error", "id": ident, "message": str(error)})
            return
        try:
            line = zygote_line(ident, message, env_changes, command, here)
            write_all(zygote.requests, ("%d %d\n%s" % (ident, len(line), line)).encode("ascii"))
            zygote.awaiting[ident] = message
            return
        except (OSError, UnicodeEncodeError):
            pass   # the zygote is gone (its exit is handled when reaped), or the text is not Unicode
    env = BASE_ENV.copy()
    for key, value in env_changes:
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    script = message["script"]
    cwd = message.get("cwd")
    if cwd and cwd != here:
        # On the command's first line, so that bash's errors and $LINENO count the command's lines.
        script = "cd -- " + "'" + cwd.replace("'", "'\"'\"'") + "' || exit 127; " + script
    actions = [
        (os.POSIX_SPAWN_CLOSE, 0),
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, message["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    try:
        # After --, a line starting with + or - is a command, not an option of bash's.
        pid = os.posix_spawn("/bin/bash", ["bash", "-c", "--", script], env, file_actions=actions, setsid=True,
                             setsigdef=SPAWN_SIGNALS)
    except (OSError, ValueError) as error:   # ValueError: a NUL, or text that is not Unicode
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
        if zygote is not None and pid == zygote.pid:
            zygote_exited()
            continue
        if pid not in running:
            # A command the zygote started may end before its report is read. Anything else
            # reparented to us (what a command left running) is only reaped.
            if zygote is not None and zygote.awaiting:
                early_exits[pid] = (status, time.monotonic())
            continue
        command_exited(pid, status)


def command_exited(pid, status):
    ident = running.pop(pid)
    if os.WIFSIGNALED(status):
        code, sig = None, signal.Signals(os.WTERMSIG(status)).name
    else:
        code, sig = os.WEXITSTATUS(status), None
    send({"ev": "exit", "id": ident, "code": code, "signal": sig})
    # What the command left running in its group gets SIGTERM now, SIGKILL later.
    if group_alive(pid):
        signal_group(pid, signal.SIGTERM)
        strays[pid] = time.monotonic() + STRAY_GRACE


def read_reports(block_seconds=0.0):
    """The zygote's "id pid" lines: those commands run now. Returns False at end of file."""
    if zygote is None or zygote.reports is None:
        return False
    if block_seconds > 0:
        selectors_ready = selectors.DefaultSelector()
        selectors_ready.register(zygote.reports, selectors.EVENT_READ)
        ready = selectors_ready.select(block_seconds)
        selectors_ready.close()
        if not ready:
            return True
    chunk = os.read(zygote.reports, 65536)
    if not chunk:
        os.close(zygote.reports)
        zygote.reports = None
        # The zygote is gone, or going: its end of our pipe may close only a little later
        # (the kernel releases a dead process's files in the background), so nothing more
        # is written to it.
        close_requests()
        # No report can come any more: commands still awaited never ran a line of their own
        # (the report comes first). They start as if there had been no zygote.
        awaited, zygote.awaiting = zygote.awaiting, {}
        for ident in sorted(awaited):
            if stopping:
                send({"ev": "error", "id": ident, "message": "the spawner is stopping"})
            else:
                spawn(awaited[ident], shortcuts=False)
        return False
    zygote.buffer += chunk
    while b"\n" in zygote.buffer:
        line, zygote.buffer = zygote.buffer.split(b"\n", 1)
        first, second = line.split()
        if first == b"failed":
            message = zygote.awaiting.pop(int(second), None)
            if message is not None and stopping:
                send({"ev": "error", "id": message["id"], "message": "the spawner is stopping"})
            elif message is not None:
                spawn(message, shortcuts=False)   # it fails to start, or starts once processes are free
            continue
        ident, pid = int(first), int(second)
        if zygote.awaiting.pop(ident, None) is None:
            # Given up on already (started as bash -c, or told it cannot start): it must not run twice.
            signal_group(pid, signal.SIGKILL)
            continue
        running[pid] = ident
        send({"ev": "started", "id": ident, "pid": pid})
        if stopping:
            # Sent before everything was killed (a frozen parent's), reported only now: it
            # must not run on, since another agent may run its task.
            signal_group(pid, signal.SIGKILL)
        command_ended_early(pid)
    # Reaped pids nobody reported (strays reparented to us) are forgotten after a while.
    now = time.monotonic()
    for pid in [pid for pid, (_, when) in early_exits.items() if now - when > 60]:
        del early_exits[pid]
    return True


def command_ended_early(pid):
    """A command just reported may have ended (and been reaped) already. What was kept for
    its number may also be a stray's, whose number the command got since: then it runs."""
    kept = early_exits.pop(pid, None)
    try:
        reaped, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        reaped, status = None, None   # reaped before: its status is the one kept
    if reaped == pid:
        command_exited(pid, status)
    elif reaped is None and kept is not None:
        command_exited(pid, kept[0])


def zygote_exited():
    """No new command goes to the zygote; those it forked still report, until end of file."""
    zygote.pid = None   # the number may be another process's soon
    close_requests()


def close_requests():
    if zygote.requests is not None:
        os.close(zygote.requests)
        zygote.requests = None


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
    global stopping
    stopping = True
    # No new command from the zygote. The known groups are stopped at once (another agent may
    # start their tasks soon); what the zygote forked still reports (a command not yet
    # reported stops by itself once we are gone), and each is stopped as it does.
    if zygote is not None and zygote.pid is not None:
        signal_group(zygote.pid, signal.SIGKILL)
    groups = set(running) | set(strays)
    for pgid in groups:
        signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE
    while time.monotonic() < deadline:
        reports_open = zygote is not None and zygote.reports is not None and read_reports(0.05)
        if not reports_open:
            time.sleep(0.05)
        reap()
        for pgid in set(running) - groups:
            signal_group(pgid, signal.SIGTERM)
            groups.add(pgid)
        if not reports_open and not any(group_alive(g) for g in groups):
            break
    for pgid in groups:
        signal_group(pgid, signal.SIGKILL)
    reap()


def main():
    global zygote, PROGRAM_ENV, PROGRAM_DIRECTORIES, START_CWD, START_DIR, SPAWN_MASK
    if not hasattr(os, "posix_spawn") or sys.version_info < (3, 8):
        send({"ev": "unsupported", "message": "python 3.8 or later with os.posix_spawn is needed"})
        return
    # Files our parent left open to us are not the commands' business.
    for fd in map(int, os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []):
        if fd > 2:
            try:
                os.set_inheritable(fd, False)
            except OSError:
                pass   # the directory listing's own descriptor, closed by now
    START_CWD = current_directory()
    probe = start_probe()
    zygote = start_zygote()
    PROGRAM_ENV, bash_says = read_probe(probe)
    # (Started in a directory removed already, bash may not say so; nothing is compared then.)
    if (bash_says or START_CWD is None) and zygote is not None:
        stop_zygote()
    # bash 5.0 and older keep a shell above the program of a line after a `cd`, as bash -c
    # has it for a command in another directory: no program starts without bash there.
    if zygote is None or zygote.bash_version < (5, 1):
        PROGRAM_ENV = None
    try:
        START_DIR = os.open(".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    except (OSError, AttributeError):
        PROGRAM_ENV = None
    if PROGRAM_ENV is not None:
        PROGRAM_DIRECTORIES = search_directories(PROGRAM_ENV["PATH"])
    SPAWN_MASK = signal.pthread_sigmask(signal.SIG_BLOCK, []) - {signal.SIGCHLD}
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
    if zygote is not None:
        selector.register(zygote.reports, selectors.EVENT_READ, "reports")
    buffer = b""
    last_heard = time.monotonic()
    while True:
        timeout = 0.1 if strays else 1.0
        for key, _ in selector.select(timeout):
            if key.data == "child":
                os.read(read_end, 4096)
                reap()
                continue
            if key.data == "reports":
                if not read_reports():
                    selector.unregister(key.fileobj)
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
        if parent_gone:
            kill_everything()
            return
        if ORPHAN_TIMEOUT is not None and running and time.monotonic() - last_heard > ORPHAN_TIMEOUT:
            kill_everything()
            last_heard = time.monotonic()


if __name__ == "__main__":
    main()
    if parent_gone:
        os._exit(0)   # the interpreter would try to flush our closed output once more, and complain
