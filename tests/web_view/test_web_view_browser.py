"""The live view in a real browser (Debian's Chromium, headless, over the DevTools protocol),
fed by real nodes over DDS: dialogue_node (agents and aggregator on a FAKE streaming LLM server,
the simulated fast server of the fault tests), tts_node (espeak-ng) and web_view_node.
The demo-bag run with every real model is tests/launch_and_bags/test_end_to_end.py, which checks
the page `make demo` watches."""

import asyncio
import threading
import time

import numpy as np
import pytest
from dialogue.dialogue_test_support import (
    AGENTS,
    STREAMING_AGGREGATOR,
    DialogueIO,
    face,
    params_for,
    streaming_behaviors,
)
from sensor_msgs.msg import Image
from std_msgs.msg import Bool
from support.fake_openai_server import FakeOpenAIServer
from support.ports import free_port
from support.ros_harness import wait_until

from insideout_common.ros.qos import LATCHED_STATE, RELIABLE_EVENTS
from insideout_msgs.msg import DialogueTurn, ReplyInterrupted, TurnProgress
from web_view.browser_support import (
    CONNECTED,
    DISCONNECTED,
    Chromium,
    agent_texts,
    dom_text,
    start_web_view,
)

pytestmark = [pytest.mark.dds, pytest.mark.slow]  # a real Chromium

REPLY = "Congratulations on passing your exam. Let us celebrate together tonight."
QUESTION = "I passed my exam today, let's celebrate!"


@pytest.fixture
def streaming_llm():
    """Agents stream their answers at 10 words/s, so the page sees them grow."""
    with FakeOpenAIServer(behaviors=streaming_behaviors(REPLY)) as server:
        yield server


def _dialogue_and_tts(spawn_node, ros, llm):
    dialogue = spawn_node(
        "insideout_dialogue",
        "dialogue_node",
        params=params_for(llm.base_url, aggregator_model=STREAMING_AGGREGATOR),
    )
    tts = spawn_node("insideout_dialogue", "tts_node", params={"backend": "espeak-ng"})
    assert dialogue.wait_for_output("dialogue_node ready", 30.0), dialogue.output()
    assert tts.wait_for_output("speaking /insideout/reply with", 60.0), tts.output()
    io = DialogueIO(ros)
    assert io.wait_connected(), dialogue.output()
    return dialogue, tts, io


async def _until_shown(
    pages, publish, shown: str, timeout: float = 30.0, interval: float = 0.2
) -> None:
    """Publish until every page shows it (checked every 0.1 s, published every `interval`)."""
    deadline = time.monotonic() + timeout
    while True:
        publish()
        next_publish = time.monotonic() + interval
        while time.monotonic() < next_publish:
            if all([await page.evaluate(shown) for page in pages]):
                return
            assert time.monotonic() < deadline, f"never shown: {shown}"
            await asyncio.sleep(0.1)


def _expected_agents():
    return {agent: f"agent-{agent} answer one. agent-{agent} answer two." for agent in AGENTS}


