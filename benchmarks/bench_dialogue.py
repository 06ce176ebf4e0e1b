"""Dialogue turn latency: our concurrent design vs the seed's sequential one, streaming, real LLM.

    source scripts/env.sh && python benchmarks/bench_dialogue.py [--repeats 5] [--skip-dds]

1. A latency-injecting FAKE OpenAI-compatible server (tests/support/fake_openai_server.py): each
   agent call takes a set time (a delay, then 20 tokens at 40 tokens/s) and the aggregator streams
   three sentences at 20 tokens/s after 0.4 s. Printed per design (median of the repeats):
     concurrent  our core's run_turn: agents at once, aggregator streamed;
     sequential  the seed's order: one agent after another, then the aggregator (without the
                 seed's 5 s sleeps between agents, which would add 20 s more);
   against the ideal (slowest agent + aggregator), and the time to the first reply sentence.
2. The same through the installed dialogue_node over DDS: Transcript published -> first
   /insideout/reply sentence and -> DialogueTurn received.
The real embedded LLM, and the paper's pipeline beside ours on it: bench_dialogue_speed.py.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.fake_openai_server import Behavior, FakeOpenAIServer  # noqa: E402

from insideout_dialogue.core import dialogue_turn  # noqa: E402
from insideout_dialogue.core.agent_config import DEFAULT_AGENTS, AgentConfig, EndpointConfig  # noqa: E402
from insideout_dialogue.core.agent_panel import ask_agent  # noqa: E402
from insideout_dialogue.core.aggregation_strategies import strategy_for  # noqa: E402
from insideout_dialogue.core.emotion_weights import (  # noqa: E402
    DEFAULT_EMOTION_TO_AGENT,
    parse_mapping_row,
)
from insideout_dialogue.core.llm_client import LlmClient  # noqa: E402
from insideout_dialogue.core.prompts import PromptSet, UserEmotion, default_agent_prompt  # noqa: E402

AGENTS = list(DEFAULT_AGENTS)
AGENT_DELAYS = {"happiness": 0.6, "sadness": 0.8, "fear": 1.0, "anger": 1.2}
AGENT_RATE = 40.0
AGENT_TEXT = " ".join(["word"] * 19) + " end."
AGGREGATOR_DELAY = 0.4
AGGREGATOR_RATE = 20.0
AGGREGATOR_TEXT = (
    "I hear you and that sounds hard today. Let us take one small step together now. "
    "Tell me what would help you most right now."
)
MAPPING = {label: parse_mapping_row(row) for label, row in DEFAULT_EMOTION_TO_AGENT.items()}
SAD = {"sadness": 1.0}


def _tokens(text):
    return len(text.split(" "))


def agent_time(agent):
    return AGENT_DELAYS[agent] + (_tokens(AGENT_TEXT) - 1) / AGENT_RATE


def aggregator_time():
    return AGGREGATOR_DELAY + (_tokens(AGGREGATOR_TEXT) - 1) / AGGREGATOR_RATE


def fake_behaviors():
    behaviors = {
        f"agent-{a}": Behavior(text=AGENT_TEXT, delay=AGENT_DELAYS[a], tokens_per_second=AGENT_RATE)
        for a in AGENTS
    }
    behaviors["aggregator"] = Behavior(
        text=AGGREGATOR_TEXT, delay=AGGREGATOR_DELAY, tokens_per_second=AGGREGATOR_RATE
    )
    return behaviors


def settings_for(
    base_url,
    agent_model=None,
    aggregator_model="aggregator",
    max_tokens=64,
    aggregator_tokens=96,
    timeout=60.0,
):
    agents = [
        AgentConfig(
            name=a,
            prompt=default_agent_prompt(a),
            paper_word=a,
            endpoint=EndpointConfig(
                base_url, agent_model or f"agent-{a}", max_tokens=max_tokens, timeout=timeout
            ),
        )
        for a in AGENTS
    ]
    return dialogue_turn.TurnSettings(
        agents=agents,
        aggregator=EndpointConfig(
            base_url, aggregator_model, max_tokens=aggregator_tokens, timeout=timeout
        ),
        prompts=PromptSet(),
        strategy="weighted_llm",
        emotion_to_agent=MAPPING,
        fallback_reply="fallback",
    )


async def concurrent_turn(settings, client):
    result = dialogue_turn.TurnResult(
        user_text="I failed my exam today.", emotion=UserEmotion("sadness", 1.0)
    )
    await dialogue_turn.run_turn(client, settings, result, SAD)
    if not result.success:
        raise RuntimeError(result.error_message)
    return result


async def sequential_turn(settings, client):
    """The seed's order: each agent after the previous one, then the aggregator (not streamed)."""
    started = time.monotonic()
    answers = []
    for agent in settings.agents:
        answers.append(await ask_agent(client, settings.prompts, agent, "I failed my exam today."))
    await strategy_for("llm").aggregate(
        client,
        settings.prompts,
        settings.aggregator,
        settings.agents,
        "I failed my exam today.",
        answers,
        [0.25] * 4,
        UserEmotion("sadness", 1.0),
    )
    return time.monotonic() - started


