"""The live view's web server: the page over HTTP, events and camera frames over a WebSocket.

aiohttp in its own thread and asyncio loop, so ROS callbacks only hand it events
(`publish`, `publish_frame`, both thread-safe and non-blocking). Each page has a bounded queue
and its own sender task: a slow page gets frames dropped, and a page too far behind to catch up is
disconnected (it reconnects and replays LiveState) instead of slowing the robot down.

Safety: bound to the configured host (127.0.0.1 by default); with an access token, every request
needs it (`?token=` once, then a same-site cookie); a WebSocket from another site's page
(Origin not this host) is refused, so a web page the operator visits cannot drive the robot.
Bad input (a malformed request, a bad page message, a page breaking the WebSocket protocol) is
reported through on_bad_input(message, kind=""), one line each, and dropped.
"""

import asyncio
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, WSMsgType, web

from insideout_dialogue.core.live_view.live_state import LiveState
from insideout_dialogue.core.live_view.page_commands import (
    CAMERA,
    MAX_MESSAGE_CHARS,
    BadCommand,
    PageCommand,
    parse_command,
)
from insideout_dialogue.core.live_view.page_socket import PageSocket
from insideout_dialogue.core.live_view.request_error_log import RequestErrorLog

STATIC_DIR = Path(__file__).with_name("web")
TOKEN_COOKIE = "insideout_live_token"
# Events waiting for one page before it counts as stuck (a turn streams a few hundred).
CLIENT_QUEUE_LIMIT = 1024
# A WebSocket message from a page (UTF-8: up to 4 bytes a character); aiohttp fails a longer one.
MAX_PAGE_MESSAGE_BYTES = 4 * MAX_MESSAGE_CHARS
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'"
)


def _netloc_of(url: str) -> str:
    """The host[:port] of a URL; "" for one that is not a URL ("http://[" from a fuzzer)."""
    try:
        return urlsplit(url).netloc
    except ValueError:
        return ""


def is_loopback(host: str) -> bool:
    """localhost or a loopback address (127.0.0.0/8, ::1)."""
    try:
        return host == "localhost" or ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(eq=False)
class _Page:
    ws: PageSocket
    queue: "asyncio.Queue" = field(default_factory=lambda: asyncio.Queue(CLIENT_QUEUE_LIMIT))
    camera: bool = False  # the page's camera panel is on
    frame_queued: bool = False
    sender: asyncio.Task | None = None


