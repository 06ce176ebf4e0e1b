"""Keeps the embedded LLM server running: restarts it when it dies, with a growing back-off.

A robot runs unattended; a llama.cpp server that crashes (or is killed by the OOM killer) must not
leave the dialogue node answering every utterance with the fallback reply until somebody restarts
the whole launch. Turns made while the server is down still fail cleanly (and say so); the first
turn after the restart works again.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from insideout_dialogue.core.local_llm_server import LocalLlmServer, LocalServerError

RUNNING, RESTARTING, STOPPED = "running", "restarting", "stopped"


@dataclass
class SupervisorStatus:
    state: str
    restarts: int  # successful restarts so far
    last_exit_code: int | None  # of the last unexpected exit
    last_error: str  # why the last restart attempt failed ("" if it did not)


class LocalLlmSupervisor:
    """Watches a started LocalLlmServer from a thread and restarts it after an unexpected exit.

    The back-off doubles from `first_backoff` up to `max_backoff` while restarts keep failing or the
    server keeps dying within `stable_after` seconds; a server that stayed up that long starts the
    back-off afresh. `log(level, text)` receives "info"/"error" messages for the node's logger.
    """

    def __init__(
        self,
        server: LocalLlmServer,
        log: Callable[[str, str], None],
        startup_timeout: float = 60.0,
        first_backoff: float = 1.0,
        max_backoff: float = 30.0,
        stable_after: float = 60.0,
    ):
        if not 0 < first_backoff <= max_backoff:
            raise ValueError("need 0 < first_backoff <= max_backoff")
        self.server = server
        self._log = log
        self._startup_timeout = startup_timeout
        self._first_backoff, self._max_backoff = first_backoff, max_backoff
        self._stable_after = stable_after
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._state = RUNNING
        self._restarts = 0
        self._last_exit_code: int | None = None
        self._last_error = ""
        self._thread: threading.Thread | None = None

    def watch(self) -> None:
        """Begin watching; the server must already have been started."""
        if not self.server.running():
            raise LocalServerError("the server is not running; start it before watching it")
        self._thread = threading.Thread(
            target=self._watch, name="local_llm_supervisor", daemon=True
        )
        self._thread.start()

    def status(self) -> SupervisorStatus:
        with self._lock:
            return SupervisorStatus(
                self._state, self._restarts, self._last_exit_code, self._last_error
            )

    def stop(self) -> None:
        """Stop watching, then stop the server (an exit from now on is expected)."""
        self._stopping.set()
        self.server.stop()
        if self._thread is not None:
            self._thread.join(timeout=self._startup_timeout + 10.0)
        with self._lock:
            self._state = STOPPED

    def _watch(self) -> None:
        backoff = self._first_backoff
        while not self._stopping.is_set():
            up_since = time.monotonic()
            code = self.server.process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - up_since >= self._stable_after:
                backoff = self._first_backoff
            with self._lock:
                self._state, self._last_exit_code = RESTARTING, code
            self._log(
                "error",
                f"embedded LLM server exited with code {code}; restarting it in {backoff:g} s",
            )
            while not self._stopping.wait(backoff):
                try:
                    self.server.start(self._startup_timeout, cancelled=self._stopping.is_set)
                except LocalServerError as error:
                    if self._stopping.is_set():
                        return
                    with self._lock:
                        self._last_error = str(error)
                    backoff = min(backoff * 2, self._max_backoff)
                    self._log(
                        "error",
                        f"embedded LLM server restart failed: {error}; next try in {backoff:g} s",
                    )
                    continue
                if self._stopping.is_set():  # stopped while it started: do not leave it behind
                    self.server.stop()
                    return
                with self._lock:
                    self._state, self._restarts, self._last_error = RUNNING, self._restarts + 1, ""
                self._log(
                    "info",
                    f"embedded LLM server restarted (pid {self.server.process.pid}, "
                    f"restart {self._restarts})",
                )
                backoff = min(backoff * 2, self._max_backoff)
                break
