"""A small process supervisor for the demo: start Shaml's processes, prefix their output, stop them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

COLOURS = ("\033[36m", "\033[33m", "\033[35m", "\033[32m", "\033[34m", "\033[31m")
RESET = "\033[0m"


@dataclass
class Child:
    """One supervised process."""

    name: str
    argv: Sequence[str]
    ready_url: str | None = None
    ready_params: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None


class Supervisor:
    """Runs children in their own process groups; any exit or Ctrl-C stops every one of them.

    Output lines are prefixed with the child's name (in colour on a terminal), or written to
    ``log`` instead when one is given (the scripted demo keeps the terminal for transcripts).
    """

    def __init__(self, env: dict[str, str], *, log: Callable[[str], None] | None = None) -> None:
        self.env = env
        self.children: list[Child] = []
        self._log = log
        self._lock = threading.Lock()
        self._colour = sys.stdout.isatty() and log is None

    def _echo(self, child: Child, index: int, line: str) -> None:
        text = f"{child.name:8} | {line.rstrip()}"
        if self._log is not None:
            self._log(text)
            return
        if self._colour:
            text = f"{COLOURS[index % len(COLOURS)]}{child.name:8}{RESET} | {line.rstrip()}"
        with self._lock:
            print(text, flush=True)

    def start(self, child: Child) -> None:
        """Start ``child`` in a new process group, streaming its output."""
        index = len(self.children)
        child.proc = subprocess.Popen(
            list(child.argv),
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
        self.children.append(child)

        def pump() -> None:
            assert child.proc is not None and child.proc.stdout is not None
            for line in child.proc.stdout:
                self._echo(child, index, line)

        threading.Thread(target=pump, name=f"out-{child.name}", daemon=True).start()

    def dead(self) -> Child | None:
        """The first child that has exited, if any."""
        return next((c for c in self.children if c.proc is not None and c.proc.poll() is not None), None)

    def wait_ready(self, timeout: float, progress: Callable[[str], None]) -> None:
        """Wait until every child with a ``ready_url`` answers 200; raises RuntimeError if one dies."""
        pending = [c for c in self.children if c.ready_url]
        deadline = time.monotonic() + timeout
        while pending:
            gone = self.dead()
            if gone is not None:
                raise RuntimeError(f"{gone.name} exited with code {gone.proc.returncode} before it was ready")
            for child in list(pending):
                try:
                    ok = httpx.get(child.ready_url or "", params=child.ready_params, timeout=2).status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    pending.remove(child)
                    progress(f"{child.name} is ready")
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {timeout:.0f} s: {', '.join(c.name for c in pending)}")
            time.sleep(0.5)

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM every process group, then SIGKILL what is left after ``grace`` seconds."""
        for child in self.children:
            if child.proc is not None and child.proc.poll() is None:
                try:
                    os.killpg(child.proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace
        for child in self.children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(child.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                child.proc.wait()
