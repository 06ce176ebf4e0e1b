"""Helpers for the live view's browser tests: the nodes they start, and a headless Chromium."""

import sys

from support.ports import free_port
from support.ros_harness import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
from headless_chromium import Chromium  # noqa: E402,F401  (scripts/headless_chromium.py)

CONFIG = REPO_ROOT / "config" / "insideout.yaml"
CONNECTED = "document.body.dataset.connected === 'yes'"
DISCONNECTED = "document.body.dataset.connected === 'no'"


def start_web_view(spawn_node, port: int = 0, **params):
    """web_view_node from config/insideout.yaml on `port` (0: a free one); (process, url)."""
    port = port or free_port()
    node = spawn_node(
        "insideout_dialogue", "web_view_node", params_file=CONFIG, params={"port": port, **params}
    )
    assert node.wait_for_output(f"live view on http://127.0.0.1:{port}/", 30.0), node.output()
    return node, f"http://127.0.0.1:{port}/"


def dom_text(selector: str) -> str:
    return f"(document.querySelector({selector!r}) || {{textContent: ''}}).textContent.trim()"


def agent_texts() -> str:
    return (
        "Object.fromEntries([...document.querySelectorAll('.agent')].map("
        "a => [a.dataset.agent, a.querySelector('.agent-text').textContent]))"
    )