@pytest.mark.timeout(240)
def test_two_pages_watch_a_turn_unfold_and_drive_the_robot(spawn_node, ros, streaming_llm):
    _, tts, io = _dialogue_and_tts(spawn_node, ros, streaming_llm)
    web, url = start_web_view(spawn_node)
    assert ros.wait_for_publishers("/insideout/dialogue/progress", 1, 20)

    async def run():
        async with Chromium() as browser:
            pages = [await browser.new_page() for _ in range(2)]
            for page in pages:
                await page.goto(url)
                await page.wait_for(CONNECTED, 20)
            # A reliable topic delivers only once the endpoints have matched, which the graph
            # shows a little earlier: probe each path into the node until the pages show it.
            await _until_shown(
                pages,
                lambda: io.emotions.publish(face("happiness")),
                dom_text("#face-label") + ".includes('happiness')",
            )
            await _until_shown(
                pages,
                lambda: io.say("probe", final=False),
                dom_text("#transcript-partial") + " === 'probe'",
            )
            # The paths from dialogue_node and tts_node: a warm-up turn, again until the pages
            # have seen one stream, be spoken and finish.
            await _until_shown(
                pages,
                lambda: io.say("Warm up."),
                "Object.keys(window.insideoutLive.streamed).length === 4 && "
                "window.insideoutLive.highlighted.length > 0 && "
                "window.insideoutLive.turnsShown.length > 0",
                interval=4.0,
            )
            for page in pages:
                await page.wait_for("!document.querySelector('#robot-speaking.on')", 30)
                await page.evaluate(
                    "Object.assign(window.insideoutLive, {streamed: {}, "
                    "turnsShown: [], highlighted: [], turnStates: []})"
                )
            for _ in range(5):  # the user smiles as they ask
                io.emotions.publish(face("happiness"))
            io.say(QUESTION)
            turn = io.turn_for(QUESTION, 60.0)
            assert turn is not None and turn.success, "dialogue_node gave no turn"
            for page in pages:
                await page.wait_for("window.insideoutLive.turnsShown.length >= 1", 20)
                # Each reply sentence was highlighted as tts_node started speaking it.
                await page.wait_for("new Set(window.insideoutLive.highlighted).size >= 2", 30)
                assert set(await page.evaluate("window.insideoutLive.highlighted")) == {
                    "Congratulations on passing your exam.",
                    "Let us celebrate together tonight.",
                }
            for page in pages:
                assert await page.evaluate(dom_text("#transcript-final")) == QUESTION
                assert await page.evaluate(agent_texts()) == _expected_agents()
                assert await page.evaluate(dom_text("#reply")) == REPLY
                assert "happiness" in await page.evaluate(dom_text("#face-label"))
                assert "happiness" in await page.evaluate(dom_text("#reply-emotion"))
                streamed = await page.evaluate("window.insideoutLive.streamed")
                assert all(streamed.get(agent, 0) >= 2 for agent in AGENTS), streamed
                assert await page.evaluate("document.querySelectorAll('#timings tr').length") == 8
                # The header followed the real nodes: dialogue_node thinking, tts_node speaking.
                assert {"thinking", "speaking"} <= set(
                    await page.evaluate("window.insideoutLive.turnStates")
                )

            # Controls, from the second page: a typed utterance goes through the Respond action
            # and both pages show its turn; reset memory and stop speaking report back.
            typed = "What should we eat tonight?"
            await pages[1].evaluate(
                f"document.getElementById('say-text').value = {typed!r};"
                "document.getElementById('say-form').requestSubmit()"
            )
            for page in pages:
                await page.wait_for("window.insideoutLive.turnsShown.length >= 2", 60)
                assert (
                    await page.evaluate("document.querySelector('#history li .user').textContent")
                    == typed
                )
            assert io.turn_for(typed, 5.0) is not None  # the turn crossed DDS as well
            await pages[1].evaluate("document.getElementById('reset-memory').click()")
            await pages[1].wait_for(dom_text("#notice") + ".includes('forgot')", 20)
            await pages[0].evaluate("document.getElementById('stop-speaking').click()")
            await pages[0].wait_for(dom_text("#notice") + ".includes('stopped speaking')", 20)
            for page in pages:
                assert page.errors == [], page.errors

    asyncio.run(run())
    assert web.running()


