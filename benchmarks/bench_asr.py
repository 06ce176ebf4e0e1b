"""Speech recognition speed per backend: real-time factor and end-of-speech -> final transcript.

    source scripts/env.sh && python benchmarks/bench_asr.py [--repeats 3] [--skip-dds]

Utterances of about 2, 5 and 15 s are spoken by espeak-ng (en-us) over a -54 dBFS noise floor.
  core  the node's own pipeline in this process: 20 ms chunks -> AudioStream -> Silero VAD
        segmenter -> backend. RTF = recognition time / utterance audio length. Latency = time
        from the moment the VAD closes the utterance (end_silence_s after the last voiced frame)
        to the recognised text: what the speaker waits beyond the VAD's end-of-utterance silence.
        "plain": recognition starts when the VAD closes the utterance; "speculative" (the node's
        default): it starts at the PauseSnapshot (0.4 x end_silence_s into the pause), so only
        the part of the recognition time beyond the remaining silence is waited for.
  dds   an installed asr_node process fed over DDS in real time, 20 ms AudioData chunks as
        audio_capture sends them: from the last chunk of speech published to the Transcript
        received, minus end_silence_s (faster_whisper, the default backend, only).
Targets (issue 4, tiny.en on 2 cores): RTF <= 0.15, latency <= 0.5 s beyond the end silence.
The transformers backend is measured only when INSIDEOUT_ASR_TRANSFORMERS_MODEL names a local
Whisper model directory (no weights for it ship here).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from asr.speech_audio import SAMPLE_RATE, silence, speak, white_noise  # noqa: E402
from asr_node_over_dds import asr_node_with_microphone  # noqa: E402
from support.word_error_rate import word_error_rate  # noqa: E402

from insideout_common.pcm import encode_s16le  # noqa: E402
from insideout_perception.core.asr_backends import (  # noqa: E402
    BackendOptions,
    ModelNotAvailable,
    create_backend,
)
from insideout_perception.core.audio_stream import AudioFormat, AudioStream  # noqa: E402
from insideout_perception.core.utterance_segmenter import (  # noqa: E402
    PauseSnapshot,
    SegmenterConfig,
    Utterance,
    UtteranceSegmenter,
)
from insideout_perception.core.vad.silero import FRAME_SAMPLES, SileroVad  # noqa: E402

TEXTS = {
    "2 s": "Hello robot, how are you feeling today?",
    "5 s": "I would like to know what the weather will be like tomorrow, because my sister "
    "is coming.",
    "15 s": "Can you tell me a story about a friendly dragon, who lived in a castle by the sea, "
    "and who helped the children of the village every morning, because he was kind and "
    "strong, and nobody in the village was ever afraid of him, not even the little cats "
    "who slept all day in the sun.",
}
CHUNK_SAMPLES = 320  # 20 ms
NOISE_RMS = 0.002


def clip_for(text):
    speech = speak(text)
    clip = np.concatenate([silence(0.5), speech, silence(1.5)])
    return clip + white_noise(len(clip) / SAMPLE_RATE, NOISE_RMS, seed=7), len(speech) / SAMPLE_RATE


def core_run(backend, vad, clip):
    """One pass of the node's pipeline over `clip` (faster than real time).

    Returns (rtf, plain latency, speculative latency, text) of its first utterance. The
    speculative latency is computed on the stream's time line: the snapshot's recognition starts
    at the snapshot and the utterance closes `remaining` seconds of stream later.
    """
    config = SegmenterConfig(max_utterance_s=30.0)
    stream = AudioStream(AudioFormat())
    segmenter = UtteranceSegmenter(
        vad.probability, config, SAMPLE_RATE, FRAME_SAMPLES, reset_vad=vad.reset
    )
    data = encode_s16le(clip)
    snapshot = None
    for start in range(0, len(data), CHUNK_SAMPLES * 2):
        for event in segmenter.feed(stream.feed(data[start : start + CHUNK_SAMPLES * 2])):
            if isinstance(event, PauseSnapshot):
                began = time.perf_counter()
                backend.transcribe(event.audio)
                snapshot = (event.end_sample, time.perf_counter() - began, segmenter.samples_seen)
            if isinstance(event, Utterance):
                closed = time.perf_counter()
                result = backend.transcribe(event.audio)
                plain = time.perf_counter() - closed
                speculative = plain
                if snapshot is not None and snapshot[0] == event.end_sample:
                    remaining = (segmenter.samples_seen - snapshot[2]) / SAMPLE_RATE
                    speculative = max(0.0, snapshot[1] - remaining)
                return plain / (len(event.audio) / SAMPLE_RATE), plain, speculative, result.text
    raise RuntimeError("the VAD found no utterance")


def bench_core(names, repeats):
    vad = SileroVad()
    clips = {label: clip_for(text) for label, text in TEXTS.items()}
    print(f"core pipeline (median of {repeats}; latency = VAD end-of-utterance -> text)")
    print(
        f"{'backend':15} {'utterance':>9} {'speech s':>8} {'RTF':>6} {'plain s':>8} "
        f"{'specul. s':>9} {'WER':>5}"
    )
    for name in names:
        options = BackendOptions(
            model=os.environ.get("INSIDEOUT_ASR_TRANSFORMERS_MODEL", "")
            if name == "transformers"
            else ""
        )
        try:
            backend = create_backend(name, options)
        except ModelNotAvailable as error:
            print(f"{name:15} not measured: {error}")
            continue
        backend.transcribe(np.zeros(SAMPLE_RATE, dtype=np.float32))  # warm-up, as the node does
        for label, (clip, speech_s) in clips.items():
            runs = [core_run(backend, vad, clip) for _ in range(repeats)]
            rtf, plain, speculative = (statistics.median(r[i] for r in runs) for i in range(3))
            wer = word_error_rate(TEXTS[label], runs[-1][3])
            print(
                f"{name:15} {label:>9} {speech_s:8.1f} {rtf:6.3f} {plain:8.3f} "
                f"{speculative:9.3f} {wer:5.2f}"
            )
        backend.close()


def bench_dds(repeats):
    from asr.speech_audio import voiced_bounds
    from support.ros_harness import wait_until

    from audio_common_msgs.msg import AudioData

    end_silence = SegmenterConfig().end_silence_s
    # The old end of utterance (silence alone, 0.5 s): the column subtracts that silence.
    params = {"max_utterance_s": 30.0, "turn_end": "silence", "end_silence_s": end_silence}
    with asr_node_with_microphone("bench_asr", params) as (_node, mic, transcripts):
        print(
            f"\nover DDS, real-time audio (median of {repeats}; latency = last speech chunk "
            f"published -> Transcript received, minus end_silence_s={end_silence})"
        )
        print(f"{'backend':15} {'utterance':>9} {'latency s':>9} {'WER':>5}")
        for label, text in TEXTS.items():
            speech = speak(text)
            # espeak ends with a little silence of its own: the speaker stopped before it.
            trailing_quiet = (len(speech) - voiced_bounds(speech)[1]) / SAMPLE_RATE
            lead = silence(0.5) + white_noise(0.5, NOISE_RMS, seed=1)
            speech = speech + white_noise(len(speech) / SAMPLE_RATE, NOISE_RMS, seed=2)
            tail = white_noise(end_silence + 2.0, NOISE_RMS, seed=3)
            latencies, words = [], ""
            for _ in range(repeats):
                before = len(transcripts.snapshot())
                mic.send(encode_s16le(np.concatenate([lead, speech])), speed=1.0)
                spoke_until = time.monotonic()
                arrived = []
                # Keep the microphone running (noise) while waiting, as a real one would.
                tail_bytes = encode_s16le(tail)
                for start in range(0, len(tail_bytes), CHUNK_SAMPLES * 2):
                    mic.audio.publish(AudioData(data=tail_bytes[start : start + CHUNK_SAMPLES * 2]))
                    if not arrived and len(transcripts.snapshot()) > before:
                        arrived.append(time.monotonic())
                    time.sleep(CHUNK_SAMPLES / SAMPLE_RATE)
                if not arrived and wait_until(
                    lambda before=before: len(transcripts.snapshot()) > before, 10
                ):
                    arrived.append(time.monotonic())
                if not arrived:
                    raise RuntimeError(f"no transcript for the {label} utterance")
                latencies.append(arrived[0] - (spoke_until - trailing_quiet) - end_silence)
                words = transcripts.snapshot()[before].text
            print(
                f"{'faster_whisper':15} {label:>9} {statistics.median(latencies):9.3f} "
                f"{word_error_rate(text, words):5.2f}"
            )


def bench_multi_sentence():
    """WER on utterances of several sentences with pauses and silence around them (the test set
    of tests/asr/test_asr_multi_sentence.py: LibriVox clips from data/librivox, and espeak-ng)."""
    from asr.multi_sentence_speech import all_utterances
    from support.word_error_rate import word_error_rate

    from insideout_perception.core.asr_backends import BackendOptions, create_backend

    backend = create_backend("faster_whisper", BackendOptions())
    print("\nmulti-sentence utterances (pauses inside, 0.8 s of silence around), faster_whisper")
    rates = []
    for utterance in all_utterances():
        heard = backend.transcribe(utterance.audio).text
        rates.append(word_error_rate(utterance.text, heard))
        print(
            f"  {utterance.name:20s} {len(utterance.audio) / 16000:5.1f} s  "
            f"WER {rates[-1]:.2f}  {heard!r}"
        )
    print(f"  mean WER {sum(rates) / len(rates):.3f} over {len(rates)} utterances")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-dds", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; faster_whisper: tiny.en int8, beam 1, 2 threads")
    bench_core(["faster_whisper", "pocketsphinx", "transformers"], args.repeats)
    bench_multi_sentence()
    if not args.skip_dds:
        bench_dds(args.repeats)


if __name__ == "__main__":
    main()
