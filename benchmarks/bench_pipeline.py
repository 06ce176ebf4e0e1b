"""End-to-end latency: the demo bag through the whole pipeline with the embedded defaults.

    source scripts/env.sh && python benchmarks/bench_pipeline.py [--runs 1] [-- demo.py options]

Runs scripts/demo.py (every node its own process over DDS; the real embedded llama-server on
the CPU) and prints, per run, the time from the end of the spoken question (its last audio chunk
leaving the bag player) to the first reply audio chunk on /insideout/speaker/audio, plus the
per-agent LLM latencies and the length of the spoken reply, and the peak memory (PSS) of the
demo and every process it started (nodes, llama-server, the live view's browser).
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline_memory import PeakMemorySampler

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    args, demo_args = parser.parse_known_args()
    latencies, peaks = [], []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench_pipeline-") as out:
            demo = subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "scripts" / "demo.py"),
                    "--out",
                    out,
                    *[a for a in demo_args if a != "--"],
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            with PeakMemorySampler(demo.pid) as memory:
                output, _ = demo.communicate()
            summary_path = Path(out) / "demo_summary.json"
            if demo.returncode != 0 or not summary_path.exists():
                print(f"run {run + 1}: demo failed (exit {demo.returncode}):\n{output[-2000:]}")
                return 1
            summary = json.loads(summary_path.read_text())
        latency = summary["question_end_to_first_reply_audio_s"]
        latencies.append(latency)
        agents = ", ".join(
            f"{a['agent']} {a.get('first_token_s', -1):.1f}/{a['latency_s']:.1f} s"
            for a in summary["agents"]
        )
        print(
            f"run {run + 1}: end of question -> first reply audio {latency:.2f} s; "
            "agents (first token/done): "
            f"{agents}; reply audio {summary.get('reply_audio_s', 0):.1f} s"
        )
        stages = ", ".join(f"{k} {v:.2f}" for k, v in summary.get("stages_s", {}).items())
        print(f"  stages [s]: {stages}")
        for agent in summary["agents"]:
            print(f"  {agent['agent']}: {agent['text']!r}")
        print(f"  reply: {summary['reply']!r}")
        peaks.append(memory.peak.total_bytes)
        print(f"  peak memory (PSS) of the pipeline: {memory.peak.describe()}")
    if len(latencies) > 1:
        print(f"median end of question -> first reply audio: {statistics.median(latencies):.2f} s")
    print(f"highest peak memory (PSS) of the pipeline: {max(peaks) / 2**30:.2f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
