"""The dialogue node loads config/insideout.yaml and config/prompts.yaml (both generated from the
declarations: tests/workspace/test_param_files_in_sync.py), the paper prompt style sends the
seed's wording, and invalid or unknown parameters are named."""

import time

from support.fake_openai_server import FakeOpenAIServer
from support.ros_harness import REPO_ROOT

from dialogue.dialogue_test_support import DialogueIO, face, params_for

CONFIG = REPO_ROOT / "config"


def test_node_loads_both_files_and_paper_style_uses_the_seed_wording(spawn_node, ros):
    with FakeOpenAIServer() as server:
        params = params_for(
            server.base_url, **{"prompts.style": "paper", "aggregation.strategy": "llm"}
        )
        node = spawn_node(
            "insideout_dialogue",
            "dialogue_node",
            params=params,
            params_file=CONFIG / "insideout.yaml",
            extra_args=["--ros-args", "--params-file", str(CONFIG / "prompts.yaml")],
        )
        assert node.wait_for_output("dialogue_node ready", 30.0), node.output()
        assert "prompts paper" in node.output()
        io = DialogueIO(ros)
        assert io.wait_connected(), node.output()
        io.emotions.publish(face("sadness"))
        time.sleep(0.5)  # the face first: the two topics are not ordered with each other
        io.say("Why is the sky blue?")
        turn = io.turn_for("Why is the sky blue?")
        assert turn is not None and turn.success, node.output()
        sad = server.requests_for("agent-sadness")[0]
        assert sad.messages == [
            {
                "role": "user",
                "content": "What is the sad one-paragraph response to Why is the sky blue?",
            }
        ]
        aggregator = server.requests_for("fake-ok")[0].messages
        # The seed's single chat: each agent's question and answer, then the request.
        assert (
            aggregator[0]["content"]
            == "What is the happy one-paragraph response to Why is the sky blue?"
        )
        assert aggregator[1] == {
            "role": "assistant",
            "content": "agent-happiness answer one. agent-happiness answer two.",
        }
        assert aggregator[-1]["content"] == (
            "Aggregate the answers to form a final response. Take into account that I am sad now."
        )


def test_invalid_parameters_stop_the_node_with_a_clear_error(spawn_node):
    node = spawn_node(
        "insideout_dialogue",
        "dialogue_node",
        params={"agents.names": ["happiness", "happiness"], "aggregation.strategy": "vote"},
    )
    assert node.process.wait(30) == 2
    output = node.output()
    assert "agents.names: has duplicates" in output and "aggregation.strategy" in output


MAPPED_LABELS = (
    "anger",
    "contempt",
    "disgust",
    "fear",
    "happiness",
    "neutral",
    "sadness",
    "surprise",
)


def test_fewer_agents_than_prompts_yaml_sets_give_no_warning_but_a_typo_does(spawn_node):
    """config/prompts.yaml sets the prompt of every default agent: leaving agents out is not a
    mistake; a misspelt parameter is, and is named at start."""
    with FakeOpenAIServer() as server:
        params = params_for(
            server.base_url,
            **{
                "agents.names": ["happiness", "sadness"],
                "aggregation.strategy": "llm",
                "agents.max_tokenz": 5,
            },
        )
        params = {k: v for k, v in params.items() if k.split(".")[1] not in ("fear", "anger")}
        params.update(
            {
                f"emotion_to_agent.{label}": ["happiness:0.5", "sadness:0.5"]
                for label in MAPPED_LABELS
            }
        )
        node = spawn_node(
            "insideout_dialogue",
            "dialogue_node",
            params=params,
            params_file=CONFIG / "insideout.yaml",
            extra_args=["--ros-args", "--params-file", str(CONFIG / "prompts.yaml")],
        )
        assert node.wait_for_output("dialogue_node ready", 30.0), node.output()
        output = node.output()
        assert "parameter 'agents.max_tokenz' given to dialogue_node is ignored" in output, output
        assert "agents.fear" not in output and "agents.anger" not in output, output
        assert node.stop() == 0
