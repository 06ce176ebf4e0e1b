"""The embedded default LLM: llama.cpp's `llama-server` (built by set-up) as a child process.

Started only when an agent or the aggregator uses the local default endpoint and nothing listens
there yet; stopped again by whoever started it. One slot per agent plus one for the aggregator, so
the agents decode together (continuous batching) and each slot keeps its own system prompt cached.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

# The endpoint the default configuration points at (loopback, a port unlikely to be taken).
DEFAULT_LOCAL_BASE_URL = "http://127.0.0.1:8712/v1"
DEFAULT_SERVER_BINARY = "llama-server"


class LocalServerError(RuntimeError):
    pass


def host_port(base_url: str) -> "tuple[str, int]":
    parts = urlsplit(base_url)
    return parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80)


def is_listening(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def answers_models(base_url: str, timeout: float = 2.0) -> bool:
    """True when GET <base_url>/models answers with JSON (the server is up and the model loaded)."""
    try:
        with urllib.request.urlopen(base_url.rstrip("/") + "/models", timeout=timeout) as response:
            json.loads(response.read())
            return response.status == 200
    except (OSError, ValueError, urllib.error.URLError):
        return False


def find_server_binary(name: str = DEFAULT_SERVER_BINARY) -> Path:
    """`name` as a path, or looked up on PATH (set-up links it into the venv's bin/)."""
    found = name if os.sep in name else shutil.which(name)
    if not found or not os.access(found, os.X_OK):
        raise LocalServerError(
            f"llama-server not found ({name!r}): run `make setup` "
            "(scripts/setup.d/30-llama-server.sh builds it), or set local_llm.server_binary"
        )
    return Path(found)


@dataclass(frozen=True)
class ServerSettings:
    n_parallel: int = 5  # slots: the four agents decode at once, the aggregator keeps its own
    ctx_per_slot: int = 2048  # tokens of context each slot may use
    n_threads: int = 2
    # Host-memory prompt cache [MiB] for prompts evicted from a slot (llama.cpp's default: 8 GiB).
    cache_ram_mib: int = 512


class LocalLlmServer:
    """`llama-server` as a child process on loopback."""

    def __init__(
        self,
        base_url: str,
        model_path: Path,
        settings: ServerSettings = ServerSettings(),
        binary: str = DEFAULT_SERVER_BINARY,
        log_path: Path | None = None,
        resolve_binary: bool = True,
    ):
        self.base_url = base_url
        self.host, self.port = host_port(base_url)
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            raise LocalServerError(f"the local LLM server only runs on loopback, not {self.host}")
        self.model_path = Path(model_path)
        self.settings = settings
        self.binary = find_server_binary(binary) if resolve_binary else Path(binary)
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        s = self.settings
        return [
            str(self.binary),
            "--model",
            str(self.model_path),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--parallel",
            str(s.n_parallel),
            "--ctx-size",
            str(s.n_parallel * s.ctx_per_slot),
            "--threads",
            str(s.n_threads),
            "--threads-batch",
            str(s.n_threads),
            "--cont-batching",
            "--cache-ram",
            str(s.cache_ram_mib),
            # The GGUF's own chat template (ChatML for Qwen, SmolLM2).
            "--jinja",
            "--no-webui",
        ]

    @staticmethod
    def environment() -> dict[str, str]:
        env = dict(os.environ)
        # Idle OpenMP threads sleep instead of spinning: with FER and ASR busy on the other core,
        # spinning threads made llama.cpp collapse to 0.2-0.4 tokens/s per slot.
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        return env

    def start(
        self, ready_timeout: float = 120.0, cancelled: Callable[[], bool] = lambda: False
    ) -> None:
        """Start the server and wait until it answers; raises LocalServerError otherwise.

        `cancelled` is polled while waiting: when it turns true the server is stopped again.
        """
        if is_listening(self.host, self.port):
            raise LocalServerError(f"something already listens on {self.host}:{self.port}")
        if not self.model_path.is_file():
            raise LocalServerError(f"model file {self.model_path} does not exist")
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=self.environment(),
        )
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalServerError(
                    f"{self.binary.name} exited with code {self.process.returncode} at start"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            if cancelled():
                self.stop()
                raise LocalServerError("start cancelled")
            if answers_models(self.base_url):
                return
            time.sleep(0.25)
        self.stop()
        raise LocalServerError(f"{self.binary.name} did not answer within {ready_timeout:g} s")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def needs_local_server(base_urls: Sequence[str], local_base_url: str) -> bool:
    """True when some endpoint is the local default and nothing listens there yet."""
    normalised = {url.rstrip("/") for url in base_urls}
    if local_base_url.rstrip("/") not in normalised:
        return False
    return not is_listening(*host_port(local_base_url))
