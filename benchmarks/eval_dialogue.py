"""Quality of the replies: 32 utterances x 5 user emotions through the real dialogue core and the
embedded LLM server, checked automatically, and the agents' distinctness, ours vs the paper's.

    source scripts/env.sh && python benchmarks/eval_dialogue.py [--preset qwen2.5-coder-1.5b]
        [--emotions happiness,sadness,anger,fear,neutral] [--limit N]
        [--report out/eval_dialogue.md] [--strategy llm|weighted_llm|select|leading_voice]
    python benchmarks/eval_dialogue.py --recheck benchmarks/results/eval_dialogue_....md

Per reply (what tts_node would speak): leaked scaffolding, lists, markdown, emoji, over 60 words,
repeated 4-grams, refusals / "as an AI" (benchmarks/dialogue_eval/reply_checks.py, independent of
the node's own guard). Per agent answer and reply: does it contradict the user ("you didn't pass"
for "I passed") or say nothing ("Oh no, I'm sad.") (benchmarks/dialogue_eval/answer_checks.py);
--recheck counts these in an earlier report, without an LLM. Distinctness: every agent answer is
scored by the text-emotion classifier nade (PyPI, MIT; eight Plutchik emotions), run in its own
venv that this script makes (nade needs numpy>=2), and we count how often the agent's own emotion
ranks first, among all eight and among the four agent emotions, for our prompts and for the
paper's ("What is the {emotion} one-paragraph response to ..."). The Markdown report holds every
reply verbatim.
"""

import argparse
import asyncio
import collections
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from dialogue_eval.answer_checks import REPLY, check_turn, problem_table, recheck  # noqa: E402
from dialogue_eval.embedded_server import EMBEDDED_SLOTS, embedded_server  # noqa: E402
from dialogue_eval.reply_checks import CHECKS, MUST_BE_ZERO, check_reply  # noqa: E402
from dialogue_eval.settings import default_settings, with_style  # noqa: E402
from dialogue_eval.utterances import USER_EMOTIONS, all_utterances  # noqa: E402

from insideout_dialogue.core import dialogue_turn  # noqa: E402
from insideout_dialogue.core.agent_panel import ask_panel  # noqa: E402
from insideout_dialogue.core.aggregation_strategies import STRATEGIES  # noqa: E402
from insideout_dialogue.core.llm_client import LlmClient  # noqa: E402
from insideout_dialogue.core.llm_models import DEFAULT_PRESET  # noqa: E402
from insideout_dialogue.core.prompt_warmup import warm_prompt_caches  # noqa: E402
from insideout_dialogue.core.prompts import (  # noqa: E402
    CONTINUATION_NOTE,
    UserEmotion,
    first_reaction_prompt,
)

# Agent -> nade's label for the same emotion.
NADE_LABEL = {"happiness": "joy", "sadness": "sadness", "fear": "fear", "anger": "anger"}
NADE_REQUIREMENTS = ROOT / "benchmarks" / "dialogue_eval" / "requirements-nade.txt"
NADE_SCORER = ROOT / "benchmarks" / "dialogue_eval" / "nade_score.py"


def nade_python() -> Path:
    """The venv with nade, made once per requirements file (in the user cache)."""
    digest = hashlib.sha256(NADE_REQUIREMENTS.read_bytes()).hexdigest()[:12]
    venv = Path.home() / ".cache" / "insideout" / "venvs" / f"nade-{digest}"
    python = venv / "bin" / "python"
    if not (venv / ".complete").exists():
        print(f"making the nade venv in {venv} (once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        install = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--only-binary",
                ":all:",
                "-r",
                str(NADE_REQUIREMENTS),
            ],
            capture_output=True,
            text=True,
        )
        if install.returncode != 0:
            raise SystemExit(f"cannot install nade into {venv}:\n{install.stderr[-3000:]}")
        (venv / ".complete").touch()
    return python


