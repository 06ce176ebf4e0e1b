"""The live view's core without ROS: commands from the page, the catch-up state, camera frames,
and the aiohttp server itself, talked to by a real aiohttp client over loopback."""

import asyncio
import json
import time
from types import SimpleNamespace

import aiohttp
import cv2
import numpy as np
import pytest
import yarl

from insideout_dialogue.core.live_view import page_events
from insideout_dialogue.core.live_view.camera_jpeg import CameraJpeg, split_frame_message
from insideout_dialogue.core.live_view.live_state import LiveState
from insideout_dialogue.core.live_view.page_commands import BadCommand, parse_command
from insideout_dialogue.core.live_view.web_server import LiveViewServer
from insideout_dialogue.core.progress_throttle import PerKeyThrottle


# --- commands ----------------------------------------------------------------------------------
def test_valid_commands_are_parsed():
    assert parse_command('{"type": "say", "text": "  hello robot "}').text == "hello robot"
    assert parse_command('{"type": "camera", "on": false}').on is False
    assert parse_command('{"type": "stop_speaking"}').kind == "stop_speaking"
    assert parse_command('{"type": "reset_memory"}').kind == "reset_memory"


@pytest.mark.parametrize(
    "raw, why",
    [
        (b"\x00\x01", "binary"),
        ("not json", "not JSON"),
        ('["say"]', "unknown command"),
        ('{"type": "launch_missiles"}', "unknown command"),
        ('{"type": "say", "text": "  "}', "non-empty"),
        ('{"type": "say", "text": 5}', "non-empty"),
        ('{"type": "say", "text": "' + "a" * 30 + '"}', "at most 20"),
        ('{"type": "camera", "on": "yes"}', "true or false"),
        ("x" * 9000, "at most 8192"),
        ("[" * 8000, "nested too deep"),
    ],
)
def test_bad_commands_are_refused_with_a_reason(raw, why):
    with pytest.raises(BadCommand, match=why):
        parse_command(raw, max_utterance_chars=20)


# --- catch-up state ------------------------------------------------------------------------------
def _emotion(t, label="happiness", face=True, track=1):
    labels = ["anger", "happiness"]
    msg = SimpleNamespace(
        face_detected=face,
        track_id=track,
        face_id="",
        labels=labels,
        scores=[0.2, 0.8],
        dominant_label=label,
        confidence=0.8,
        valence=0.5,
        arousal=0.1,
        model_name="m",
        face_roi=SimpleNamespace(x_offset=1, y_offset=2, width=3, height=4),
    )
    return page_events.emotion_event(msg, now=t)


def _progress(turn, stage, agent="", text="", t=0.0):
    return page_events.progress_event(
        SimpleNamespace(
            turn_id=turn,
            user_text="hi",
            stage=stage,
            agent=agent,
            text=text,
            agent_names=["happiness"],
            agent_weights=[1.0],
            elapsed=0.5,
        ),
        now=t,
    )


def _turn(turn, t=0.0):
    agents = [
        SimpleNamespace(
            agent="happiness",
            model="m",
            text="Yay.",
            ok=True,
            error="",
            latency=1.0,
            first_token_latency=0.2,
        )
    ]
    msg = SimpleNamespace(
        turn_id=turn,
        header=SimpleNamespace(stamp=SimpleNamespace(sec=5, nanosec=0)),
        user_text="hi",
        emotion=SimpleNamespace(dominant_label="happiness"),
        emotion_source="latest",
        agent_replies=agents,
        agent_weights=[1.0],
        aggregation_strategy="llm",
        reply="Hello!",
        reply_source="aggregator",
        success=True,
        error_message="",
        error_code=0,
        reply_spoken="",
        agents_latency=1.0,
        aggregator_first_token_latency=1.2,
        first_sentence_latency=1.5,
        latency=2.0,
    )
    return page_events.turn_event(msg, now=t)


def test_a_new_page_catches_up_on_the_last_seconds_the_running_turn_and_the_last_turns():
    state = LiveState(chart_seconds=30.0, max_turns=2)
    for t in range(0, 100, 5):
        state.record(_emotion(float(t)))
    for turn in (1, 2, 3):
        state.record(_progress(turn, "agent_partial", "happiness", "Y", t=turn))
        state.record(_turn(turn, t=turn))
    state.record(_progress(4, "agents", t=10.0))
    state.record(_progress(4, "agent_partial", "happiness", "Ya", t=11.0))
    state.record(_progress(4, "agent_partial", "happiness", "Yay", t=12.0))
    state.record(
        page_events.transcript_event(
            SimpleNamespace(utterance_id=7, text="hi", is_final=True), now=1
        )
    )
    state.record(
        page_events.transcript_event(
            SimpleNamespace(utterance_id=7, text="h", is_final=False), now=0
        )
    )
    events = state.replay()
    history = events[0]
    assert history["type"] == "emotion_history"
    assert [p["t"] for p in history["points"]] == [65.0, 70.0, 75.0, 80.0, 85.0, 90.0, 95.0]
    assert [e["turn"] for e in events if e["type"] == "turn"] == [2, 3]
    progress = [e for e in events if e["type"] == "progress"]
    assert [(e["stage"], e["text"]) for e in progress] == [("agents", ""), ("agent_partial", "Yay")]
    transcripts = [e for e in events if e["type"] == "transcript"]
    assert [t["text"] for t in transcripts] == ["hi"]  # the partial is older than the final
    assert events[-1]["type"] == "emotion" and events[-1]["t"] == 95.0


