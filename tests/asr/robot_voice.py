"""The robot's own voice for the echo tests: tts_node's default voice (hibari "heart"), at 16 kHz
as tts_node publishes it; a different voice from the users' (LibriVox readers, espeak-ng)."""

import functools

import numpy as np

from insideout_common.pcm import resample

from .speech_audio import SAMPLE_RATE

ROBOT_SENTENCES = (
    "I am glad you passed your exam. What would you like to do tonight to celebrate?",
    "Please remember to water the plants in the kitchen before you leave.",
    "The weather tomorrow will be sunny and warm, a good day for a walk in the park.",
)


@functools.cache
def _hibari():
    from insideout_dialogue.core.tts_backends import BackendSettings, create_backend

    return create_backend(BackendSettings(name="hibari"))


@functools.cache
def _robot_says_cached(text: str) -> bytes:
    backend = _hibari()
    return (
        resample(backend.synthesize(text), backend.sample_rate, SAMPLE_RATE)
        .astype(np.float32)
        .tobytes()
    )


def robot_says(text: str) -> np.ndarray:
    """hibari's voice saying `text`, mono float32 at 16 kHz."""
    return np.frombuffer(_robot_says_cached(text), dtype=np.float32).copy()
