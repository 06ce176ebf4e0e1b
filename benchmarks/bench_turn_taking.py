"""Turn-taking: does a thinking pause keep the question whole, and how soon does a finished
question's transcript follow the end of speech?

    source scripts/env.sh && python benchmarks/bench_turn_taking.py [--turn-end smart_turn|silence]
        [--end-silence S] [--pauses 0.3 0.6 0.9 1.2 1.5] [--quick]
        [--no-barge-in | --barge-in-only] [--delays 20 80 150] [--echo-level -6]

An installed asr_node is fed over DDS in real time (20 ms AudioData chunks, as audio_capture sends
them, a -54 dBFS noise floor between and after the words, the microphone kept running while
waiting). Speech: espeak-ng (two voices) and real recorded speech (the LibriVox clips of
data/librivox, from `scripts/fetch_test_data.sh`, and any folder given with --recordings).

  paused questions   a question with a pause in its middle ("I passed my exam today" ... "so
                     what should I do tonight to celebrate?"). premature: a final transcript came
                     before the question was finished. whole: the last final covers the whole
                     question under one utterance id (the continuation that the dialogue acts on).
  complete questions end of speech (last voiced sample) -> final Transcript received.
  decision cost      Smart Turn v3 on one core, in this process (median, p95 of 50 decisions).

  barge-in and echo  tts_node speaks for real and a live simulated room feeds the robot's
                     voice back into asr_node's microphone (benchmarks/barge_in_room.py): stop
                     latency of real barge-ins, false barge-ins and transcripts of the robot's
                     own words with its echo only, and backchannels that must not stop it.
"""

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from asr.speech_audio import SAMPLE_RATE, silence, speak, voiced_bounds, white_noise  # noqa: E402
from asr_node_over_dds import asr_node_with_microphone  # noqa: E402
from barge_in_room import run_cases as barge_in_cases  # noqa: E402
from barge_in_room import summarise as barge_in_summary  # noqa: E402
from support.word_error_rate import normalised_words  # noqa: E402

from insideout_common.pcm import encode_s16le, resample  # noqa: E402

CHUNK_SAMPLES = 320  # 20 ms
NOISE_RMS = 0.002  # about -54 dBFS
# Mid-question breaks: (before the pause, after it).
PAUSED_QUESTIONS = [
    ("I passed my exam today", "so what should I do tonight to celebrate?"),
    ("Can you tell me", "what the weather will be like tomorrow?"),
    ("My sister is coming to visit and", "I don't know where we should go for dinner."),
    ("I have been feeling a bit tired lately, and", "I wonder if I should see a doctor."),
    ("What do you think about", "learning to play the piano at my age?"),
]
COMPLETE_QUESTIONS = [
    "Yes.",
    "No, thank you.",
    "What time is it?",
    "I passed my exam today!",
    "Can you tell me a joke?",
    "My flight was cancelled and I don't know what to do.",
    "How are you feeling today?",
    "Please turn on the lights in the kitchen.",
]
VOICES = [("en-us", 175), ("en-gb", 150)]
# A transcript of the whole question, not half of it: this share of its words is in it (recall,
# so that Whisper tiny.en's misheard words do not count as a split).
WHOLE_RECALL = 0.75


@dataclass
class Case:
    name: str
    text: str  # the whole question
    audio: np.ndarray  # speech only, 16 kHz
    speech_end: float  # seconds into `audio` where the voice ends
    first_part_end: float | None = None  # paused questions: where the pause begins


@dataclass
class Outcome:
    case: Case
    finals: list  # (arrival after the audio started [s], utterance_id, text)
    reopened: int


def noisy(audio: np.ndarray, seed: int) -> np.ndarray:
    return audio + white_noise((len(audio) + 1) / SAMPLE_RATE, NOISE_RMS, seed=seed)[: len(audio)]


