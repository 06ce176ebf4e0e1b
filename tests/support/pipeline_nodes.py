"""The pipeline's nodes as config/pipeline.yaml describes them, for tests that start all four."""

import yaml

from support.ports import free_port
from support.ros_harness import REPO_ROOT

PIPELINE = yaml.safe_load((REPO_ROOT / "config" / "pipeline.yaml").read_text())


def without_llm() -> dict:
    """Per pipeline key, parameters that let a node start with nothing else running: the dialogue
    node offers its interfaces without an LLM (nothing listens at the port it is given)."""
    return {
        "dialogue": {
            "local_llm.autostart": False,
            "llm.model": "none",
            "llm.base_url": f"http://127.0.0.1:{free_port()}/v1",
        }
    }
