"""Dialogue speed: the paper's pipeline vs ours on the same model and server, and our own overhead
against a simulated fast LLM server.

    source scripts/env.sh && python benchmarks/bench_dialogue_speed.py
        [--section paper|overhead|all] [--preset qwen2.5-coder-1.5b] [--repeats 5] [--starts 5]

paper: the same utterances through (a) the paper's pipeline as the seed's demo runs it: one chat,
    the four agents asked one after another ("What is the {emotion} one-paragraph response to ..."),
    each seeing the previous answers, then "Aggregate the answers ...", at temperature 0 (without
    the demo's 5 s sleeps between agents, and with our token limits: both in the paper's favour),
    and (b) our dialogue core with the node's defaults. Both on the embedded llama-server. Printed:
    question end -> first reply sentence, per design, and the ratio ours / paper.
first-turn: the first turn after a server start against later ones, content held equal: for each
    of --starts server starts (prompts warmed as dialogue_node warms them), the utterances in
    turn, rotated by one per start, so each utterance is once the first turn and otherwise a
    later one. Printed: question end -> first reply sentence, median of the first turns and of
    the later turns, and their ratio.
overhead: dialogue_node and tts_node over DDS against a FAKE fast server (0.15 s to the first
    token, then 80 tokens/s per stream, all streams at once). Transcript published -> first reply
    audio chunk on /insideout/speaker/audio, minus the time the fake server makes us wait for tokens
    (the slowest agent's answer, then the aggregator's first sentence): what is left is ours (DDS,
    asyncio, prompt building, guard, synthesis of the first chunk).
"""

import argparse
import asyncio
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from dialogue_eval.embedded_server import EMBEDDED_SLOTS, embedded_server  # noqa: E402
from dialogue_eval.settings import default_settings, with_style  # noqa: E402
from fake_fast_llm import FAST_RATE, FAST_TTFT, fake_fast_server, token_wait  # noqa: E402

from insideout_dialogue.core import dialogue_turn  # noqa: E402
from insideout_dialogue.core.agent_config import DEFAULT_AGENTS  # noqa: E402
from insideout_dialogue.core.llm_client import LlmClient  # noqa: E402
from insideout_dialogue.core.llm_models import DEFAULT_PRESET  # noqa: E402
from insideout_dialogue.core.prompt_warmup import warm_prompt_caches  # noqa: E402
from insideout_dialogue.core.prompts import UserEmotion, paper_agent_question  # noqa: E402
from insideout_dialogue.core.reply_sentences import SentenceStream  # noqa: E402

UTTERANCES = [
    "I failed my exam today.",
    "I just got the job I interviewed for!",
    "My flight was cancelled.",
    "Can you help me find the exit?",
    "The queue here is far too long.",
]
SAD = UserEmotion("sadness", 0.9)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def paper_turn(client, settings, question, emotion):
    """The seed's order in one growing chat; returns seconds to the first reply sentence."""
    started = time.monotonic()
    zero = lambda e: dataclasses.replace(e, temperature=0.0)  # noqa: E731 (the seed's setting)
    messages = []
    for agent in settings.agents:
        messages.append(
            {
                "role": "user",
                "content": paper_agent_question(settings.prompts, agent.paper_word, question),
            }
        )
        answer = await client.chat(zero(agent.endpoint), messages)
        messages.append({"role": "assistant", "content": answer})
    request = (
        settings.prompts.paper_aggregator_template
        + settings.prompts.paper_emotion_clause.format(user_emotion="sad")
    )
    messages.append({"role": "user", "content": request})
    first = []
    sentences = SentenceStream()

    def on_delta(piece):
        if not first and sentences.feed(piece):
            first.append(time.monotonic() - started)

    await client.chat(zero(settings.aggregator), messages, on_delta)
    return first[0] if first else time.monotonic() - started


