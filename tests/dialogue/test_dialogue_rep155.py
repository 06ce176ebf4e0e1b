"""dialogue_node follows a ROS4HRI person over DDS: the turn's emotion is the one of the face
that REP-155 candidate matches tie to the speaking voice, else the attended face's."""

import time

import pytest
from builtin_interfaces.msg import Time
from lifecycle_msgs.msg import Transition
from support.fake_openai_server import FakeOpenAIServer
from support.lifecycle_client import Lifecycle
from support.ros_harness import wait_until

from dialogue.dialogue_test_support import DialogueIO, face, params_for
from hri_msgs.msg import Expression, IdsList, IdsMatch
from insideout_common.ros.qos import HRI_STREAM
from insideout_msgs.msg import Transcript

VOICE = "anonymous_speaker"


@pytest.fixture
def fake_llm():
    with FakeOpenAIServer() as server:
        yield server


def stamp(t):
    return Time(sec=int(t), nanosec=int((t % 1) * 1e9))


def match(id1, type1, id2, type2, confidence):
    return IdsMatch(id1=id1, id1_type=type1, id2=id2, id2_type=type2, confidence=confidence)


class Scene:
    """The attended face fattn_1 smiles in our EmotionStates while another face, fother_2, looks
    sad on its REP-155 /expression; then the user says something."""

    def __init__(self, ros, io):
        self.ros, self.io = ros, io
        self.matches = ros.publisher(IdsMatch, "/humans/candidate_matches", HRI_STREAM)
        self.expressions = ros.publisher(
            Expression, "/humans/faces/fother_2/expression", HRI_STREAM
        )
        self.faces = ros.publisher(IdsList, "/humans/faces/tracked", HRI_STREAM)

    def speak(self, text, utterance_id):
        now = time.time()
        for i in range(20):  # 2 s of speech, 10 states/s from each face
            t = now - 3.0 + i / 10
            state = face("happiness")
            state.header.stamp, state.face_id = stamp(t), "fattn_1"
            self.io.emotions.publish(state)
            self.expressions.publish(
                Expression(
                    header=state.header,
                    expression=Expression.SAD,
                    valence=-0.6,
                    arousal=-0.2,
                    confidence=0.8,
                )
            )
        time.sleep(0.5)
        self.io.transcripts.publish(
            Transcript(
                utterance_id=utterance_id,
                text=text,
                is_final=True,
                confidence=0.9,
                language="en",
                utterance_start=stamp(now - 3.0),
                utterance_end=stamp(now - 1.0),
            )
        )
        return self.io.turn_for(text)


def start(spawn_node, ros, fake_llm, follow=True):
    node = spawn_node(
        "insideout_dialogue",
        "dialogue_node",
        params=params_for(fake_llm.base_url, **{"rep155.follow_person": follow}),
    )
    assert node.wait_for_output("dialogue_node ready", 30.0), node.output()
    io = DialogueIO(ros)
    assert io.wait_connected(), node.output()
    scene = Scene(ros, io)
    if follow:
        assert ros.wait_for_subscribers(scene.matches), node.output()
    return node, scene


def test_the_turn_follows_the_face_matched_to_the_voice(spawn_node, ros, fake_llm):
    node, scene = start(spawn_node, ros, fake_llm)

    # No match yet: the attended face, as without ROS4HRI.
    turn = scene.speak("Hello there.", 1)
    assert turn is not None and turn.emotion.dominant_label == "happiness", node.output()
    assert turn.emotion_source.startswith("during the utterance"), turn.emotion_source

    # Voice -> person (voice identification) and person -> face (face recognition): the other face.
    scene.matches.publish(match(VOICE, IdsMatch.VOICE, "p1", IdsMatch.PERSON, 0.9))
    scene.matches.publish(match("p1", IdsMatch.PERSON, "fother_2", IdsMatch.FACE, 0.8))
    # Connected end to end (not only discovered): expressions are not kept for late subscribers.
    assert wait_until(lambda: scene.expressions.get_subscription_count() == 1, 10), node.output()
    turn = scene.speak("I lost my keys.", 2)
    assert turn is not None and turn.success, node.output()
    assert turn.emotion.dominant_label == "sadness" and turn.emotion.face_id == "fother_2", (
        turn.emotion
    )
    assert turn.emotion_source.startswith(
        "ROS4HRI face fother_2 (voice anonymous_speaker via person p1, 0.72): during the utterance"
    ), turn.emotion_source

    # The other face leaves the detector's tracked list: its matches go (few publishers withdraw
    # them), and a speaker localiser ties the voice to the attended face.
    assert wait_until(lambda: scene.faces.get_subscription_count() == 1, 10), node.output()
    scene.faces.publish(IdsList(ids=["fattn_1", "fother_2"]))
    scene.faces.publish(IdsList(ids=["fattn_1"]))
    assert wait_until(
        lambda: ros.node.count_subscribers("/humans/faces/fother_2/expression") == 0, 10
    ), node.output()
    scene.matches.publish(match("fattn_1", IdsMatch.FACE, VOICE, IdsMatch.VOICE, 0.7))
    assert wait_until(
        lambda: ros.node.count_subscribers("/humans/faces/fattn_1/expression") == 1, 10
    )
    turn = scene.speak("Found them!", 3)
    assert turn.emotion.dominant_label == "happiness" and turn.emotion.face_id == "fattn_1"
    assert turn.emotion_source.startswith(
        "ROS4HRI face fattn_1 (voice anonymous_speaker, 0.70): during"
    ), turn.emotion_source

    # Bad matches are dropped with a warning; the node goes on.
    scene.matches.publish(match(VOICE, IdsMatch.VOICE, VOICE, IdsMatch.VOICE, 0.9))
    assert node.wait_for_output("candidate match ignored: a match needs two different ids", 10)
    scene.matches.publish(match(VOICE, IdsMatch.VOICE, "9/lives", IdsMatch.FACE, 0.9))
    turn = scene.speak("Still there?", 4)
    assert turn is not None and turn.emotion.face_id == "fattn_1" and node.running(), node.output()

    # Paused and active again: the match held is followed again (matches are not repeated).
    lifecycle = Lifecycle(ros, "dialogue_node")
    assert lifecycle.wait_for_services(10.0)
    assert lifecycle.transition(Transition.TRANSITION_DEACTIVATE)
    assert wait_until(
        lambda: ros.node.count_subscribers("/humans/faces/fattn_1/expression") == 0, 10
    )
    assert lifecycle.transition(Transition.TRANSITION_ACTIVATE)
    assert wait_until(
        lambda: ros.node.count_subscribers("/humans/faces/fattn_1/expression") == 1, 10
    )


def test_with_follow_person_off_the_attended_face_counts(spawn_node, ros, fake_llm):
    node, scene = start(spawn_node, ros, fake_llm, follow=False)
    time.sleep(1.0)
    assert ros.node.count_subscribers("/humans/candidate_matches") == 0
    scene.matches.publish(match(VOICE, IdsMatch.VOICE, "fother_2", IdsMatch.FACE, 1.0))
    turn = scene.speak("Hello.", 1)
    assert turn is not None and turn.emotion.dominant_label == "happiness", node.output()
    assert turn.emotion_source.startswith("during the utterance"), turn.emotion_source
