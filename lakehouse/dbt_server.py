"""A process that keeps dbt imported and runs each dbt invocation in a fork of itself.

A dbt process spends ~2 s of CPU importing dbt and its DuckDB adapter before it reads the
project: a `dbt build` that selects nothing costs 3.3-3.5 CPU-s started as a process and
1.3-1.5 CPU-s forked from a process that has them imported (BENCHMARKS.md, issue 12
session 23). Whoever runs dbt many times (the test suite: about twenty runs) can start one
server and set ``MMFACTORY_DBT_SERVER`` to its socket; ``lakehouse.dbt.run_dbt`` then has
the server run dbt instead of starting a process. The run is the same dbt with the same
arguments, working folder, environment, standard streams, umask and niceness as a child
process of the caller, and it finds the project's code (the DuckDB plugin ``python_udfs``,
the Python models' ``lakehouse``) on the caller's ``PYTHONPATH`` as a new dbt process would,
whichever checkout the server runs in (``_as_a_new_process``).

Protocol (a Unix ``SOCK_SEQPACKET`` socket, one connection per run): the caller sends one
JSON message (``Request``) with its stdin, stdout and stderr attached; the server forks a
handler for the connection, which forks the dbt process and then waits for whichever
comes first: dbt ends (the handler answers ``{"returncode": n}``, negative for a signal,
as ``subprocess`` gives it) or the caller goes away (the connection ends: the handler
sends dbt SIGTERM, as ``die_with_parent`` makes Linux do for a child). A
server of another Python (another virtual environment) refuses the run
(``{"refused": why}``) and the caller starts dbt itself.

Run it with ``python -m lakehouse.dbt_server SOCKET``; it serves until SIGTERM or until the
process that started it ends (Linux's parent-death signal), and removes its socket.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import io
import json
import os
import resource
import select
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

SERVER_ENV = "MMFACTORY_DBT_SERVER"
"""The socket of a running dbt server for ``lakehouse.dbt.run_dbt`` to use (unset: none)."""
PRELOAD = ("dbt.cli.main", "dbt.adapters.duckdb")
"""What the server imports once for every run it forks: third-party only, and nothing that
starts a thread (pyarrow would: the DuckDB plugin's imports stay in each run)."""
_SITE_PATH = [p for p in sys.path[1:]
              if p not in os.environ.get("PYTHONPATH", "").split(os.pathsep)]
"""The server's import path less its first entry (the folder ``-m`` ran in) and its own
``PYTHONPATH``: the standard library and the environment's site folders."""
_MAX_MESSAGE = 1 << 20
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Request:
    """One dbt run, as the caller would start it as a child process."""

    executable: str  # the caller's Python: a server of another one refuses the run
    args: list[str]
    cwd: str
    env: dict[str, str]
    umask: int
    nice: int


def die_with_parent() -> None:
    """In a child, before it runs: ask Linux to send it SIGTERM when its parent dies, so a
    killed ``mmfactory build`` (even by SIGKILL) never leaves dbt running and swapping
    exports. A no-op where ``prctl`` does not exist."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


# ---- the caller's side ------------------------------------------------------------------
def run_on_server(socket_path: str, args: Sequence[str], cwd: Path,
                  env: Mapping[str, str]) -> int | None:
    """Run ``dbt <args>`` in ``cwd`` with ``env`` on the server at ``socket_path``, with this
    process's standard streams; its exit code, or None when no server there runs it (none
    listening, or it refused: the reason goes to stderr), so the caller starts dbt itself.
    Waits for the run; if this process dies or is interrupted meanwhile, dbt gets SIGTERM."""
    request = Request(executable=sys.executable, args=list(args), cwd=str(cwd), env=dict(env),
                      umask=_umask(), nice=os.getpriority(os.PRIO_PROCESS, 0))
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        conn.connect(socket_path)
    except OSError as exc:
        print(f"dbt server {socket_path} not reachable ({exc}); running dbt directly",
              file=sys.stderr)
        return None
    with conn, _StandardStreams() as fds:
        try:
            socket.send_fds(conn, [json.dumps(asdict(request)).encode()], fds)
        except OSError as exc:  # e.g. a request larger than the socket takes: nothing ran
            print(f"dbt server {socket_path} cannot take the run ({exc}); running dbt directly",
                  file=sys.stderr)
            return None
        reply = conn.recv(_MAX_MESSAGE)
    if not reply:
        raise RuntimeError(f"the dbt server {socket_path} ended the run without an exit code")
    answer = json.loads(reply)
    if "refused" in answer:
        print(f"dbt server {socket_path} refused the run ({answer['refused']}); "
              "running dbt directly", file=sys.stderr)
        return None
    return int(answer["returncode"])


def _umask() -> int:
    """This process's umask, read without setting it (``os.umask`` would change it for a
    moment under the other threads: the build imports the contracts' modules in one)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    raise OSError("no Umask line in /proc/self/status")