def test_events_are_valid_json_even_when_a_publisher_sends_nan():
    event = _emotion(1.0)
    nan = float("nan")
    msg = SimpleNamespace(
        face_detected=True,
        track_id=1,
        face_id="",
        labels=["a"],
        scores=[nan],
        dominant_label="a",
        confidence=nan,
        valence=float("inf"),
        arousal=0.0,
        model_name="m",
        face_roi=SimpleNamespace(x_offset=0, y_offset=0, width=0, height=0),
    )
    event = page_events.emotion_event(msg, now=1.0)
    json.dumps(event, allow_nan=False)  # the browser's JSON.parse accepts it
    assert event["scores"] == [0.0] and event["valence"] == 0.0


def test_throttle_passes_one_update_per_interval_per_key():
    now = [0.0]
    throttle = PerKeyThrottle(0.1, clock=lambda: now[0])
    passed = []
    for step in range(100):  # 1 s of updates at 100/s for two keys
        now[0] = step * 0.01
        passed += [key for key in ("a", "b") if throttle.due(key)]
    assert passed.count("a") == passed.count("b") == 10


# --- camera frames -------------------------------------------------------------------------------
def test_camera_frames_are_limited_downscaled_and_decodable():
    now = [0.0]
    camera = CameraJpeg(max_fps=10.0, max_width=320, quality=70, clock=lambda: now[0])
    due = 0
    for frame in range(90):  # 3 s at 30 frames/s
        now[0] = frame / 30.0
        due += camera.due()
    assert 29 <= due <= 31
    bgr = np.zeros((480, 640, 3), np.uint8)
    cv2.rectangle(bgr, (100, 100), (300, 300), (0, 0, 255), -1)
    header, jpeg = split_frame_message(camera.message(bgr))
    assert (header["w"], header["h"], header["src_w"], header["src_h"]) == (320, 240, 640, 480)
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (240, 320, 3)
    assert decoded[100, 100, 2] > 200 and decoded[100, 100, 0] < 60  # the red square, scaled


# --- the server, over loopback -------------------------------------------------------------------
class _Server:
    def __init__(self, **kwargs):
        self.commands, self.bad = [], []
        self.state = LiveState()
        self.server = LiveViewServer(
            self.state,
            self.commands.append,
            lambda message, kind="": self.bad.append(message),
            port=0,
            **kwargs,
        )

    def __enter__(self):
        self.server.start()
        return self

    def __exit__(self, *exc):
        self.server.stop()

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server.port}"


async def _until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def _next_of(ws, kind, timeout=5.0):
    while True:
        message = await asyncio.wait_for(ws.receive(), timeout)
        if message.type == aiohttp.WSMsgType.TEXT and json.loads(message.data)["type"] == kind:
            return json.loads(message.data)
        assert message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY), message


def test_serves_the_page_and_its_files_but_nothing_outside_them():
    async def run(base):
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/") as page:
                assert page.status == 200 and "live_view.js" in await page.text()
                assert "default-src 'self'" in page.headers["Content-Security-Policy"]
            for name in ("live_view.js", "live_view.css"):
                async with http.get(f"{base}/static/{name}") as asset:
                    assert asset.status == 200 and len(await asset.read()) > 1000
            for path in (
                "/static/../web_server.py",
                "/static/%2e%2e/web_server.py",
                "/static/..%2fweb_server.py",
                "/static/",
            ):
                # encoded=True: sent as written (the client would otherwise resolve the dots)
                async with http.get(yarl.URL(base + path, encoded=True)) as escape:
                    assert escape.status in (403, 404), path
                    assert "LiveViewServer" not in await escape.text()
            # DNS rebinding: another site's name resolving to this address is refused.
            async with http.get(base + "/", headers={"Host": "evil.example:8080"}) as rebound:
                assert rebound.status == 403

    with _Server() as s:
        asyncio.run(run(s.base))


