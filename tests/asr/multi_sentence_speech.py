"""Utterances of several sentences with pauses inside them and silence around them: real recorded
speech (LibriVox clips from the pocketsphinx sdist, fetched by scripts/fetch_test_data.sh into
data/librivox) and espeak-ng speech. Whisper in no-timestamp mode used to stop after the first
sentence of such audio; every word must come back."""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from .speech_audio import SAMPLE_RATE, silence, speak

LIBRIVOX = (
    Path(os.environ.get("INSIDEOUT_ROOT", Path(__file__).resolve().parents[2]))
    / "data"
    / "librivox"
)
CLIP = "sense_and_sensibility_01_austen_64kb-{}"
PAUSE_S = 0.35  # inside an utterance: shorter than asr_node's end_silence_s (0.5 s)
AROUND_S = 0.8  # silence before and after, as a microphone hears it


@dataclass(frozen=True)
class SpokenUtterance:
    name: str
    text: str
    audio: np.ndarray  # float32, 16 kHz, silence around it included


def _librivox(clip_id: str):
    base = LIBRIVOX / CLIP.format(clip_id)
    if not base.with_suffix(".wav").exists():
        raise FileNotFoundError(
            f"{base}.wav is missing: the LibriVox clips come from the pocketsphinx 5.1.1 sdist, "
            "fetched by `scripts/fetch_test_data.sh` (`make test` runs it)"
        )
    audio, rate = soundfile.read(str(base.with_suffix(".wav")), dtype="float32")
    assert rate == SAMPLE_RATE
    return audio, base.with_suffix(".txt").read_text().strip()


def _joined(parts) -> np.ndarray:
    pieces = [silence(AROUND_S)]
    for i, audio in enumerate(parts):
        if i:
            pieces.append(silence(PAUSE_S))
        pieces.append(audio)
    pieces.append(silence(AROUND_S))
    return np.concatenate(pieces).astype(np.float32)


def recorded_utterances() -> list[SpokenUtterance]:
    """Two LibriVox clips read on, one after the other, with a pause between them."""
    utterances = []
    for name, ids in (
        ("librivox 0880+0890", ("0880", "0890")),
        ("librivox 0920+0930", ("0920", "0930")),
        ("librivox 0870+0880", ("0870", "0880")),
    ):
        clips = [_librivox(i) for i in ids]
        utterances.append(
            SpokenUtterance(name, " ".join(t for _, t in clips), _joined([a for a, _ in clips]))
        )
    return utterances


SYNTHESIZED = (
    ("What do you think about robots", "that understand how people feel?"),
    ("Hello robot.", "I passed my exam today.", "What should I do tonight to celebrate?"),
    (
        "Good morning.",
        "Please turn on the lights in the kitchen.",
        "Then tell me what the weather will be like.",
    ),
)


def synthesized_utterances() -> list[SpokenUtterance]:
    return [
        SpokenUtterance(f"espeak {i + 1}", " ".join(parts), _joined([speak(p) for p in parts]))
        for i, parts in enumerate(SYNTHESIZED)
    ]


def all_utterances() -> list[SpokenUtterance]:
    return recorded_utterances() + synthesized_utterances()
