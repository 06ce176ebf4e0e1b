"""core/turn_scheduler.py without ROS: order, the queue bound, the goal policies, cancellation,
the fallback reply and shutdown, against the FAKE OpenAI server (content-chosen delays)."""

import threading
import time

import pytest
from support.fake_openai_server import Behavior, FakeOpenAIServer

from insideout_dialogue.core import dialogue_turn as turn_core
from insideout_dialogue.core.agent_config import AgentConfig, EndpointConfig
from insideout_dialogue.core.emotion_weights import DEFAULT_EMOTION_TO_AGENT, parse_mapping_row
from insideout_dialogue.core.llm_client import LlmClient
from insideout_dialogue.core.prompts import PastTurn, PromptSet, UserEmotion, default_agent_prompt
from insideout_dialogue.core.turn_scheduler import (
    SchedulerSettings,
    TurnEmotion,
    TurnRequest,
    TurnScheduler,
)

# Waits out the fake server's simulated slow answers (about 30 s in all): not in make test-fast.
pytestmark = pytest.mark.slow

AGENTS = ["happiness", "sadness", "fear", "anger"]
MAPPING = {label: parse_mapping_row(row) for label, row in DEFAULT_EMOTION_TO_AGENT.items()}


class RecordingListener:
    """The node's side, recording what the scheduler reports."""

    def __init__(self):
        self.lock = threading.Lock()
        self.finished, self.sentences, self.stages, self.logs = [], [], [], []

    def emotion_for(self, request):
        return TurnEmotion({"neutral": 1.0}, UserEmotion(), "test emotion", record="neutral")

    def on_stage(self, request, stage, agent, text):
        with self.lock:
            self.stages.append((request.turn_id, stage))

    def on_sentence(self, request, sentence):
        with self.lock:
            self.sentences.append((request.turn_id, sentence))

    def on_turn_finished(self, request, result):
        with self.lock:
            self.finished.append((request.turn_id, result))

    def on_log(self, level, message):
        with self.lock:
            self.logs.append((level, message))

    def result_of(self, turn_id):
        return next(result for tid, result in self.finished if tid == turn_id)


@pytest.fixture
def server():
    # An utterance containing "slow" keeps every call waiting 1.5 s before its first token.
    with FakeOpenAIServer(content_behaviors={"slow": Behavior(delay=1.5)}) as fake:
        yield fake


def make_scheduler(server, listener, agent_model="fake-ok", **settings):
    endpoint = lambda model: EndpointConfig(base_url=server.base_url, model=model, timeout=10.0)  # noqa: E731
    turn_settings = turn_core.TurnSettings(
        agents=[
            AgentConfig(
                name=a, endpoint=endpoint(agent_model), prompt=default_agent_prompt(a), paper_word=a
            )
            for a in AGENTS
        ],
        aggregator=endpoint("fake-ok"),
        prompts=PromptSet(),
        strategy="weighted_llm",
        emotion_to_agent=MAPPING,
        fallback_reply="Sorry, say that again?",
    )
    return TurnScheduler(turn_settings, SchedulerSettings(**settings), LlmClient(), listener)


def request(turn_id, text, source="transcript", **kwargs):
    return TurnRequest(
        turn_id=turn_id, utterance=text, source=source, received_at=time.monotonic(), **kwargs
    )


def test_turns_run_in_order_each_finishing_once_with_its_sentences(server):
    listener = RecordingListener()
    scheduler = make_scheduler(server, listener, memory_turns=5)
    try:
        futures = [scheduler.submit(request(i, f"Question {i}?")) for i in (1, 2, 3)]
        results = [f.result(timeout=30) for f in futures]
        assert all(r.success for r in results)
        assert [tid for tid, _ in listener.finished] == [1, 2, 3]
        assert [tid for tid, _ in listener.sentences][:2] == [1, 1]
        assert sorted({tid for tid, _ in listener.sentences}) == [1, 2, 3]
        assert len(scheduler.memory) == 3  # every successful turn remembered
        assert (2, turn_core.STAGE_QUEUED) in listener.stages  # it waited behind turn 1
    finally:
        scheduler.close()


def test_a_full_queue_drops_the_oldest_waiting_turn_as_failed(server):
    listener = RecordingListener()
    scheduler = make_scheduler(server, listener, max_pending=1)
    try:
        running = scheduler.submit(request(1, "A slow question?"))
        time.sleep(0.3)
        waiting = scheduler.submit(request(2, "Second?"))
        newest = scheduler.submit(request(3, "Third?"))
        dropped = waiting.result(timeout=30)
        assert (
            dropped.error_code == turn_core.ERROR_PREEMPTED
            and "queue was full" in dropped.error_message
        )
        assert running.result(timeout=30).success and newest.result(timeout=30).success
        assert scheduler.dropped == 1
        assert any(level == "error" and "turn 2" in text for level, text in listener.logs)
    finally:
        scheduler.close()


