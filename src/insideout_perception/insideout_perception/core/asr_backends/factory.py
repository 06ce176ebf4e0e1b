"""Pick a recogniser by name. Each backend's heavy imports happen only when it is chosen."""

from collections.abc import Callable

from .base import AsrBackend, BackendOptions


def _faster_whisper(options: BackendOptions) -> AsrBackend:
    from .faster_whisper_backend import FasterWhisperBackend

    return FasterWhisperBackend(options)


def _transformers(options: BackendOptions) -> AsrBackend:
    from .transformers_backend import TransformersWhisperBackend

    return TransformersWhisperBackend(options)


def _pocketsphinx(options: BackendOptions) -> AsrBackend:
    from .pocketsphinx_backend import PocketsphinxBackend

    return PocketsphinxBackend(options)


BACKENDS: dict[str, Callable[[BackendOptions], AsrBackend]] = {
    "faster_whisper": _faster_whisper,
    "transformers": _transformers,
    "pocketsphinx": _pocketsphinx,
}


def create_backend(name: str, options: BackendOptions | None = None) -> AsrBackend:
    """Load the named backend (with default BackendOptions when `options` is None); raises
    ModelNotAvailable (with what to install) or ValueError."""
    if options is None:
        options = BackendOptions()
    try:
        make = BACKENDS[name]
    except KeyError:
        raise ValueError(
            f"unknown ASR backend {name!r}; choose one of {', '.join(BACKENDS)}"
        ) from None
    return make(options)
