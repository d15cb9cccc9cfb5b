"""Pre-imported kernels for the batch: every run still gets a fresh kernel process, forked.

A report run spends about 4 CPU seconds before its first cell computes anything: Python
starts, imports ipykernel, then the notebook imports pandas, scipy.stats, matplotlib and
cxlib. Twenty runs pay it twenty times. Here each batch worker keeps one **fork server**: a
plain Python process (not a kernel) started with the kernels' own interpreter, environment
and working directory, that imports ipykernel and the libraries every report notebook
imports (:data:`PRELOAD`) once, runs nothing else, and then forks one child per kernel
launch. The child becomes the kernel exactly as ``python -m ipykernel_launcher -f FILE``
would (same ``sys.argv``, ``sys.path``, environment, working directory, its own session),
so every run still starts from a fresh process: nothing a run does reaches the next run,
a crashing kernel takes only its run down, and the cells' outputs are those of a kernel
started by ``jupyter_client`` (the imports they ask for are found already loaded).

What differs from a kernel started from scratch, and why it is harmless here:

- modules in :data:`PRELOAD` were imported before the kernel started (their import-time
  state is that of a fresh import: the server executes nothing else);
- numpy's global random generator is reseeded from the operating system in each child (as
  a fresh interpreter would seed it; Python's ``random`` reseeds itself after a fork);
  report code uses seeded generators anyway (``seed=0``);
- the hash seed of ``str`` is the fork server's, shared by the kernels it forks;
- the kernel's exit status is not known (the server reaps its children).

The fork server is used on Linux only (it needs ``os.fork`` and ``os.pidfd_open``, which
keeps signalling a kernel safe from pid reuse); elsewhere, when ``CX_FORK_KERNELS=0`` is
set, for a kernel spec other than ``python -m ipykernel_launcher``, or when the server
cannot start, kernels are launched the usual way. A server whose environment no longer
matches the kernels' (an environment variable changed) is replaced. It exits when its
worker closes the pipe to it (also when the worker is killed).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
from typing import Any

#: Modules the fork server imports before forking kernels: ipykernel and what the report
#: notebooks' imports cells load (``cxlib`` brings pandas, numpy and scipy.stats). Only
#: these: a library a notebook does not import must not be loaded behind its back. The
#: heavy ones cxlib imports inside its functions stay out on purpose: importing
#: ``statsmodels.api`` adds warnings filters and environment variables and starts threads
#: (a process with threads is not safe to fork); the notebooks that use them import them.
PRELOAD = ("ipykernel.kernelapp", "IPython.display", "pandas", "matplotlib.pyplot", "cxlib")

#: Environment variable: ``0`` launches every kernel from scratch (no fork server).
FORK_ENV = "CX_FORK_KERNELS"

#: Environment variables that jupyter_client sets per kernel and that no import reads: a
#: difference in them does not need another fork server.
_PER_KERNEL = ("JPY_",)

#: Seconds the fork server gets to import :data:`PRELOAD` before kernels are launched the usual way.
START_TIMEOUT = 120.0

#: Seconds a fork request may take before the server is given up (a fork takes milliseconds).
FORK_TIMEOUT = 30.0

_BOOT = "from cxlib.report.kernels import _serve; _serve()"


def fork_supported() -> bool:
    """Whether kernels can be forked from a fork server here (Linux, not switched off).

    Examples
    --------
    >>> isinstance(fork_supported(), bool)
    True
    """
    return (os.environ.get(FORK_ENV, "1") != "0" and hasattr(os, "fork") and hasattr(os, "pidfd_open")
            and hasattr(signal, "pidfd_send_signal") and sys.platform.startswith("linux"))


def _server_env(env: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The part of a kernel's environment the fork server must have been started with."""
    return tuple(sorted((k, v) for k, v in env.items() if not k.startswith(_PER_KERNEL) and k != FORK_ENV))


# --- fork server (runs in its own process) --------------------------------------------------

def _serve() -> None:
    """The fork server's main loop: import :data:`PRELOAD`, then fork a kernel per request.

    Requests and replies are JSON lines on the server's stdin and stdout (moved to other
    file descriptors first, so that the kernels' fds 0/1/2 are devnull and the server's
    stderr, as for a kernel launched by ``jupyter_client`` from a worker)."""
    import importlib

    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)
    try:
        for name in json.loads(sys.argv[1]):
            importlib.import_module(name)
    except BaseException as exc:  # noqa: BLE001  (any failure: the worker launches kernels the usual way)
        replies.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        replies.flush()
        return
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the system
    replies.write(json.dumps({"ready": os.getpid()}) + "\n")
    replies.flush()
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:  # the kernel
            code = 1
            try:
                requests.close()
                replies.close()
                code = _become_kernel(request)
            finally:
                os._exit(code)
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()


def _become_kernel(request: dict[str, Any]) -> int:
    """In a forked child: set up the process as ``python -m ipykernel_launcher ARGS`` would
    find it, run the kernel, and return its exit code."""
    import atexit
    import runpy

    os.setsid()  # a session of its own, as jupyter_client starts kernels
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()  # a fresh interpreter seeds it from the OS
    if sys.path and sys.path[0] == "":  # `python -c` put '' first; `python -m` puts the cwd
        sys.path[0] = os.getcwd()
    sys.argv = ["ipykernel_launcher", *request["argv"]]
    code: Any = 0
    try:
        runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        code = 1
    with contextlib.suppress(Exception):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    return code if isinstance(code, int) else (0 if code is None else 1)


