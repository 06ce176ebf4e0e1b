"""Where the packages look for model files (shared by FER and the embedded LLM)."""

import os
from pathlib import Path


def model_cache_dir() -> Path:
    """The user cache: models that set-up assembles or fetch scripts write, shared by checkouts."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "insideout" / "models"


def model_search_dirs() -> tuple[Path, ...]:
    """Where model files are looked for, in order.

    $INSIDEOUT_MODELS_DIR, the checkout's models/ ($INSIDEOUT_ROOT, set by scripts/env.sh), and the
    user cache.
    """
    dirs = []
    if os.environ.get("INSIDEOUT_MODELS_DIR"):
        dirs.append(Path(os.environ["INSIDEOUT_MODELS_DIR"]))
    if os.environ.get("INSIDEOUT_ROOT"):
        dirs.append(Path(os.environ["INSIDEOUT_ROOT"]) / "models")
    dirs.append(model_cache_dir())
    return tuple(dirs)
