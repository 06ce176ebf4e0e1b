"""The FAKE fast LLM server the speed benchmarks run dialogue_node against (bench_dialogue_speed's
overhead section, bench_pace): tests/support/fake_openai_server.py answering every agent and the
aggregator with a fixed text, 0.15 s to the first token, then 80 tokens/s per stream, all streams
at once. It is no model: what it measures is the time around the tokens, not the tokens."""

import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

FAST_TTFT = 0.15  # [s] to the first token
FAST_RATE = 80.0  # tokens/s per stream after the first
AGENT_TEXT = "That sounds hard, and I am right here with you today."
REPLY_TEXT = "I am sorry your exam went badly. You worked hard, and you can try again soon."
DESCRIPTION = (
    f"FAKE fast server (simulated, fixed answers: {FAST_TTFT} s to the first token, "
    f"{FAST_RATE:g} tokens/s per stream, all streams at once)"
)


def token_wait() -> float:
    """What the fake server makes a turn wait: slowest agent, then the first reply sentence."""
    agent = FAST_TTFT + (len(AGENT_TEXT.split(" ")) - 1) / FAST_RATE
    first_sentence = REPLY_TEXT.split(". ")[0] + "."
    return agent + FAST_TTFT + (len(first_sentence.split(" ")) - 1) / FAST_RATE


@contextlib.contextmanager
def fake_fast_server(agents: Sequence[str]) -> Iterator[tuple[object, dict]]:
    """Yields (the running FakeOpenAIServer, dialogue_node parameters that send every agent in
    `agents` and the aggregator to it, with the embedded server off)."""
    from support.fake_openai_server import Behavior, FakeOpenAIServer

    behaviors = {
        f"fast-{a}": Behavior(text=AGENT_TEXT, delay=FAST_TTFT, tokens_per_second=FAST_RATE)
        for a in agents
    }
    behaviors["fast-aggregator"] = Behavior(
        text=REPLY_TEXT, delay=FAST_TTFT, tokens_per_second=FAST_RATE
    )
    with FakeOpenAIServer(behaviors) as server:
        params = {
            "local_llm.autostart": False,
            "llm.base_url": server.base_url,
            "aggregator.model": "fast-aggregator",
        }
        for agent in agents:
            params[f"agents.{agent}.model"] = f"fast-{agent}"
        yield server, params