class _StandardStreams:
    """File descriptors 0, 1 and 2 to hand over, each replaced by /dev/null if closed."""

    def __enter__(self) -> list[int]:
        self._opened: list[int] = []
        fds = []
        for fd in (0, 1, 2):
            try:
                os.fstat(fd)
                fds.append(fd)
            except OSError:
                null = os.open(os.devnull, os.O_RDWR)
                self._opened.append(null)
                fds.append(null)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # what this process printed comes before dbt's output
        return fds

    def __exit__(self, *_exc: object) -> None:
        for fd in self._opened:
            os.close(fd)


# ---- the server -------------------------------------------------------------------------
def serve(socket_path: str) -> None:
    """Listen on ``socket_path`` and fork a handler per connection until SIGTERM (or the
    parent's death); dbt is imported when the first run comes (``_preload``).

    Signals reach the loop through a wakeup pipe (``signal.set_wakeup_fd``) it polls with
    the socket: a SIGTERM that came between two blocking calls would otherwise wait for
    the next connection (seen: SIGCHLD's handler running as SIGTERM came)."""
    die_with_parent()
    path = Path(socket_path)
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(str(path))
    listener.listen(64)
    listener.setblocking(False)
    wakeup, woken = os.pipe()
    for fd in (wakeup, woken):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(woken)
    for signum in (signal.SIGTERM, signal.SIGCHLD):
        signal.signal(signum, _noted)
    poller = select.poll()
    poller.register(listener, select.POLLIN)
    poller.register(wakeup, select.POLLIN)
    runs = 0
    try:
        while True:
            ready = {fd for fd, _ in poller.poll()}
            if wakeup in ready:
                signums = os.read(wakeup, 512)
                _reap()
                if signal.SIGTERM in signums:
                    return
            if listener.fileno() in ready:
                try:
                    conn, _ = listener.accept()
                except BlockingIOError:  # a caller that gave up before it was accepted
                    continue
                conn.setblocking(True)
                _preload()
                pid = os.fork()
                if pid == 0:
                    signal.set_wakeup_fd(-1)
                    for signum in (signal.SIGTERM, signal.SIGCHLD):
                        signal.signal(signum, signal.SIG_DFL)
                    for fd in (wakeup, woken, listener.fileno()):
                        os.close(fd)
                    _handle(conn)  # never returns
                conn.close()
                runs += 1
    finally:
        listener.close()
        path.unlink(missing_ok=True)
        _reap()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"dbt server {socket_path}: {runs} run(s), "
              f"{usage.ru_utime + usage.ru_stime:.1f} s of CPU in the runs ended", file=sys.stderr)


def _preload() -> None:
    """Import ``PRELOAD`` (once: on the first run, so a server nobody uses costs nothing)."""
    if all(module in sys.modules for module in PRELOAD):
        return
    for module in PRELOAD:
        __import__(module)
    if len(os.listdir("/proc/self/task")) != 1:  # a fork copies no other thread, and
        # whatever lock one held stays held in the fork (pyarrow starts 2 when imported)
        raise RuntimeError("importing dbt started threads; the server cannot fork safely")


def _noted(_signum: int, _frame: object) -> None:
    """SIGTERM's and SIGCHLD's handler: nothing; the wakeup pipe tells the loop."""