class LiveViewServer:
    def __init__(
        self,
        state: LiveState,
        on_command: Callable[[PageCommand], None],
        on_bad_input: Callable[..., None],
        host: str = "127.0.0.1",
        port: int = 8080,
        token: str = "",
        camera_available: bool = True,
        max_utterance_chars: int = 1000,
        static_dir: Path = STATIC_DIR,
    ):
        self.state, self.host, self.requested_port = state, host, port
        self._on_command, self._on_bad_input = on_command, on_bad_input
        self._token = token
        self.camera_available = camera_available
        self._max_utterance_chars = max_utterance_chars
        self._static_dir = static_dir
        self._pages: set[_Page] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.pages_dropped = 0  # disconnected for falling behind
        self.frames_sent = 0

    # --- called from any thread ----------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> None:
        """Bind and serve; raises OSError when the address cannot be bound."""
        ready = threading.Event()
        failure = []

        def serve() -> None:
            loop = self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._bind())
            except Exception as error:  # noqa: BLE001 - reported to start()'s caller
                failure.append(error)
                self._loop = None  # so stop() after a failed start has nothing to stop
                loop.close()
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=serve, name="live-view-web", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise OSError(
                f"the live view did not bind {self.host}:{self.requested_port} in {timeout} s"
            )
        if failure:
            raise OSError(
                f"cannot serve the live view on {self.host}:{self.requested_port}: {failure[0]}"
            ) from failure[0]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{self.port}/"

    @property
    def pages(self) -> int:
        return len(self._pages)

    @property
    def camera_pages(self) -> int:
        return sum(1 for page in list(self._pages) if page.camera)

    def publish(self, event: dict) -> None:
        loop = self._loop
        if loop is None:
            self.state.record(event)
        else:  # recorded and sent in the loop, in order with a new page's catch-up (replay)
            loop.call_soon_threadsafe(self._record_and_fan_out, event)

    def publish_frame(self, message: bytes) -> None:
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._fan_out_frame, message)

    def stop(self, timeout: float = 5.0) -> None:
        loop, self._loop = self._loop, None
        if loop is None or self._thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout)
        except Exception:  # noqa: BLE001 - stopping anyway
            pass
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout)

    # --- in the server's loop --------------------------------------------------------------------
    async def _bind(self) -> None:
        app = web.Application(middlewares=[self._guard])
        app.router.add_get("/", self._index)
        app.router.add_get("/ws", self._websocket)
        app.router.add_static("/static/", self._static_dir, show_index=False, follow_symlinks=False)
        self._runner = web.AppRunner(
            app, shutdown_timeout=1.0, access_log=None, logger=RequestErrorLog(self._on_bad_input)
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.requested_port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        for page in list(self._pages):
            await page.ws.close(code=WSCloseCode.GOING_AWAY, message=b"live view stopping")
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _guard(self, request: web.Request, handler):
        if self._token and not self._authorised(request):
            return web.Response(
                status=401,
                text="the live view needs its access token: open the URL with ?token=<token>\n",
            )
        if not self._token and not self._host_allowed(request.host):
            # DNS rebinding: another site's name pointed at this address passes the Origin check
            # (Origin and Host are both that name); without a token only our own names may ask.
            return web.Response(status=403, text="unexpected Host header\n")
        response = await handler(request)
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response

    def _host_allowed(self, host_header: str) -> bool:
        if self.host in ("0.0.0.0", "::", ""):  # every address: the node warned, no token
            return True
        try:
            name = urlsplit("//" + host_header).hostname or ""
        except ValueError:  # "[": no name at all
            return False
        return name == self.host.strip("[]") or is_loopback(name)

    def _authorised(self, request: web.Request) -> bool:
        offered = request.query.get("token") or request.cookies.get(TOKEN_COOKIE) or ""
        return hmac.compare_digest(offered.encode(), self._token.encode())

    async def _index(self, request: web.Request) -> web.StreamResponse:
        response = web.FileResponse(self._static_dir / "index.html")
        if self._token and request.query.get("token"):
            response.set_cookie(TOKEN_COOKIE, self._token, httponly=True, samesite="Strict")
        return response

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin and _netloc_of(origin) != request.host:
            # The kinds of warnings that quote the client are fixed: one budget however it varies.
            self._on_bad_input(
                f"refused a live-view WebSocket from another site ({origin[:80]!r})",
                "cross-site WebSocket",
            )
            return web.Response(status=403, text="cross-origin WebSocket refused\n")
        if request.headers.get("Sec-WebSocket-Protocol"):
            # The page asks for none; aiohttp would log each such request, unthrottled.
            self._on_bad_input("refused a live-view WebSocket asking for a subprotocol")
            return web.Response(status=400, text="no WebSocket subprotocol is offered\n")
        # No permessage-deflate: deflating JPEG frames (in an executor thread) costs CPU for
        # nothing.
        ws = PageSocket(heartbeat=10.0, max_msg_size=MAX_PAGE_MESSAGE_BYTES, compress=False)
        await ws.prepare(request)
        page = _Page(ws)
        hello = {
            "type": "hello",
            "t": time.time(),
            "camera_available": self.camera_available,
            "max_utterance_chars": self._max_utterance_chars,
            "chart_seconds": self.state.chart_seconds,
            "history_turns": self.state.max_turns,
        }
        for event in [hello] + self.state.replay():
            page.queue.put_nowait(json.dumps(event, separators=(",", ":")))
        page.sender = asyncio.ensure_future(self._send_to(page))
        self._pages.add(page)
        try:
            async for message in ws:
                if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    self._command(page, message.data)
                elif message.type == WSMsgType.ERROR:
                    self._on_bad_input(ws.describe_failure(MAX_PAGE_MESSAGE_BYTES))
        finally:
            self._pages.discard(page)
            page.sender.cancel()
        await ws.linger(request)
        return ws

    def _command(self, page: _Page, data) -> None:
        try:
            command = parse_command(data, self._max_utterance_chars)
        except BadCommand as error:
            self._on_bad_input(f"ignored a live-view message: {error}", "bad page message")
            return
        if command.kind == CAMERA:
            page.camera = command.on and self.camera_available
            return
        try:
            self._on_command(command)
        except Exception as error:  # noqa: BLE001 - a failing control must not close the page
            self._on_bad_input(f"live-view control {command.kind} failed: {error!r}")

    async def _send_to(self, page: _Page) -> None:
        while True:
            item = await page.queue.get()
            try:
                if isinstance(item, bytes):
                    page.frame_queued = False
                    await page.ws.send_bytes(item)
                    self.frames_sent += 1
                else:
                    await page.ws.send_str(item)
            except (ConnectionError, RuntimeError):
                return  # the page went away; its handler cleans up

    def _record_and_fan_out(self, event: dict) -> None:
        self.state.record(event)
        if self._pages:
            self._fan_out(json.dumps(event, separators=(",", ":")))

    def _fan_out(self, text: str) -> None:
        for page in list(self._pages):
            try:
                page.queue.put_nowait(text)
            except asyncio.QueueFull:
                self._drop(page)

    def _fan_out_frame(self, message: bytes) -> None:
        for page in list(self._pages):
            if page.camera and not page.frame_queued:  # a page still sending a frame skips this one
                page.frame_queued = True
                try:
                    page.queue.put_nowait(message)
                except asyncio.QueueFull:
                    self._drop(page)

    def _drop(self, page: _Page) -> None:
        self._pages.discard(page)
        self.pages_dropped += 1
        self._on_bad_input(
            "a live-view page fell too far behind and was disconnected (it "
            "reconnects and catches up)"
        )
        asyncio.ensure_future(
            page.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too far behind")
        )
