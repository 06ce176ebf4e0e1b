"""Pick a voice activity detector by name. Each analyzer's heavy imports happen only when chosen."""

from collections.abc import Callable

from .base import VadAnalyzer


def _silero() -> VadAnalyzer:
    from .silero import SileroVad  # onnxruntime only when asked for

    return SileroVad()


VAD_ANALYZERS: dict[str, Callable[[], VadAnalyzer]] = {
    "silero": _silero,
}


def create_vad(name: str) -> VadAnalyzer:
    """Load the named analyzer; raises VadModelNotFound (with what to install) or ValueError."""
    try:
        make = VAD_ANALYZERS[name]
    except KeyError:
        raise ValueError(
            f"unknown VAD {name!r}; choose one of {', '.join(VAD_ANALYZERS)}"
        ) from None
    return make()