# --- worker side ----------------------------------------------------------------------------

class ForkServer:
    """A fork server process started with ``python`` in ``env`` and ``cwd`` (see module doc)."""

    def __init__(self, python: str, env: dict[str, str], cwd: str, preload: tuple[str, ...] = PRELOAD) -> None:
        self.key = (python, _server_env(env), cwd)
        self.proc = subprocess.Popen(
            [python, "-c", _BOOT, json.dumps(list(preload))], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=env, cwd=cwd, text=True, encoding="utf-8")
        self._ready: bool | None = None
        self.lock = threading.Lock()

    def _wait_ready(self) -> bool:
        if self._ready is None:
            ready, _, _ = select.select([self.proc.stdout], [], [], START_TIMEOUT)
            reply = json.loads(self.proc.stdout.readline() or "{}") if ready else {}
            self._ready = "ready" in reply
            if not self._ready:
                self.close()
        return self._ready

    def fork(self, argv: list[str], env: dict[str, str], cwd: str) -> int | None:
        """Fork a kernel running ``ipykernel_launcher argv``; its pid, or None (server unusable)."""
        with self.lock:
            if not self._wait_ready() or self.proc.poll() is not None:
                return None
            try:
                self.proc.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": cwd}) + "\n")
                self.proc.stdin.flush()
                if not select.select([self.proc.stdout], [], [], FORK_TIMEOUT)[0]:
                    raise OSError("the fork server did not answer")
                reply = json.loads(self.proc.stdout.readline() or "{}")
            except (OSError, ValueError):
                self.close()
                return None
            return reply.get("pid")

    def close(self) -> None:
        self._ready = False
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with contextlib.suppress(OSError):
            self.proc.stdout.close()


_SERVER: ForkServer | None = None
_SERVER_LOCK = threading.Lock()


def _python_of(cmd: list[str]) -> str | None:
    """The interpreter of a kernel command that is ``PYTHON -m ipykernel_launcher ...``."""
    return cmd[0] if len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"] else None


def server_for(python: str, env: dict[str, str], cwd: str) -> ForkServer:
    """This process's fork server for kernels of ``python`` in ``env``/``cwd`` (started, or
    replaced when the one running was started for another environment)."""
    global _SERVER
    with _SERVER_LOCK:
        key = (python, _server_env(env), cwd)
        if _SERVER is not None and (_SERVER.key != key or _SERVER.proc.poll() is not None):
            _SERVER.close()
            _SERVER = None
        if _SERVER is None:
            _SERVER = ForkServer(python, env, cwd)
        return _SERVER


def prestart(env: dict[str, str]) -> None:
    """Start this process's fork server ahead of the first kernel (a worker calls it at
    start-up: the server imports while the worker does its own imports)."""
    if fork_supported():
        env = {k: v for k, v in env.items() if k != "PYTHONEXECUTABLE"}  # as jupyter_client does
        server_for(sys.executable, env, os.getcwd())


def stop_server() -> None:
    """Close this process's fork server (kernels it forked are not touched)."""
    global _SERVER
    with _SERVER_LOCK:
        if _SERVER is not None:
            _SERVER.close()
            _SERVER = None


class ForkedKernel:
    """A ``subprocess.Popen``-like handle on a kernel forked by the fork server (not this
    process's child: its liveness and signals go through a pidfd, safe from pid reuse)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._fd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # already gone
            self._fd, self.returncode = None, 0

    def poll(self) -> int | None:
        if self.returncode is None and self._fd is not None and select.select([self._fd], [], [], 0)[0]:
            self._exited()  # the pidfd is readable: the process has exited
        return self.returncode

    def _exited(self) -> None:
        self.returncode = 0  # unknown: the fork server reaps it
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and self._fd is not None:
            if not select.select([self._fd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            self._exited()
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._fd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


_PROVISIONER: type | None = None


def provisioner_class() -> type:
    """jupyter_client's local provisioner, launching ``ipykernel_launcher`` kernels through
    the fork server (and any other kernel, or when the server is unusable, as usual)."""
    global _PROVISIONER
    if _PROVISIONER is None:
        _PROVISIONER = _make_provisioner_class()
    return _PROVISIONER


def _make_provisioner_class() -> type:
    from jupyter_client.provisioning import LocalProvisioner

    class ForkProvisioner(LocalProvisioner):
        forked = False

        async def launch_kernel(self, cmd: list[str], **kwargs: Any):
            python = _python_of(cmd)
            env = kwargs.get("env")
            if python is None or not isinstance(env, dict) or not fork_supported():
                return await super().launch_kernel(cmd, **kwargs)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            pid = server_for(python, env, os.getcwd()).fork(cmd[3:], env, cwd)
            if pid is None:
                return await super().launch_kernel(cmd, **kwargs)
            self.process = ForkedKernel(pid)
            self.pid = self.pgid = pid  # the child called setsid()
            self.cwd = cwd
            self.forked = True
            return self.connection_info

        async def send_signal(self, signum: int) -> None:
            # the process group of a kernel that has exited may be another's by now
            if self.process is not None and self.process.poll() is None:
                await super().send_signal(signum)

    return ForkProvisioner