def synthetic_cases(pauses: list[float], quick: bool) -> tuple:
    paused, complete = [], []
    voices = VOICES[:1] if quick else VOICES
    for voice, rate in voices:
        for first, second in PAUSED_QUESTIONS[:2] if quick else PAUSED_QUESTIONS:
            a, b = speak(first, voice, rate), speak(second, voice, rate)
            a = a[: voiced_bounds(a)[1]]  # the pause is the silence we add, not espeak's own
            for pause in pauses:
                audio = np.concatenate([a, silence(pause), b])
                paused.append(
                    Case(
                        f"{voice} pause {pause:.1f}s",
                        f"{first} {second}",
                        audio,
                        (len(a) + len(silence(pause)) + voiced_bounds(b)[1]) / SAMPLE_RATE,
                        first_part_end=len(a) / SAMPLE_RATE,
                    )
                )
        for text in COMPLETE_QUESTIONS[:3] if quick else COMPLETE_QUESTIONS:
            audio = speak(text, voice, rate)
            complete.append(
                Case(f"{voice} complete", text, audio, voiced_bounds(audio)[1] / SAMPLE_RATE)
            )
    return paused, complete


def recorded_clips(folder: Path):
    """(name, text, 16 kHz audio) of a folder of recordings: LibriVox's layout (fileids, <id>.wav,
    <id>.txt) or any folder with a transcripts.tsv (file<TAB>transcript)."""
    import soundfile

    if (folder / "fileids").is_file():
        entries = [
            (f"{i}.wav", (folder / f"{i}.txt").read_text().strip())
            for i in (folder / "fileids").read_text().split()
        ]
    else:
        entries = [
            tuple(line.split("\t", 1))
            for line in (folder / "transcripts.tsv").read_text().strip().splitlines()
        ]
    for file_name, text in entries:
        audio, rate = soundfile.read(str(folder / file_name), dtype="float32")
        if audio.ndim > 1:
            audio = audio.mean(axis=1)
        yield Path(file_name).stem, text, resample(audio, rate, SAMPLE_RATE).astype(np.float32)


