"""examples/behavior_tree: the py_trees tree calling /insideout/respond on the real dialogue node
(the real embedded LLM server with the default model; answers capped at a few tokens), as
separate processes over DDS."""

import subprocess
import sys

import pytest
from support.ros_harness import REPO_ROOT

pytestmark = pytest.mark.dds  # the behaviour tree talks to dialogue_node

TREE = REPO_ROOT / "examples" / "behavior_tree" / "respond_tree.py"
CONFIG = REPO_ROOT / "config"
SHORT_ANSWERS = {
    **{f"agents.{a}.max_tokens": 12 for a in ("happiness", "sadness", "fear", "anger")},
    "aggregator.max_tokens": 16,
}


def run_tree(*args, timeout=300):
    return subprocess.run(
        [sys.executable, str(TREE), *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.timeout(600)
def test_tree_gets_a_reply_and_cancels_the_goal_when_preempted(spawn_node):
    dialogue = spawn_node(
        "insideout_dialogue",
        "dialogue_node",
        params=SHORT_ANSWERS,
        params_file=CONFIG / "insideout.yaml",
        extra_args=["--ros-args", "--params-file", str(CONFIG / "prompts.yaml")],
    )
    assert dialogue.wait_for_output("dialogue_node ready", 120.0), dialogue.output()

    answered = run_tree("--utterance", "I passed my exam today!", "--timeout", "240")
    assert answered.returncode == 0, answered.stdout + answered.stderr
    assert "SUCCESS (reply received)" in answered.stdout
    reply_lines = [line for line in answered.stdout.splitlines() if line.startswith("[bt] reply")]
    assert reply_lines and len(reply_lines[0].split(": ", 1)[1].strip()) > 0
    # Feedback arrived stage by stage, agent by agent. (rclpy drops feedback that comes before the
    # goal's acceptance reaches the client, so the very first stage may be missing.)
    feedback = [line for line in answered.stdout.splitlines() if line.startswith("[bt] feedback: ")]
    assert feedback, answered.stdout
    stages = feedback[0].split(": ", 1)[1].split(", ")
    done = sorted(s.split()[1] for s in stages if s.startswith("agent_done "))
    assert done == ["anger", "fear", "happiness", "sadness"], answered.stdout
    assert stages.index("aggregating") > max(stages.index(f"agent_done {a}") for a in done)

    # A 1 s limit preempts the goal: the tree falls back and the dialogue node cancels the turn.
    preempted = run_tree("--utterance", "Tell me a long story about dragons.", "--timeout", "1")
    assert preempted.returncode == 1, preempted.stdout + preempted.stderr
    assert "[bt] no reply: preempted" in preempted.stdout
    assert dialogue.wait_for_output("canceled by the action client", 30.0), dialogue.output()
    assert dialogue.running()


def test_tree_says_clearly_when_no_dialogue_node_runs():
    result = run_tree("--utterance", "hello", timeout=120)
    assert result.returncode != 0
    assert "no action server on /insideout/respond" in result.stdout + result.stderr
