"""The embedded LLM server as the dialogue node runs it, for benchmarks (or a server already up)."""

import contextlib
import socket
import time
from collections.abc import Iterator

from insideout_dialogue.core.llm_models import resolve_model
from insideout_dialogue.core.local_llm_server import LocalLlmServer, ServerSettings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# One slot per agent and one for the aggregator, as dialogue_node starts it.
EMBEDDED_SLOTS = 5


@contextlib.contextmanager
def embedded_server(
    preset: str, model_path: str = "", slots: int = EMBEDDED_SLOTS, base_url: str | None = None
) -> Iterator[str]:
    """Yields the base URL of a llama-server started with the node's settings (or `base_url`)."""
    if base_url:
        yield base_url
        return
    url = f"http://127.0.0.1:{free_port()}/v1"
    server = LocalLlmServer(
        url, resolve_model(preset, model_path), ServerSettings(n_parallel=slots)
    )
    started = time.monotonic()
    server.start(ready_timeout=180.0)
    print(
        f"llama-server with {server.model_path.name}, {slots} slots, "
        f"{server.settings.n_threads} threads: up in {time.monotonic() - started:.1f} s",
        flush=True,
    )
    try:
        yield url
    finally:
        server.stop()
