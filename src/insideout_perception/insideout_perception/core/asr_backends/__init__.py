"""Speech recognisers behind one interface (`AsrBackend`); `create_backend` picks one by name."""

from .base import (
    AsrBackend,
    BackendOptions,
    ModelNotAvailable,
    Recognition,
    uncovered_speech_seconds,
)
from .factory import BACKENDS, create_backend

__all__ = [
    "AsrBackend",
    "BackendOptions",
    "ModelNotAvailable",
    "Recognition",
    "BACKENDS",
    "create_backend",
    "uncovered_speech_seconds",
]