def recorded_cases(folder: Path, pauses: list[float]) -> tuple:
    """Real speech: each clip whole, and each cut at the word boundary nearest its middle (found
    by Whisper's word timestamps) with a pause put in."""
    from faster_whisper import WhisperModel

    from insideout_perception.core.asr_backends.faster_whisper_backend import default_model_dir

    model = WhisperModel(str(default_model_dir()), device="cpu", compute_type="int8")
    paused, complete = [], []
    for name, text, audio in recorded_clips(folder):
        first, last = voiced_bounds(audio, level=0.02)
        audio = audio[max(0, first - 1600) : last + 800]
        speech_end = len(audio) / SAMPLE_RATE - 0.05
        complete.append(Case(f"{folder.name} {name}", text, audio, speech_end))
        segments, _ = model.transcribe(audio, word_timestamps=True, language="en")
        words = [w for s in segments for w in s.words]
        if len(words) < 5:
            continue
        cut = int(words[len(words) // 2 - 1].end * SAMPLE_RATE)
        for pause in pauses:
            joined = np.concatenate([audio[:cut], silence(pause), audio[cut:]])
            paused.append(
                Case(
                    f"{folder.name} {name} pause {pause:.1f}s",
                    text,
                    joined,
                    speech_end + pause,
                    first_part_end=cut / SAMPLE_RATE,
                )
            )
    return paused, complete


def run_case(mic, transcripts, case: Case, seed: int, tail_s: float) -> Outcome:
    from audio_common_msgs.msg import AudioData

    lead = noisy(silence(0.6), seed)
    audio = np.concatenate([lead, noisy(case.audio, seed + 1), noisy(silence(tail_s), seed + 2)])
    data = encode_s16le(audio)
    before = len(transcripts.snapshot())
    started = time.monotonic()
    arrivals = {}
    chunk_bytes = CHUNK_SAMPLES * 2
    for offset in range(0, len(data), chunk_bytes):
        mic.audio.publish(AudioData(data=data[offset : offset + chunk_bytes]))
        position = (offset + chunk_bytes) / 2 / SAMPLE_RATE
        for index, _msg in enumerate(transcripts.snapshot()[before:]):
            arrivals.setdefault(index, time.monotonic() - started)
        delay = started + position - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    time.sleep(0.5)
    for index, _msg in enumerate(transcripts.snapshot()[before:]):
        arrivals.setdefault(index, time.monotonic() - started)
    received = transcripts.snapshot()[before:]
    finals = [
        (arrivals[i] - len(lead) / SAMPLE_RATE, m.utterance_id, m.text)
        for i, m in enumerate(received)
        if m.is_final
    ]
    reopened = sum(1 for m in received if not m.is_final)
    return Outcome(case, finals, reopened)


def decision_cost(repeats: int = 50) -> str:
    from insideout_perception.core.turn_end.smart_turn import SmartTurnV3

    detector = SmartTurnV3(threads=1)
    audio = noisy(np.concatenate([speak(PAUSED_QUESTIONS[0][0]), silence(0.2)]), 3)
    detector.verdict(audio)
    seconds = sorted(detector.verdict(audio).seconds for _ in range(repeats))
    return (
        f"Smart Turn v3 decision on one core: median {statistics.median(seconds) * 1000:.0f} ms, "
        f"p95 {seconds[int(0.95 * (len(seconds) - 1))] * 1000:.0f} ms ({repeats} decisions)"
    )


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def group_of(case: Case) -> str:
    return case.name.split()[0]  # the espeak voice, or the recordings' folder


def paused_verdict(outcome: Outcome) -> tuple:
    """(premature end of turn, the whole question in one utterance at the end)."""
    case = outcome.case
    premature = any(f[0] < case.speech_end for f in outcome.finals)
    last = outcome.finals[-1][2] if outcome.finals else ""
    whole = (
        len({f[1] for f in outcome.finals}) == 1 and word_recall(case.text, last) >= WHOLE_RECALL
    )
    return premature, whole


def word_recall(reference: str, heard: str) -> float:
    """The share of the reference's words found in what was heard (each heard word used once)."""
    said, left = normalised_words(reference), normalised_words(heard)
    found = 0
    for word in said:
        if word in left:
            left.remove(word)
            found += 1
    return found / max(len(said), 1)


def report(paused: list[Outcome], complete: list[Outcome]) -> None:
    print("\npaused questions")
    for outcome in paused:
        premature, whole = paused_verdict(outcome)
        last = outcome.finals[-1][2] if outcome.finals else ""
        print(
            f"  {outcome.case.name:32s} finals {len(outcome.finals)} reopened {outcome.reopened} "
            f"{'whole' if whole else 'SPLIT'}{' (premature end)' if premature else ''}: {last!r}"
        )
    print("\ncomplete questions (end of speech -> final transcript)")
    latencies = {}
    for outcome in complete:
        case = outcome.case
        if not outcome.finals:
            print(f"  {case.name:32s} NO TRANSCRIPT")
            continue
        latency = outcome.finals[0][0] - case.speech_end
        latencies.setdefault(group_of(case), []).append(latency)
        print(
            f"  {case.name:32s} {latency:6.2f} s  finals {len(outcome.finals)}: "
            f"{outcome.finals[0][2]!r}"
        )
    print("\nsummary")
    groups = sorted({group_of(o.case) for o in paused + complete})
    for group in groups + ["all"]:
        cases = [o for o in paused if group in ("all", group_of(o.case))]
        if cases:
            verdicts = [paused_verdict(o) for o in cases]
            premature = sum(p for p, _ in verdicts)
            whole = sum(w for _, w in verdicts)
            print(
                f"  {group:12s} paused: premature end of turn {premature}/{len(cases)} "
                f"({premature / len(cases):.0%}), whole question at the end {whole}/{len(cases)} "
                f"({whole / len(cases):.0%})"
            )
        values = [v for g, vs in latencies.items() if group in ("all", g) for v in vs]
        if values:
            print(
                f"  {group:12s} complete: end of speech -> final transcript median "
                f"{statistics.median(values):.2f} s, p95 {percentile(values, 0.95):.2f} s "
                f"({len(values)} questions)"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turn-end", default="smart_turn", choices=("smart_turn", "silence"))
    parser.add_argument(
        "--end-silence",
        type=float,
        default=None,
        help="asr_node end_silence_s (default: the node's)",
    )
    parser.add_argument("--pauses", type=float, nargs="+", default=[0.3, 0.6, 0.9, 1.2, 1.5])
    parser.add_argument("--quick", action="store_true", help="a few cases, one voice, no LibriVox")
    parser.add_argument(
        "--recordings",
        type=Path,
        nargs="*",
        default=[ROOT / "data" / "librivox"],
        help="folders of real recorded speech (LibriVox layout or transcripts.tsv); "
        "data/librivox comes from scripts/fetch_test_data.sh",
    )
    parser.add_argument(
        "--recorded-pauses",
        type=float,
        nargs="+",
        default=None,
        help="pauses for the recorded clips (default: --pauses)",
    )
    parser.add_argument("--no-barge-in", action="store_true", help="skip barge-in and echo")
    parser.add_argument("--barge-in-only", action="store_true", help="only barge-in and echo")
    parser.add_argument(
        "--delays",
        type=float,
        nargs="+",
        default=[20, 80, 150],
        help="echo delays [ms] of the simulated room",
    )
    parser.add_argument(
        "--echo-level",
        type=float,
        default=-6.0,
        help="the robot's voice at the microphone relative to the user's [dB]",
    )
    parser.add_argument("--barge-ins", type=int, default=5, help="barge-ins per delay")
    parser.add_argument("--backchannels", type=int, default=3, help="backchannels per delay")
    parser.add_argument(
        "--asr-param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra asr_node parameter for the barge-in part (repeatable)",
    )
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; {decision_cost()}")
    if not args.barge_in_only:
        turn_end_part(args)
    if not args.no_barge_in:
        barge_in_part(args)


def barge_in_part(args) -> None:
    from support.ros_harness import NodeProcess

    params = {"turn_end": args.turn_end, "barge_in": True}
    for item in args.asr_param:
        name, _, value = item.partition("=")
        params[name] = yaml_value(value)
    print(
        f"\nbarge-in and echo: asr_node {params}, tts_node defaults; echo at "
        f"{args.echo_level:+.0f} dB relative to the user, delays {args.delays} ms, a new "
        "asr_node and tts_node per delay (a new room)"
    )
    results = []
    for delay in args.delays:
        with asr_node_with_microphone("bench_barge_in", params) as (_node, mic, _transcripts):
            tts = NodeProcess("insideout_dialogue", "tts_node")
            try:
                if not tts.wait_for_output("speaking", 90):
                    raise RuntimeError(f"tts_node did not start:\n{tts.output()}")
                results += barge_in_cases(
                    mic.ros,
                    mic,
                    [delay],
                    args.echo_level,
                    args.barge_ins,
                    1 if args.quick else args.backchannels,
                )
            finally:
                tts.stop()
    for result in results:
        latency = (
            f"{result.stop_latency:.2f} s" if result.stop_latency == result.stop_latency else "-"
        )
        print(
            f"  {result.kind:12s} {result.delay_ms:3.0f} ms {result.user_text!r:36s} pauses "
            f"{result.pauses} stops {result.stops} paused after {result.pause_latency:.2f} s, "
            f"silent after {latency}; interrupted "
            f"{result.interrupted} finals {result.finals}"
            + (f" (pauses at {result.pauses_at} s into the reply)" if result.pauses_at else "")
        )
    print("\nbarge-in summary")
    for line in barge_in_summary(results):
        print(line)


def yaml_value(text: str):
    import yaml

    return yaml.safe_load(text)


def turn_end_part(args) -> None:
    paused_cases, complete_cases = synthetic_cases(args.pauses, args.quick)
    for folder in [] if args.quick else args.recordings:
        real_paused, real_complete = recorded_cases(folder, args.recorded_pauses or args.pauses)
        paused_cases += real_paused
        complete_cases += real_complete
    params = {"turn_end": args.turn_end}
    if args.end_silence is not None:
        params["end_silence_s"] = args.end_silence
    with asr_node_with_microphone("bench_turn_taking", params) as (_node, mic, transcripts):
        print(
            f"asr_node: {params}; {len(paused_cases)} paused and {len(complete_cases)} complete "
            "questions in real time"
        )
        # The tail outlasts the longest pause and the continuation window, so every case is over.
        paused = [
            run_case(mic, transcripts, case, seed, tail_s=3.5)
            for seed, case in enumerate(paused_cases)
        ]
        complete = [
            run_case(mic, transcripts, case, 100 + seed, tail_s=3.5)
            for seed, case in enumerate(complete_cases)
        ]
    report(paused, complete)


if __name__ == "__main__":
    main()