async def our_turn(client, settings, question, emotion):
    result = dialogue_turn.TurnResult(user_text=question, emotion=emotion)
    await dialogue_turn.run_turn(client, settings, result, {emotion.label: 0.9, "neutral": 0.1})
    if not result.success:
        raise RuntimeError(result.error_message)
    return result.first_sentence_latency, result


async def paper_vs_ours(base_url, model, repeats, server_slots=0):
    client = LlmClient()
    ours = default_settings(base_url, model, server_slots=server_slots)
    paper = with_style(ours, "paper")
    await warm_prompt_caches(client, ours, base_url)
    # Ours first, then the paper's: the paper's growing chat would evict our slots' cached
    # prompts, which the node (running only ours) keeps.
    questions = (UTTERANCES * repeats)[: max(repeats, len(UTTERANCES))]
    ours_runs = [await our_turn(client, ours, q, SAD) for q in questions]
    rows = []
    for question, (ours_first, result) in zip(questions, ours_runs):
        paper_first = await paper_turn(client, paper, question, SAD)
        rows.append((question, paper_first, ours_first, result))
        print(
            f"  {question!r}: paper {paper_first:.1f} s, ours {ours_first:.1f} s "
            f"(agents {result.agents_latency:.1f} s) -> {result.reply!r}",
            flush=True,
        )
    await client.close()
    return rows


def section_paper(args):
    model = args.preset
    with embedded_server(args.preset, base_url=args.base_url or None) as url:
        rows = asyncio.run(
            paper_vs_ours(url, model, args.repeats, 0 if args.base_url else EMBEDDED_SLOTS)
        )
    paper = statistics.median(r[1] for r in rows)
    ours = statistics.median(r[2] for r in rows)
    print(
        f"paper's pipeline vs ours, {model}, {len(rows)} turns: question end -> first reply "
        f"sentence median paper {paper:.1f} s, ours {ours:.1f} s; ratio ours/paper "
        f"{ours / paper:.2f}"
    )
    later = statistics.median(r[2] for r in rows[1:]) if len(rows) > 1 else float("nan")
    print(
        f"ours, first turn after the server start (prompts warmed) {rows[0][2]:.1f} s, later "
        f"turns median {later:.1f} s"
    )


async def turns_after_a_start(base_url, model, order):
    client = LlmClient()
    settings = default_settings(base_url, model, server_slots=EMBEDDED_SLOTS)
    await warm_prompt_caches(client, settings, base_url)
    times = [(await our_turn(client, settings, question, SAD))[0] for question in order]
    await client.close()
    return times


def section_first_turn(args):
    first, later = {}, {}
    for start in range(args.starts):
        order = UTTERANCES[start % len(UTTERANCES) :] + UTTERANCES[: start % len(UTTERANCES)]
        with embedded_server(args.preset) as url:
            times = asyncio.run(turns_after_a_start(url, args.preset, order))
        print(
            f"  start {start + 1}: " + ", ".join(f"{q!r} {t:.1f} s" for q, t in zip(order, times)),
            flush=True,
        )
        first.setdefault(order[0], []).append(times[0])
        for question, seconds in zip(order[1:], times[1:]):
            later.setdefault(question, []).append(seconds)
    firsts = [t for values in first.values() for t in values]
    laters = [t for question in first for t in later.get(question, [])]
    ratio = statistics.median(firsts) / statistics.median(laters)
    print(
        f"first turn after a server start vs later turns of the same utterances, {args.starts} "
        f"starts: question end -> first reply sentence median {statistics.median(firsts):.2f} s "
        f"vs {statistics.median(laters):.2f} s ({(ratio - 1) * 100:+.0f}%)"
    )