def test_preempt_policy_a_new_goal_cancels_the_running_goal_but_not_transcripts(server):
    listener = RecordingListener()
    scheduler = make_scheduler(server, listener, goal_policy="preempt")
    try:
        first = scheduler.submit(request(1, "A slow goal?", source="goal"))
        time.sleep(0.5)
        second = scheduler.submit(request(2, "A newer goal?", source="goal"))
        result = first.result(timeout=30)
        assert result.error_code == turn_core.ERROR_PREEMPTED
        assert "preempted by goal of turn 2" in result.error_message
        assert all(
            a.error.startswith("interrupted before answering") for a in result.answers if not a.ok
        )
        assert second.result(timeout=30).success

        spoken = scheduler.submit(request(3, "A slow transcript?"))
        time.sleep(0.5)
        goal = scheduler.submit(request(4, "Another goal?", source="goal"))
        assert spoken.result(timeout=30).success, "a goal preempted a transcript"
        assert goal.result(timeout=30).success
    finally:
        scheduler.close()


def test_queue_policy_goals_wait_their_turn(server):
    listener = RecordingListener()
    scheduler = make_scheduler(server, listener, goal_policy="queue")
    try:
        first = scheduler.submit(request(1, "A slow goal?", source="goal"))
        second = scheduler.submit(request(2, "Next goal?", source="goal"))
        assert first.result(timeout=30).success and second.result(timeout=30).success
    finally:
        scheduler.close()


def test_cancel_one_and_cancel_all(server):
    listener = RecordingListener()
    scheduler = make_scheduler(server, listener)
    try:
        running = request(1, "A slow one?", source="goal")
        waiting = request(2, "Waiting?")
        scheduler.submit(running)
        scheduler.submit(waiting)
        time.sleep(0.3)
        scheduler.cancel(waiting, turn_core.ERROR_CANCELED, "canceled by the action client")
        assert waiting.future.result(timeout=10).error_message == "canceled by the action client"
        third = scheduler.submit(request(3, "Third?"))
        scheduler.cancel_all("dialogue node deactivated")
        # cancel_all returns once the running turn has finished too
        assert running.future.done() and third.done()
        for future in (running.future, third):
            assert future.result().error_code == turn_core.ERROR_CANCELED
            assert future.result().error_message == "dialogue node deactivated"
        assert scheduler.submit(request(4, "Still working?")).result(timeout=30).success
    finally:
        scheduler.close()


def test_an_invalid_request_fails_without_asking_any_llm(server):
    listener = RecordingListener()
    scheduler = make_scheduler(server, listener)
    try:
        before = len(server.requests)
        result = scheduler.submit(request(1, "", invalid_reason="empty utterance")).result(
            timeout=10
        )
        assert (
            result.error_code == turn_core.ERROR_INVALID_GOAL
            and result.error_message == "empty utterance"
        )
        assert len(server.requests) == before and listener.sentences == []
    finally:
        scheduler.close()


def test_failing_agents_speak_the_fallback_only_where_replies_are_published(server):
    listener = RecordingListener()
    scheduler = make_scheduler(server, listener, agent_model="fake-http500")
    try:
        spoken = scheduler.submit(request(1, "Hello?")).result(timeout=30)
        silent = scheduler.submit(request(2, "Hello?", source="goal", publish_reply=False)).result(
            timeout=30
        )
        for result in (spoken, silent):
            assert result.error_code == turn_core.ERROR_ALL_AGENTS_FAILED
            assert result.reply == "Sorry, say that again?"
        assert listener.sentences == [(1, "Sorry, say that again?")]
        assert len(scheduler.memory) == 0
    finally:
        scheduler.close()


def test_close_finishes_running_and_waiting_turns_and_stops_the_thread(server):
    listener = RecordingListener()
    scheduler = make_scheduler(server, listener)
    running = scheduler.submit(request(1, "A slow one?"))
    waiting = scheduler.submit(request(2, "Waiting?"))
    time.sleep(0.3)
    scheduler.close()
    for future in (running, waiting):
        result = future.result(timeout=1)
        assert result.error_code == turn_core.ERROR_CANCELED
        assert result.error_message == "dialogue node shutting down"
    assert sorted(tid for tid, _ in listener.finished) == [1, 2]
    assert not scheduler._thread.is_alive()


