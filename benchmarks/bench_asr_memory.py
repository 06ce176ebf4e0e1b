"""asr_node's memory over a long stretch of continuous speech: is it bounded?

    source scripts/env.sh && python benchmarks/bench_asr_memory.py [--minutes 30] [--speed 1.0]

An installed asr_node (defaults: Smart Turn, speculative recognition, Whisper tiny.en) is fed
over DDS in 20 ms AudioData chunks, paced at --speed times real time: real recorded speech (the
LibriVox clips of data/librivox, `scripts/fetch_test_data.sh`) and espeak-ng sentences read on
and on with 0.2-1.5 s pauses over a -54 dBFS noise floor, so the node segments, judges,
recognises and publishes all the way through. Its resident memory (VmRSS, /proc) is sampled every
--sample-seconds and printed with the transcripts so far; the summary compares the first and the
last third of the run (growth that keeps on going is a leak, a plateau is a cache).
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

from asr.multi_sentence_speech import LIBRIVOX, _librivox  # noqa: E402
from asr.speech_audio import SAMPLE_RATE, SENTENCES, silence, speak, white_noise  # noqa: E402
from asr_node_over_dds import asr_node_with_microphone  # noqa: E402

from insideout_common.pcm import encode_s16le  # noqa: E402

CHUNK_SAMPLES = 320  # 20 ms
NOISE_RMS = 0.002


def speech_loop(seed: int = 0):
    """An endless stream of speech with pauses, one piece at a time."""
    rng = np.random.default_rng(seed)
    pieces = [speak(text) for text in SENTENCES]
    if (LIBRIVOX / "fileids").is_file():
        pieces += [
            _librivox(i.rsplit("-", 1)[1])[0] for i in (LIBRIVOX / "fileids").read_text().split()
        ]
    while True:
        piece = pieces[rng.integers(len(pieces))]
        audio = np.concatenate([piece, silence(float(rng.uniform(0.2, 1.5)))])
        yield (
            audio
            + white_noise(
                (len(audio) + 1) / SAMPLE_RATE, NOISE_RMS, seed=int(rng.integers(1 << 30))
            )[: len(audio)]
        )


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="minutes of audio")
    parser.add_argument("--speed", type=float, default=1.0, help="times real time")
    parser.add_argument("--sample-seconds", type=float, default=60.0)
    args = parser.parse_args()

    from audio_common_msgs.msg import AudioData

    with asr_node_with_microphone("bench_asr_memory") as (node, mic, transcripts):
        pid = node.process.pid
        print(
            f"asr_node pid {pid}, {args.minutes:.0f} min of continuous speech at {args.speed}x "
            f"real time; load {os.getloadavg()[0]:.2f}"
        )
        print(f"{'audio min':>9} {'RSS MiB':>8} {'finals':>6}")
        samples = [(0.0, rss_mib(pid))]
        print(f"{0.0:9.1f} {samples[0][1]:8.1f} {0:6d}")
        total = int(args.minutes * 60 * SAMPLE_RATE)
        sent, started, next_sample = 0, time.monotonic(), args.sample_seconds
        for piece in speech_loop():
            data = encode_s16le(piece)
            for offset in range(0, len(data), CHUNK_SAMPLES * 2):
                mic.audio.publish(AudioData(data=data[offset : offset + CHUNK_SAMPLES * 2]))
                sent += CHUNK_SAMPLES
                delay = started + sent / SAMPLE_RATE / args.speed - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            minutes = sent / SAMPLE_RATE / 60
            if minutes * 60 >= next_sample:
                next_sample += args.sample_seconds
                samples.append((minutes, rss_mib(pid)))
                finals = sum(m.is_final for m in transcripts.snapshot())
                print(f"{minutes:9.1f} {samples[-1][1]:8.1f} {finals:6d}", flush=True)
            if sent >= total:
                break
        time.sleep(3.0)
        finals = [m for m in transcripts.snapshot() if m.is_final]
        third = max(1, len(samples) // 3)
        first, last = [r for _, r in samples[:third]], [r for _, r in samples[-third:]]
        print(
            f"\nRSS: start {samples[0][1]:.0f} MiB, peak {max(r for _, r in samples):.0f} MiB, "
            f"end {samples[-1][1]:.0f} MiB; median of the first third "
            f"{statistics.median(first):.0f} MiB, of the last third "
            f"{statistics.median(last):.0f} MiB; {len(finals)} finals, "
            f"{sum(not m.text for m in finals)} empty"
        )
        if "dropped untranscribed" in node.output():
            print("WARNING: the recogniser fell behind and dropped utterances (lower --speed)")


if __name__ == "__main__":
    main()
