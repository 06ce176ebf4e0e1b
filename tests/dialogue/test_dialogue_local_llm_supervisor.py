"""LocalLlmSupervisor: a dead embedded server is restarted, with back-off, and stops cleanly.

Supervision is about the process, so these tests watch a process that starts in milliseconds:
Python's own http.server serving a static `/v1/models` file, which is all that the readiness
check asks of the server. Restarting the real llama.cpp server is tested over DDS in
test_dialogue_real_llm.py.
"""

import json
import os
import signal
import socket
import sys
import threading
import time

import pytest
from support.ports import free_port
from support.ros_harness import wait_until

from insideout_dialogue.core.local_llm_server import LocalLlmServer, is_listening
from insideout_dialogue.core.local_llm_supervisor import (
    RESTARTING,
    RUNNING,
    STOPPED,
    LocalLlmSupervisor,
)

pytestmark = pytest.mark.slow  # starts and kills llama-server


class StaticModelsServer(LocalLlmServer):
    """The embedded server's process handling, running `python -m http.server` instead of
    llama.cpp."""

    def __init__(self, base_url, directory):
        model = directory / "unused.gguf"
        model.touch()  # start() checks the model file exists
        super().__init__(base_url, model, binary=sys.executable, resolve_binary=False)
        self.directory = directory

    def command(self):
        return [
            sys.executable,
            "-m",
            "http.server",
            str(self.port),
            "--bind",
            self.host,
            "--directory",
            str(self.directory),
        ]


class Log:
    def __init__(self):
        self.lines = []
        self._lock = threading.Lock()

    def __call__(self, level, text):
        with self._lock:
            self.lines.append((level, text))

    def has(self, part):
        with self._lock:
            return any(part in text for _, text in self.lines)


@pytest.fixture
def models_server(tmp_path):
    (tmp_path / "v1").mkdir()
    (tmp_path / "v1" / "models").write_text(
        json.dumps({"object": "list", "data": [{"id": "static"}]})
    )
    server = StaticModelsServer(f"http://127.0.0.1:{free_port()}/v1", tmp_path)
    server.start(10.0)
    yield server
    server.stop()


def test_a_killed_server_is_restarted_and_reported(models_server):
    log = Log()
    supervisor = LocalLlmSupervisor(models_server, log, startup_timeout=10.0, first_backoff=0.2)
    supervisor.watch()
    try:
        first_pid = models_server.process.pid
        assert supervisor.status().state == RUNNING
        os.killpg(first_pid, signal.SIGKILL)
        assert wait_until(lambda: log.has("restarted"), 15), log.lines
        status = supervisor.status()
        assert (status.state, status.restarts, status.last_exit_code) == (
            RUNNING,
            1,
            -signal.SIGKILL,
        )
        assert models_server.process.pid != first_pid and models_server.running()
        assert is_listening(models_server.host, models_server.port)
        assert log.has(f"exited with code {-signal.SIGKILL}; restarting it in 0.2 s")
    finally:
        supervisor.stop()
    assert supervisor.status().state == STOPPED and not models_server.running()


def test_failed_restarts_back_off_and_recover_once_the_port_is_free(models_server):
    log = Log()
    supervisor = LocalLlmSupervisor(
        models_server, log, startup_timeout=10.0, first_backoff=1.0, max_backoff=4.0
    )
    supervisor.watch()
    squatter = None
    try:
        models_server.stop()  # an exit the supervisor did not ask for
        squatter = socket.socket()
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind((models_server.host, models_server.port))
        squatter.listen()
        # (The squatter is in place long before the first restart, 1 s after the exit.)
        assert wait_until(lambda: log.has("next try in 4 s"), 15), log.lines
        status = supervisor.status()
        assert status.state == RESTARTING and "already listens" in status.last_error
        assert log.has("restarting it in 1 s") and log.has(
            "next try in 2 s"
        )  # 1, 2, 4 and no further
        assert not log.has("next try in 8 s")
        squatter.close()
        squatter = None
        assert wait_until(lambda: supervisor.status().state == RUNNING, 10), log.lines
        assert supervisor.status().restarts == 1 and supervisor.status().last_error == ""
    finally:
        if squatter is not None:
            squatter.close()
        supervisor.stop()
    assert not models_server.running()


def test_stop_during_the_back_off_returns_at_once_and_leaves_no_server(models_server):
    log = Log()
    supervisor = LocalLlmSupervisor(models_server, log, startup_timeout=10.0, first_backoff=30.0)
    supervisor.watch()
    os.killpg(models_server.process.pid, signal.SIGKILL)
    assert wait_until(lambda: supervisor.status().state == RESTARTING, 5)
    started = time.monotonic()
    supervisor.stop()
    assert time.monotonic() - started < 5.0  # not the 30 s back-off
    assert supervisor.status().state == STOPPED and not models_server.running()
    assert not is_listening(models_server.host, models_server.port)


def test_watching_a_server_that_was_never_started_is_refused(tmp_path):
    with pytest.raises(Exception, match="start it before watching"):
        LocalLlmSupervisor(StaticModelsServer("http://127.0.0.1:9/v1", tmp_path), Log()).watch()
