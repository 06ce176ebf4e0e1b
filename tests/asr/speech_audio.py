"""Real speech for the ASR tests: sentences spoken by espeak-ng (Debian package), at 16 kHz."""

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile

from insideout_common.pcm import resample

SAMPLE_RATE = 16000

SENTENCES = (
    "Hello robot, how are you feeling today?",
    "I would like to know what the weather will be like tomorrow.",
    "Can you tell me a story about a friendly dragon?",
    "My sister is coming to visit us next weekend.",
    "Please turn on the lights in the kitchen.",
)


def require_espeak() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise RuntimeError(
            "these tests synthesise speech with espeak-ng: `apt-get install espeak-ng` "
            "(scripts/setup.sh installs it)"
        )
    return path


@functools.cache
def _speak_cached(text: str, voice: str, words_per_minute: int) -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        wav = Path(directory) / "speech.wav"
        subprocess.run(
            [require_espeak(), "-v", voice, "-s", str(words_per_minute), "-w", str(wav), text],
            check=True,
            capture_output=True,
        )
        audio, rate = soundfile.read(str(wav), dtype="float32")
    return resample(audio, rate, SAMPLE_RATE).astype(np.float32).tobytes()


def speak(text: str, voice: str = "en-us", words_per_minute: int = 175) -> np.ndarray:
    """espeak-ng's voice saying `text`, mono float32 at 16 kHz (includes espeak's own short
    leading and trailing silence)."""
    return np.frombuffer(_speak_cached(text, voice, words_per_minute), dtype=np.float32).copy()


def voiced_bounds(audio: np.ndarray, level: float = 0.02) -> tuple:
    """(first, last) sample whose magnitude exceeds `level`: the true speech span of a clean
    clip."""
    loud = np.flatnonzero(np.abs(audio) > level)
    return int(loud[0]), int(loud[-1])


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


def white_noise(seconds: float, rms: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(seconds * SAMPLE_RATE)) * rms).astype(np.float32)
