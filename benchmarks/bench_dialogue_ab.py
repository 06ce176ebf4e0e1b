"""Two dialogue settings against each other on one embedded server, turn by turn.

    source scripts/env.sh && python benchmarks/bench_dialogue_ab.py A B
        [--demo-question] [--rounds 2]

A and B are comma-separated TurnSettings overrides, `-` for the defaults, e.g.
    python benchmarks/bench_dialogue_ab.py aggregator_prefill=true aggregator_prefill=false
    python benchmarks/bench_dialogue_ab.py agents_max_words=12 agents_max_words=8 --demo-question

The dialogue core (no ROS, no FER beside it) runs on llama-server started as dialogue_node starts
it, prompts warmed; the two settings alternate turn by turn (A first, then B first), so a machine
whose speed drifts (a shared VM) drifts for both. The user shows happiness. Printed per turn and
as medians, from receiving the transcript: agents done, the aggregator's first token, the first
reply piece published. `--demo-question` asks only `make demo`'s question (as Whisper hears it).
"""

import argparse
import asyncio
import dataclasses
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from dialogue_eval.embedded_server import EMBEDDED_SLOTS, embedded_server  # noqa: E402
from dialogue_eval.settings import default_settings  # noqa: E402

from insideout_dialogue.core import dialogue_turn  # noqa: E402
from insideout_dialogue.core.llm_client import LlmClient  # noqa: E402
from insideout_dialogue.core.llm_models import DEFAULT_PRESET  # noqa: E402
from insideout_dialogue.core.prompt_warmup import warm_prompt_caches  # noqa: E402
from insideout_dialogue.core.prompts import UserEmotion  # noqa: E402

DEMO_QUESTION = "The low robot, I passed my exam today, what should I do tonight to celebrate?"
UTTERANCES = [
    DEMO_QUESTION,
    "My dog died this morning.",
    "Can you help me find the exit?",
    "I failed my exam today.",
    "My flight was cancelled.",
    "I just got the job I interviewed for!",
]


def overridden(settings: dialogue_turn.TurnSettings, spec: str) -> dialogue_turn.TurnSettings:
    """`spec`: "name=value,..." of TurnSettings fields (bools: true/false), or "-"."""
    if spec == "-":
        return settings
    changes = {}
    for item in spec.split(","):
        name, _, text = item.partition("=")
        current = getattr(settings, name)  # AttributeError names a field that does not exist
        if isinstance(current, bool):
            changes[name] = text.strip().lower() in ("1", "true", "yes", "on")
        else:
            changes[name] = type(current)(text)
    return dataclasses.replace(settings, **changes)


async def compare(spec_a: str, spec_b: str, utterances, rounds: int) -> None:
    with embedded_server(DEFAULT_PRESET, slots=EMBEDDED_SLOTS) as url:
        base = default_settings(url, "qwen2.5-coder-1.5b", server_slots=EMBEDDED_SLOTS)
        settings = {"A": overridden(base, spec_a), "B": overridden(base, spec_b)}
        client = LlmClient()
        await warm_prompt_caches(client, base, url)
        emotion = UserEmotion(label="happiness", confidence=0.9)
        rows = {"A": [], "B": []}
        for index, utterance in enumerate(list(utterances) * rounds):
            for name in ("A", "B") if index % 2 == 0 else ("B", "A"):
                result = dialogue_turn.TurnResult(user_text=utterance, emotion=emotion)
                await dialogue_turn.run_turn(
                    client, settings[name], result, {"happiness": 0.9, "neutral": 0.1}
                )
                row = (
                    result.agents_latency,
                    result.aggregator_first_token_latency,
                    result.first_sentence_latency,
                )
                rows[name].append(row)
                print(
                    f"{name}: agents {row[0]:.2f} s, aggregator first token {row[1]:.2f} s, "
                    f"first piece {row[2]:.2f} s; {result.reply[:70]!r}",
                    flush=True,
                )
        for name, spec in (("A", spec_a), ("B", spec_b)):
            medians = [statistics.median(r[k] for r in rows[name]) for k in range(3)]
            print(
                f"{name} ({spec}), {len(rows[name])} turns, medians: agents {medians[0]:.2f} s, "
                f"aggregator first token {medians[1]:.2f} s, first piece {medians[2]:.2f} s"
            )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--demo-question", action="store_true")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    utterances = [DEMO_QUESTION] * len(UTTERANCES) if args.demo_question else UTTERANCES
    asyncio.run(compare(args.a, args.b, utterances, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