# --- overhead against the FAKE fast server (benchmarks/fake_fast_llm.py) ------------------------
def section_overhead(args):
    from support.ros_domain import claim_isolated_domain
    from support.ros_harness import NodeProcess, RosHarness, wait_until

    from insideout_common.ros.qos import RELIABLE_EVENTS
    from insideout_msgs.msg import Transcript

    claim = claim_isolated_domain()
    os.environ["ROS_DOMAIN_ID"] = str(claim.domain_id)
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    with fake_fast_server(list(DEFAULT_AGENTS)) as (_server, params):
        params = {**params, "emotion.timeout": 0.0}
        dialogue = NodeProcess("insideout_dialogue", "dialogue_node", params=params)
        tts = NodeProcess("insideout_dialogue", "tts_node", params={})
        ros = RosHarness("bench_dialogue_overhead")
        try:
            for node, marker in ((dialogue, "dialogue_node ready"), (tts, "publishing")):
                if not node.wait_for_output(marker, 60.0):
                    print(f"a node did not start:\n{node.output()}")
                    return
            from audio_common_msgs.msg import AudioData as Audio

            publisher = ros.publisher(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
            from insideout_msgs.msg import DialogueTurn

            chunks, turns = [], []
            ros.node.create_subscription(
                Audio,
                "/insideout/speaker/audio",
                lambda _m: chunks.append(time.monotonic()),
                RELIABLE_EVENTS,
            )
            ros.node.create_subscription(
                DialogueTurn, "/insideout/dialogue", turns.append, RELIABLE_EVENTS
            )
            ros.wait_for_subscribers(publisher)
            ros.wait_for_publishers("/insideout/speaker/audio")
            waits, first_sentences = [], []
            for index in range(args.repeats + 1):
                before, turns_before = len(chunks), len(turns)
                sent = time.monotonic()
                publisher.publish(
                    Transcript(utterance_id=index + 1, text="I failed my exam.", is_final=True)
                )
                if not wait_until(lambda before=before: len(chunks) > before, 30.0):
                    print("no reply audio:\n" + dialogue.output()[-2000:] + tts.output()[-2000:])
                    return
                # Let the reply finish playing before the next question.
                wait_until(lambda: chunks and time.monotonic() - chunks[-1] > 1.0, 30.0)
                if index:  # the first turn warms the HTTP client and the voice
                    waits.append(chunks[before] - sent)
                    wait_until(lambda turns_before=turns_before: len(turns) > turns_before, 10.0)
                    first_sentences.append(
                        turns[turns_before].first_sentence_latency
                        if len(turns) > turns_before
                        else float("nan")
                    )
            ideal = token_wait()
            overhead = [1000 * (w - ideal) for w in waits]
            print(
                f"fake fast server ({FAST_TTFT} s to first token, {FAST_RATE:g} tokens/s per "
                f"stream), {len(waits)} turns: transcript -> first reply audio median "
                f"{statistics.median(waits):.3f} s, of which waiting for tokens {ideal:.3f} s; "
                f"our overhead median {statistics.median(overhead):.0f} ms, p95 "
                f"{percentile(overhead, 0.95):.0f} ms"
            )
            # Where it goes: inside dialogue_node (utterance received -> first sentence published,
            # less the token wait) and after it (DDS both ways, tts_node's synthesis).
            inside = [1000 * (f - ideal) for f in first_sentences]
            after = [o - i for o, i in zip(overhead, inside)]
            print(
                f"  of which in dialogue_node median {statistics.median(inside):.0f} ms (p95 "
                f"{percentile(inside, 0.95):.0f}), DDS + tts_node median "
                f"{statistics.median(after):.0f} ms (p95 {percentile(after, 0.95):.0f})"
            )
        finally:
            ros.close()
            tts.stop()
            dialogue.stop()
            claim.release()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--section", choices=("paper", "overhead", "first-turn", "all"), default="all"
    )
    parser.add_argument("--preset", default=DEFAULT_PRESET)
    parser.add_argument("--base-url", default="", help="paper section: use this running server")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--starts", type=int, default=5, help="first-turn section: server starts")
    args = parser.parse_args()
    if args.section in ("overhead", "all"):
        section_overhead(args)
    if args.section in ("paper", "all"):
        section_paper(args)
    if args.section in ("first-turn", "all"):
        section_first_turn(args)


if __name__ == "__main__":
    main()