@pytest.mark.timeout(180)
def test_the_page_reconnects_after_the_node_restarts_and_catches_up(spawn_node, ros):
    port = free_port()
    web, url = start_web_view(spawn_node, port)
    turns = ros.publisher(DialogueTurn, "/insideout/dialogue", RELIABLE_EVENTS)

    async def run():
        async with Chromium() as browser:
            page = await browser.new_page()
            await page.goto(url)
            await page.wait_for(CONNECTED, 20)
            assert web.stop() == 0
            await page.wait_for(DISCONNECTED, 20)
            restarted, _ = start_web_view(spawn_node, port)
            await page.wait_for(CONNECTED, 30)  # the page retried on its own
            await _until_shown(
                [page],
                lambda: turns.publish(
                    DialogueTurn(
                        turn_id=7,
                        user_text="after the restart",
                        reply="Welcome back.",
                        success=True,
                        reply_source="aggregator",
                    )
                ),
                "window.insideoutLive.turnsShown.length >= 1",
            )
            assert await page.evaluate(dom_text("#reply")) == "Welcome back."
            # A page opened now catches up on the turn it missed.
            late = await browser.new_page()
            await late.goto(url)
            await late.wait_for(dom_text("#history") + ".includes('after the restart')", 20)
            # While the node was down the browser logged failed connection attempts; nothing
            # else, and no JavaScript error.
            assert all(e.startswith("network:") for e in page.errors), page.errors
            assert late.errors == []
            return restarted

    restarted = asyncio.run(run())
    assert restarted.running()


def _turn_state_is(state: str) -> str:
    return f"document.body.dataset.turnState === {state!r}"


@pytest.mark.timeout(120)
def test_the_header_shows_whose_turn_it_is_and_a_cut_reply_is_marked(spawn_node, ros):
    web, url = start_web_view(spawn_node)
    flags = {
        name: ros.publisher(Bool, f"/insideout/{name}", LATCHED_STATE)
        for name in ("user_speaking", "user_pausing", "robot_speaking")
    }
    progress = ros.publisher(TurnProgress, "/insideout/dialogue/progress", RELIABLE_EVENTS)
    turns = ros.publisher(DialogueTurn, "/insideout/dialogue", RELIABLE_EVENTS)
    cuts = ros.publisher(ReplyInterrupted, "/insideout/reply/interrupted", RELIABLE_EVENTS)
    reply = "Good to see you. Let us talk about your exam today."

    async def run():
        async with Chromium() as browser:
            page = await browser.new_page()
            await page.goto(url)
            await page.wait_for(CONNECTED, 20)
            await page.wait_for(_turn_state_is("listening"), 10)

            async def step(publish, state, probe=False):
                """Latched flags arrive once matched; the volatile topics are probed."""
                if probe:
                    await _until_shown([page], publish, _turn_state_is(state), 20)
                else:
                    publish()
                    await page.wait_for(_turn_state_is(state), 10)

            def flag(name, on):
                return lambda: flags[name].publish(Bool(data=on))

            await step(flag("user_speaking", True), "user speaking")
            await step(flag("user_pausing", True), "user pausing")
            await step(flag("user_pausing", False), "user speaking")
            await step(flag("user_speaking", False), "listening")
            await step(
                lambda: progress.publish(
                    TurnProgress(turn_id=1, user_text="How was it?", stage="agents")
                ),
                "thinking",
                True,
            )
            await step(flag("robot_speaking", True), "speaking")
            await _until_shown(
                [page],
                lambda: turns.publish(
                    DialogueTurn(
                        turn_id=1,
                        user_text="How was it?",
                        reply=reply,
                        success=True,
                        reply_source="aggregator",
                    )
                ),
                "window.insideoutLive.turnsShown.length >= 1",
            )
            await step(flag("user_speaking", True), "user speaking")  # over the robot
            # ... which stops it: shown as interrupted while the user goes on.
            await step(
                lambda: cuts.publish(
                    ReplyInterrupted(
                        reply="Let us talk about your exam today.",
                        heard="Let us talk",
                        reason="barge_in",
                    )
                ),
                "interrupted",
                True,
            )
            flags["robot_speaking"].publish(Bool(data=False))
            await step(flag("user_speaking", False), "interrupted")
            marked = "Good to see you. Let us talk (interrupted) about your exam today."
            assert await page.evaluate(dom_text("#history li .said")) == marked
            assert await page.evaluate(dom_text("#reply")) == marked
            assert await page.evaluate(dom_text("#reply .unheard")) == "about your exam today."
            # A page opened now catches up on both.
            late = await browser.new_page()
            await late.goto(url)
            await late.wait_for(_turn_state_is("interrupted"), 20)
            await late.wait_for(dom_text("#history li .said") + f" === {marked!r}", 10)
            await step(
                lambda: progress.publish(
                    TurnProgress(turn_id=2, user_text="Stop.", stage="agents")
                ),
                "thinking",
                True,
            )
            assert await page.evaluate("window.insideoutLive.turnStates") == [
                "listening",
                "user speaking",
                "user pausing",
                "user speaking",
                "listening",
                "thinking",
                "speaking",
                "user speaking",
                "interrupted",
                "thinking",
            ]
            assert (
                await page.evaluate("document.getElementById('turn-state').className")
                == "turn-state state-thinking"
            )
            assert page.errors == [] and late.errors == [], page.errors + late.errors

    asyncio.run(run())
    assert web.running()