def test_a_withdrawn_utterance_ends_unreported_and_its_whole_form_is_answered_once(server):
    listener = RecordingListener()
    scheduler = make_scheduler(server, listener, memory_turns=5)
    try:
        running = scheduler.submit(request(1, "slow: I passed my exam today.", utterance_id=7))
        waiting = scheduler.submit(request(2, "Hello?", utterance_id=8))
        time.sleep(0.3)  # the first is running (its agents wait 1.5 s), the second waits
        scheduler.withdraw_utterance(7, "the user went on speaking")
        scheduler.withdraw_utterance(8, "the user went on speaking")
        assert running.result(timeout=10).error_code == turn_core.ERROR_CANCELED
        assert waiting.result(timeout=10).error_code == turn_core.ERROR_CANCELED
        whole = scheduler.submit(
            request(3, "I passed my exam today. What should I do tonight?", utterance_id=7)
        )
        assert whole.result(timeout=30).success
        # Only the whole utterance was reported and answered; the memory holds only it.
        assert [tid for tid, _ in listener.finished] == [3]
        assert {tid for tid, _ in listener.sentences} == {3}
        assert [turn.user_text for turn in scheduler.memory.history()] == [
            "I passed my exam today. What should I do tonight?"
        ]
        assert (
            sum("dropped unanswered: the user went on speaking" in m for _, m in listener.logs) == 2
        )
    finally:
        scheduler.close()


# An utterance containing "drawl" is answered slowly, word by word: its reply has begun long
# before the turn ends.
DRAWL = Behavior(
    text="That is lovely news. I hope the rest of your day is just as good and full "
    "of nice things.",
    tokens_per_second=6,
)


def test_a_turn_whose_reply_has_begun_is_not_withdrawn():
    listener = RecordingListener()
    with FakeOpenAIServer(content_behaviors={"drawl": DRAWL}) as server:
        scheduler = make_scheduler(server, listener)
        try:
            future = scheduler.submit(request(1, "drawl: Question?", utterance_id=4))
            assert wait_for(lambda: listener.sentences, 20)
            assert not future.done()  # still speaking its reply
            scheduler.withdraw_utterance(4, "the user went on speaking")
            assert future.result(timeout=30).success
            assert [tid for tid, _ in listener.finished] == [1]
            assert any("its reply has begun: the turn is kept" in m for _, m in listener.logs)
        finally:
            scheduler.close()


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_a_final_repeating_the_words_of_its_kept_turn_is_not_answered_twice():
    listener = RecordingListener()
    with FakeOpenAIServer(content_behaviors={"drawl": DRAWL}) as server:
        scheduler = make_scheduler(server, listener)
        try:
            kept = scheduler.submit(request(1, "drawl: What's the weather?", utterance_id=4))
            assert wait_for(lambda: listener.sentences, 20)
            scheduler.withdraw_utterance(4, "the user went on speaking")  # kept: it is speaking
            again = scheduler.submit(request(2, "Drawl what's the weather", utterance_id=4))
            assert again.result(timeout=10).error_code == turn_core.ERROR_CANCELED
            assert kept.result(timeout=30).success
            assert [tid for tid, _ in listener.finished] == [1]
            assert any("came again with the same words" in m for _, m in listener.logs)
        finally:
            scheduler.close()


def test_an_interrupted_running_turn_ends_at_once_and_is_remembered_as_heard():
    listener = RecordingListener()
    with FakeOpenAIServer(content_behaviors={"drawl": DRAWL}) as server:
        scheduler = make_scheduler(server, listener, memory_turns=5)
        try:
            future = scheduler.submit(request(1, "drawl: How was my day?"))
            assert wait_for(lambda: listener.sentences, 20)
            scheduler.interrupt(1, "That is lovely", "interrupted by the user after 3 words")
            result = future.result(timeout=5)
            assert not result.success and result.error_code == turn_core.ERROR_INTERRUPTED
            assert result.error_message == "interrupted by the user after 3 words"
            assert (
                result.reply == "That is lovely news." and result.reply_spoken == "That is lovely"
            )
            assert result.reply_source == "aggregator"
            time.sleep(1.0)  # the aggregate's next sentence was due by now: it never comes
            assert listener.sentences == [(1, "That is lovely news.")]
            aggregate = [r for r in server.requests if r.model == "fake-ok"][-1]
            assert wait_for(lambda: aggregate.client_disconnected, 5)
            assert [t for t in scheduler.memory.history()] == [
                PastTurn("drawl: How was my day?", "That is lovely", True)
            ]

            # A finished turn cut off while spoken: its remembered reply becomes what was heard.
            assert scheduler.submit(request(2, "Thanks!")).result(timeout=30).success
            scheduler.interrupt(2, "fake-ok answer", "interrupted by the user after 2 words")
            assert wait_for(lambda: scheduler.memory.history()[-1].interrupted, 5)
            assert scheduler.memory.history()[-1] == PastTurn("Thanks!", "fake-ok answer", True)
            assert scheduler.submit(request(3, "Next?")).result(timeout=30).success
            history = [m for m in server.requests[-1].messages if m["role"] == "assistant"]
            assert history == [
                {"role": "assistant", "content": "That is lovely — (interrupted by the user)"},
                {"role": "assistant", "content": "fake-ok answer — (interrupted by the user)"},
            ]
        finally:
            scheduler.close()