def nade_scores(texts):
    result = subprocess.run(
        [str(nade_python()), str(NADE_SCORER)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def emotion_scores(label: str):
    return {"neutral": 1.0} if label == "neutral" else {label: 0.9, "neutral": 0.1}


async def run_all(base_url, model, utterances, emotions, server_slots=0, strategy=""):
    client = LlmClient()
    ours = default_settings(base_url, model, server_slots=server_slots, strategy=strategy)
    paper = with_style(ours, "paper")
    await warm_prompt_caches(client, ours, base_url)
    turns, paper_answers = [], []
    for index, (kind, text) in enumerate(utterances, 1):
        for label in emotions:
            result = dialogue_turn.TurnResult(
                user_text=text, emotion=UserEmotion(label, 0.9 if label != "neutral" else 1.0)
            )
            await dialogue_turn.run_turn(client, ours, result, emotion_scores(label))
            successful = [(a.agent, a.text) for a in result.answers if a.ok]
            turns.append(
                {
                    "kind": kind,
                    "utterance": text,
                    "emotion": label,
                    "result": result,
                    "problems": check_reply(result.reply, turn_prompts(ours, label)),
                    "answer_problems": check_turn(text, successful, result.reply),
                }
            )
        answers = await ask_panel(client, paper.prompts, paper.agents, text)
        paper_answers.append({"utterance": text, "answers": answers})
        print(
            f"[{index}/{len(utterances)}] {text!r}: last reply "
            f"{turns[-1]['result'].reply!r} ({turns[-1]['result'].latency:.1f} s)",
            flush=True,
        )
    await client.close()
    return turns, paper_answers


def turn_prompts(settings, label):
    """Every text the turn's LLMs may have been given as instructions."""
    emotion = UserEmotion(label, 0.9)
    return [
        settings.prompts.aggregator_prompt,
        settings.prompts.weighted_aggregator_prompt,
        CONTINUATION_NOTE,
        first_reaction_prompt(emotion),
    ] + [agent.prompt for agent in settings.agents]


def distinctness(answer_lists):
    """{agent: (own emotion first among 8, among the 4, count)} over successful answers."""
    items = [(a.agent, a.text) for answers in answer_lists for a in answers if a.ok]
    scores = nade_scores([text for _, text in items]) if items else []
    tally = collections.defaultdict(lambda: [0, 0, 0])
    for (agent, _), score in zip(items, scores):
        own = NADE_LABEL.get(agent)
        if own is None:
            continue
        first8 = max(score, key=score.get)
        first4 = max(NADE_LABEL.values(), key=lambda label: score[label])
        tally[agent][0] += first8 == own
        tally[agent][1] += first4 == own
        tally[agent][2] += 1
    return dict(tally)


def rate(part, whole):
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "-"


# The errors of answers the panel set aside (agent_panel.refuse_unusable).
SET_ASIDE = ("a stock refusal", "the user's own words", "recital")


def report(path: Path, args, turns, ours_tally, paper_tally, elapsed):
    lines = [
        f"# eval_dialogue: {args.preset}, {args.strategy or 'default'} strategy",
        "",
        f"{len(turns)} turns ({len({t['utterance'] for t in turns})} utterances x "
        f"{len({t['emotion'] for t in turns})} user emotions), {elapsed / 60:.1f} min. "
        "Command: `python benchmarks/eval_dialogue.py " + " ".join(sys.argv[1:]) + "`",
        "",
        "## Automatic checks of the spoken replies",
        "",
        "| check | replies failing |",
        "|---|---|",
    ]
    for check in CHECKS:
        failing = sum(check in t["problems"] for t in turns)
        lines.append(f"| {check} | {failing} |")
    sources = collections.Counter(
        t["result"].reply_source.split(":")[0].split(",")[0] for t in turns
    )
    lines += [
        "",
        "Where the spoken reply came from: "
        + ", ".join(f"{source} {count}" for source, count in sources.most_common()),
        "",
        "## Agent distinctness (nade: the agent's own emotion ranked first)",
        "",
        "| agent | ours, of 8 | ours, of the 4 | paper's, of 8 | paper's, of the 4 |",
        "|---|---|---|---|---|",
    ]
    for agent in NADE_LABEL:
        o = ours_tally.get(agent, [0, 0, 0])
        p = paper_tally.get(agent, [0, 0, 0])
        lines.append(
            f"| {agent} | {rate(o[0], o[2])} | {rate(o[1], o[2])} | {rate(p[0], p[2])} | "
            f"{rate(p[1], p[2])} |"
        )
    totals = [sum(t[i] for t in ours_tally.values()) for i in range(3)]
    ptotals = [sum(t[i] for t in paper_tally.values()) for i in range(3)]
    lines.append(
        f"| all | {rate(totals[0], totals[2])} | {rate(totals[1], totals[2])} | "
        f"{rate(ptotals[0], ptotals[2])} | {rate(ptotals[1], ptotals[2])} |"
    )
    latencies = sorted(t["result"].latency for t in turns)
    firsts = sorted(
        t["result"].first_sentence_latency for t in turns if t["result"].first_sentence_latency >= 0
    )
    lines += [
        "",
        f"Turn latency median {latencies[len(latencies) // 2]:.1f} s; first sentence "
        f"median {firsts[len(firsts) // 2]:.1f} s (no TTS)."
        if firsts
        else "",
        "",
    ]
    lines += problem_table([t["answer_problems"] for t in turns])
    answers = [a for t in turns for a in t["result"].answers]
    set_aside = collections.Counter(
        a.error.split(" (")[0].split(":")[0]
        for a in answers
        if not a.ok and a.error.startswith(SET_ASIDE)
    )
    lines += [
        "",
        f"Agents' answers set aside as no thought of their own (answer_faults.py, "
        f"prompt recitals): {sum(set_aside.values())} of {len(answers)}"
        + "".join(f"; {why} {count}" for why, count in set_aside.most_common()),
    ]
    lines += ["", "## Every turn", ""]
    for t in turns:
        r = t["result"]
        answer_problems = t["answer_problems"]
        flags = "; ".join(
            f"{k}: {v!r}" for k, v in {**t["problems"], **answer_problems.get(REPLY, {})}.items()
        )
        flags = flags or "clean"
        lines += [
            f"### {t['utterance']} ({t['kind']}; user {t['emotion']})",
            "",
            f"**Reply** ({r.reply_source}; agents {r.agents_latency:.1f} s, first sentence "
            f"{r.first_sentence_latency:.1f} s, turn {r.latency:.1f} s; {flags}): {r.reply}",
            "",
        ]
        for answer, weight in zip(r.answers, r.weights or [0.0] * len(r.answers)):
            text = answer.text if answer.ok else f"(failed: {answer.error})"
            marks = "".join(
                f"; {k}: {v!r}"
                for k, v in (answer_problems.get(answer.agent, {}) if answer.ok else {}).items()
            )
            lines.append(f"- {answer.agent} ({weight:.2f}{marks}): {text}")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default=DEFAULT_PRESET)
    parser.add_argument("--model-path", default="", help="any GGUF instead of the preset's")
    parser.add_argument("--base-url", default="", help="use this running server instead")
    parser.add_argument("--emotions", default=",".join(USER_EMOTIONS))
    parser.add_argument(
        "--strategy",
        default="",
        choices=["", *STRATEGIES],
        help="aggregation strategy (default: dialogue_node's)",
    )
    parser.add_argument("--limit", type=int, default=0, help="only the first N utterances")
    parser.add_argument("--report", type=Path, default=ROOT / "out" / "eval_dialogue.md")
    parser.add_argument(
        "--recheck",
        type=Path,
        metavar="REPORT",
        help="only count contradictions and empty answers in this earlier report",
    )
    args = parser.parse_args()
    if args.recheck:
        table, flagged = recheck(args.recheck.read_text())
        print("\n".join(table + ["", "Flagged:"] + flagged))
        return 0
    utterances = all_utterances()[: args.limit or None]
    emotions = [e for e in args.emotions.split(",") if e]
    nade_python()  # before the long run: fail early if the venv cannot be made
    started = time.monotonic()
    model = Path(args.model_path).stem if args.model_path else args.preset
    with embedded_server(args.preset, args.model_path, base_url=args.base_url or None) as url:
        turns, paper = asyncio.run(
            run_all(
                url,
                model,
                utterances,
                emotions,
                0 if args.base_url else EMBEDDED_SLOTS,
                args.strategy,
            )
        )
    elapsed = time.monotonic() - started
    ours_tally = distinctness([t["result"].answers for t in turns])
    paper_tally = distinctness([p["answers"] for p in paper])
    report(args.report, args, turns, ours_tally, paper_tally, elapsed)
    print(args.report.read_text().split("## Every turn")[0])
    failing = sum(any(c in t["problems"] for c in MUST_BE_ZERO) for t in turns)
    print(f"replies with scaffolding, lists, markdown or emoji: {failing} of {len(turns)}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