def _reap() -> None:
    """Wait for every ended handler (their CPU time then counts as this process's children's)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _handle(conn: socket.socket) -> None:
    """A handler process: read the request, fork dbt, answer with its exit code."""
    try:
        message, fds, _, _ = socket.recv_fds(conn, _MAX_MESSAGE, 3)
        request = Request(**json.loads(message))
        if request.executable != sys.executable:
            conn.send(json.dumps({"refused": f"it runs {sys.executable}, not "
                                             f"{request.executable}"}).encode())
            os._exit(0)
        pid = os.fork()
        if pid == 0:
            conn.close()
            _run_dbt(request, fds)  # never returns
        for fd in fds:
            os.close(fd)
        code = _wait(pid, conn)
        if code is not None:
            conn.send(json.dumps({"returncode": code}).encode())
    except BaseException:  # noqa: BLE001 - a forked handler must end here, never return
        traceback.print_exc()  # the caller sees the connection end without an exit code
    os._exit(0)


def _wait(pid: int, conn: socket.socket) -> int | None:
    """dbt's exit code, for the caller; if the caller goes away first, dbt is sent SIGTERM
    and waited for, and there is nobody to tell (None)."""
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    poller.register(conn, select.POLLIN | select.POLLHUP)
    caller_gone = False
    while True:
        for fd, _ in poller.poll():
            if fd == pidfd:
                _, status = os.waitpid(pid, 0)
                os.close(pidfd)
                return None if caller_gone else os.waitstatus_to_exitcode(status)
            if fd == conn.fileno() and not _receives(conn):  # it sends nothing more
                os.kill(pid, signal.SIGTERM)  # the caller is gone: so is its dbt run
                poller.unregister(conn)
                caller_gone = True


def _receives(conn: socket.socket) -> bool:
    """False once the caller's end of ``conn`` is closed (it exited, or was killed)."""
    try:
        return bool(conn.recv(_MAX_MESSAGE))
    except OSError:
        return False


def _run_dbt(request: Request, fds: list[int]) -> None:
    """The dbt process: become the caller's child in all that dbt can see, run dbt's
    command line, exit with its code after the exit handlers a dbt process runs."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request.cwd)
        os.umask(request.umask)
        try:
            os.setpriority(os.PRIO_PROCESS, 0, request.nice)
        except OSError:  # a lower niceness than the server's needs privileges
            pass
        os.environ.clear()
        os.environ.update(request.env)
        time.tzset()
        _as_a_new_process(request.env)
        sys.stdin, sys.stdout, sys.stderr = _text_streams(request.env)
        sys.argv = ["dbt", *request.args]
        from dbt.cli.main import cli

        cli.main(args=request.args, prog_name="dbt")
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except BaseException:  # noqa: BLE001 - what Python prints for an uncaught one, exit 1
        traceback.print_exc()
    finally:  # what Python does on its way out: join the threads left, run exit handlers
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a reader gone, a stream closed
                stream.flush()
        os._exit(code)


def _as_a_new_process(env: Mapping[str, str]) -> None:
    """Find the project's modules as a new ``dbt`` process of the caller's would: the
    import path of a console script (its own folder, the caller's ``PYTHONPATH``, then the
    environment's site folders), and none of the project's modules already imported (the
    server's own package came from the checkout the server runs in; dbt's Python models
    import ``lakehouse`` again, from the caller's)."""
    pythonpath = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:] = [str(Path(sys.executable).parent), *pythonpath, *_SITE_PATH]
    for name in [m for m in sys.modules if m == "lakehouse" or m.startswith("lakehouse.")]:
        del sys.modules[name]


def _exit_code(value: object) -> int:
    """What Python exits with for ``sys.exit(value)``."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    print(value, file=sys.stderr)
    return 1


def _text_streams(env: Mapping[str, str]) -> tuple[io.TextIOWrapper, ...]:
    """New sys.stdin/stdout/stderr on fds 0-2, buffered as Python buffers them at start."""
    unbuffered = bool(env.get("PYTHONUNBUFFERED"))
    streams = []
    for fd, old in ((0, sys.__stdin__), (1, sys.__stdout__), (2, sys.__stderr__)):
        raw = io.FileIO(fd, "rb" if fd == 0 else "wb", closefd=False)
        interactive = os.isatty(fd)
        binary = raw if fd != 0 and unbuffered else (
            io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw))
        streams.append(io.TextIOWrapper(
            binary, encoding=getattr(old, "encoding", None) or "utf-8",
            errors="backslashreplace" if fd == 2 else (getattr(old, "errors", None) or "strict"),
            line_buffering=fd == 2 or interactive or unbuffered,
            write_through=fd != 0 and unbuffered))
    return tuple(streams)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m lakehouse.dbt_server SOCKET")
    serve(sys.argv[1])
    sys.stderr.flush()
    os._exit(0)  # without tearing down dbt's modules: nothing of them needs to end cleanly