async def run_designs(settings, repeats):
    """Both designs with one warmed-up client, as the node keeps one for its lifetime."""
    client = LlmClient()
    await client.warm_up([settings.aggregator])
    concurrent = [await concurrent_turn(settings, client) for _ in range(repeats)]
    sequential = [await sequential_turn(settings, client) for _ in range(repeats)]
    await client.close()
    return concurrent, sequential


def median(values):
    return statistics.median(values)


def bench_fake_core(repeats):
    ideal = max(agent_time(a) for a in AGENTS) + aggregator_time()
    sequential_ideal = sum(agent_time(a) for a in AGENTS) + aggregator_time()
    with FakeOpenAIServer(fake_behaviors()) as server:
        settings = settings_for(server.base_url)
        concurrent, sequential = asyncio.run(run_designs(settings, repeats))
    turn = median([r.latency for r in concurrent])
    first = median([r.first_sentence_latency for r in concurrent])
    agents_done = median([r.agents_latency for r in concurrent])
    print(
        f"fake LLM: agent calls {', '.join(f'{agent_time(a):.2f}' for a in AGENTS)} s, "
        f"aggregator {aggregator_time():.2f} s (3 sentences streamed); median of {repeats}"
    )
    print(
        f"  concurrent (ours)   turn {turn:6.3f} s   ideal slowest agent + aggregator "
        f"{ideal:.3f} s   overhead {1000 * (turn - ideal):+.0f} ms"
    )
    print(
        f"  first sentence      {first:6.3f} s   (aggregator starts at {agents_done:.3f} s, "
        f"finishes at {turn:.3f} s)"
    )
    seq = median(sequential)
    print(
        f"  sequential (seed)   turn {seq:6.3f} s   ideal sum of agents + aggregator "
        f"{sequential_ideal:.3f} s; with the seed's 4 x 5 s sleeps: {seq + 20:.1f} s"
    )
    print(f"  speed-up            {seq / turn:.2f}x (without the sleeps)")


def bench_fake_dds(repeats):
    from std_msgs.msg import String
    from support.ros_domain import claim_isolated_domain
    from support.ros_harness import NodeProcess, RosHarness, wait_until

    from insideout_common.ros.qos import RELIABLE_EVENTS
    from insideout_msgs.msg import DialogueTurn, Transcript

    claim = claim_isolated_domain()
    os.environ["ROS_DOMAIN_ID"] = str(claim.domain_id)
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    with FakeOpenAIServer(fake_behaviors()) as server:
        params = {
            "local_llm.autostart": False,
            "llm.base_url": server.base_url,
            "aggregator.model": "aggregator",
            "emotion.timeout": 0.0,
        }
        for agent in AGENTS:
            params[f"agents.{agent}.model"] = f"agent-{agent}"
        node = NodeProcess("insideout_dialogue", "dialogue_node", params=params)
        ros = RosHarness("bench_dialogue")
        try:
            if not node.wait_for_output("dialogue_node ready", 30.0):
                print("  dds: node did not start:\n" + node.output())
                return
            publisher = ros.publisher(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
            turns = ros.collect(DialogueTurn, "/insideout/dialogue", RELIABLE_EVENTS)
            arrivals = []
            ros.node.create_subscription(
                String,
                "/insideout/reply",
                lambda _m: arrivals.append(time.monotonic()),
                RELIABLE_EVENTS,
            )
            ros.wait_for_subscribers(publisher)
            ros.wait_for_publishers("/insideout/dialogue")
            ros.wait_for_publishers("/insideout/reply")
            first_reply, whole = [], []
            for index in range(repeats):
                count, spoken = len(turns.snapshot()), len(arrivals)
                sent = time.monotonic()
                publisher.publish(
                    Transcript(utterance_id=index + 1, text="I failed my exam.", is_final=True)
                )
                if not wait_until(lambda count=count: len(turns.snapshot()) > count, 30.0):
                    print("  dds: no DialogueTurn:\n" + node.output())
                    return
                whole.append(time.monotonic() - sent)
                first_reply.append(arrivals[spoken] - sent)
            ideal = max(agent_time(a) for a in AGENTS) + aggregator_time()
            print(
                f"  dialogue_node over DDS: transcript -> first reply sentence "
                f"{median(first_reply):.3f} s, -> DialogueTurn {median(whole):.3f} s "
                f"(ideal {ideal:.3f} s, overhead {1000 * (median(whole) - ideal):+.0f} ms)"
            )
        finally:
            ros.close()
            node.stop()
            claim.release()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-dds", action="store_true")
    args = parser.parse_args()
    bench_fake_core(args.repeats)
    if not args.skip_dds:
        bench_fake_dds(args.repeats)


if __name__ == "__main__":
    main()