def _camera_frames(ros, stop: threading.Event, paused: threading.Event):
    publisher = ros.publisher(Image, "/camera/image_raw", 1)
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[100:300, 200:400] = (40, 200, 40)
    while not stop.is_set():
        if not paused.is_set():
            publisher.publish(
                Image(height=480, width=640, encoding="bgr8", step=640 * 3, data=frame.tobytes())
            )
        time.sleep(1 / 30)


STALE_CAMERA = "document.querySelector('.camera-box').classList.contains('stale')"


@pytest.mark.timeout(180)
def test_camera_panel_and_bad_messages_from_the_page(spawn_node, ros):
    web, url = start_web_view(spawn_node)
    stop, paused = threading.Event(), threading.Event()
    camera = threading.Thread(target=_camera_frames, args=(ros, stop, paused), daemon=True)
    camera.start()

    def camera_subscribers() -> int:
        return ros.node.count_subscribers("/camera/image_raw")

    async def run():
        async with Chromium() as browser:
            page = await browser.new_page()
            assert camera_subscribers() == 0  # no page: no camera subscription
            await page.goto(url)
            await page.wait_for(CONNECTED, 20)
            await page.wait_for("window.insideoutLive.framesShown >= 5", 30)
            assert await page.evaluate(
                "[document.getElementById('camera').width, "
                "document.getElementById('camera').height]"
            ) == [480, 360]
            shown = await page.evaluate("window.insideoutLive.framesShown")
            await asyncio.sleep(3.0)
            # 30 frames/s published, at most camera.max_fps = 10 sent (an upper bound only).
            assert await page.evaluate("window.insideoutLive.framesShown") - shown <= 10 * 3 + 3
            assert not await page.evaluate(STALE_CAMERA)
            # The camera stops (a bag ended): the last frame stays, dimmed and marked as old.
            paused.set()
            await page.wait_for(STALE_CAMERA, 10)
            note = await page.evaluate("document.getElementById('camera-stale').textContent")
            assert note.startswith("no new camera frame for ") and note.endswith(
                " s: the last one is shown"
            )
            assert (
                await page.evaluate("getComputedStyle(document.getElementById('camera')).opacity")
                == "0.4"
            )
            # Frames again: the mark goes.
            paused.clear()
            await page.wait_for("!" + STALE_CAMERA, 10)
            # Panel off: the node stops sending and drops the camera subscription.
            await page.evaluate("document.getElementById('camera-toggle').click()")
            assert wait_until(lambda: camera_subscribers() == 0, 10), "camera still subscribed"
            # Bad input from a page is dropped with a warning; the page stays connected.
            await page.evaluate(
                "window.insideoutLive.ws.send('not a command');"
                "window.insideoutLive.ws.send(JSON.stringify({type: 'say', text: 42}))"
            )
            assert wait_until(lambda: "ignored a live-view message" in web.output(), 10), (
                web.output()
            )
            await asyncio.sleep(0.5)
            assert await page.evaluate(CONNECTED)
            assert page.errors == []

    try:
        asyncio.run(run())
    finally:
        stop.set()
        camera.join(2)
    assert web.running()