def test_pages_get_the_state_then_live_events_and_bad_input_is_only_reported():
    async def run(s):
        s.server.publish(_turn(1))
        async with aiohttp.ClientSession() as http:
            one = await http.ws_connect(s.base + "/ws")
            two = await http.ws_connect(s.base + "/ws")
            hello = await _next_of(one, "hello")
            assert hello["camera_available"] is True
            assert (await _next_of(one, "turn"))["turn"] == 1  # caught up on connect
            await _next_of(two, "turn")
            await _until(lambda: s.server.pages == 2)
            await one.send_str("definitely not json")
            await one.send_str('{"type": "say", "text": "hello there"}')
            await _until(lambda: s.commands)
            assert s.commands[0].text == "hello there" and "not JSON" in s.bad[0]
            s.server.publish(_turn(2))
            assert (await _next_of(one, "turn"))["turn"] == 2  # still connected after bad input
            assert (await _next_of(two, "turn"))["turn"] == 2
            await one.close()
            await _until(lambda: s.server.pages == 1)
            await two.close()

    with _Server() as s:
        asyncio.run(run(s))


def test_camera_frames_go_only_to_pages_with_the_camera_panel_on():
    async def run(s):
        async with aiohttp.ClientSession() as http:
            viewer = await http.ws_connect(s.base + "/ws")
            blind = await http.ws_connect(s.base + "/ws")
            await viewer.send_str('{"type": "camera", "on": true}')
            await _until(lambda: s.server.camera_pages == 1)
            s.server.publish_frame(b"frame-1")
            s.server.publish(_turn(9))
            got = []
            while not any(isinstance(g, bytes) for g in got):
                message = await asyncio.wait_for(viewer.receive(), 5)
                got.append(message.data)
            assert b"frame-1" in got
            while True:  # the other page gets the turn and never the frame
                message = await asyncio.wait_for(blind.receive(), 5)
                assert message.type == aiohttp.WSMsgType.TEXT
                if json.loads(message.data).get("turn") == 9:
                    break
            await viewer.close()
            await blind.close()

    with _Server() as s:
        asyncio.run(run(s))


def test_no_camera_panel_when_the_node_disables_it():
    async def run(s):
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(s.base + "/ws")
            assert (await _next_of(ws, "hello"))["camera_available"] is False
            await ws.send_str('{"type": "camera", "on": true}')
            await ws.send_str("barrier")  # handled after the camera command, in order
            await _until(lambda: s.bad)
            assert s.server.camera_pages == 0
            await ws.close()

    with _Server(camera_available=False) as s:
        asyncio.run(run(s))


def test_access_token_and_other_sites_websockets():
    async def run(s):
        # unsafe: keep cookies of an IP address (127.0.0.1), as a browser does
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            for path in ("/", "/static/live_view.js", "/ws"):
                async with http.get(s.base + path) as refused:
                    assert refused.status == 401, path
            async with http.get(s.base + "/?token=wrong") as refused:
                assert refused.status == 401
            async with http.get(s.base + "/?token=s3cret") as page:
                assert page.status == 200
            # The cookie set with the page now opens the rest, the WebSocket included.
            async with http.get(s.base + "/static/live_view.js") as asset:
                assert asset.status == 200
            ws = await http.ws_connect(s.base + "/ws")
            await _next_of(ws, "hello")
            await ws.close()
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(s.base + "/ws", headers={"Origin": "http://evil.example"})
            assert refused.value.status == 403

    with _Server(token="s3cret") as s:
        asyncio.run(run(s))
        assert any("another site" in b for b in s.bad)


def test_requests_our_handlers_cannot_read_are_refused_without_a_traceback(capfd):
    websocket = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }

    async def run(base):
        async with aiohttp.ClientSession() as http:
            for path, headers, status in [
                ("/", {"Host": "["}, 403),
                ("/", {"Host": "[::1"}, 403),
                ("/ws", {**websocket, "Origin": "http://["}, 403),
                ("/ws", {**websocket, "Sec-WebSocket-Protocol": "chat"}, 400),
            ]:
                async with http.get(base + path, headers=headers) as refused:
                    assert refused.status == status, (headers, await refused.text())

    with _Server() as s:
        asyncio.run(run(s.base))
        assert any("another site ('http://[')" in b for b in s.bad), s.bad
        assert any("asking for a subprotocol" in b for b in s.bad), s.bad
    logged = capfd.readouterr().err
    assert "Traceback" not in logged and "overlap" not in logged, logged


def test_stop_closes_open_pages_at_once():
    async def run(s):
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(s.base + "/ws")
            await _next_of(ws, "hello")
            started = time.monotonic()
            await asyncio.get_running_loop().run_in_executor(None, s.server.stop)
            assert time.monotonic() - started < 3.0
            message = await asyncio.wait_for(ws.receive(), 3)
            while message.type == aiohttp.WSMsgType.TEXT:  # the catch-up events sent before
                message = await asyncio.wait_for(ws.receive(), 3)
            assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)

    s = _Server()
    s.server.start()
    asyncio.run(run(s))


def test_a_port_in_use_is_a_clear_error():
    with _Server() as first:
        second = LiveViewServer(LiveState(), print, print, port=first.server.port)
        with pytest.raises(OSError, match="cannot serve the live view"):
            second.start()
        started = time.monotonic()
        second.stop()  # as the node's release() does after a failed configure
        assert time.monotonic() - started < 1.0
