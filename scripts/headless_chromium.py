"""Debian's Chromium, headless, driven over the DevTools protocol (CDP) with aiohttp.

For the live view's browser tests, `make demo`'s screenshot (out/demo_live.png) and the live-view
benchmark. No WebDriver: CDP over a WebSocket needs nothing beyond aiohttp, which the live view
already uses. Every console error, uncaught exception and failed load is collected in
`page.errors`, so a test can say "no JavaScript errors".

    async with Chromium() as browser:
        page = await browser.new_page()
        await page.goto("http://127.0.0.1:8080/")
        await page.wait_for("document.body.dataset.connected === 'yes'")
        await page.screenshot(Path("out/page.png"))
"""

import asyncio
import atexit
import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = "/usr/bin/chromium"
# Flags for a container with no network but the registries: no sandbox as root, no GPU, and none
# of Chromium's own background connections (refused here, and noisy).
FLAGS = [
    "--headless",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
    "--remote-allow-origins=*",
    "--remote-debugging-port=0",
]


class ChromiumMissing(RuntimeError):
    pass


class CdpError(RuntimeError):
    pass


def chromium_path() -> str:
    path = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if path is None:
        raise ChromiumMissing(
            "Debian's chromium is not installed (make setup installs it: apt-get install chromium)"
        )
    return path


class _Connection:
    """One CDP WebSocket: commands matched to replies by id, events to listeners."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse):
        self._ws = ws
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self.listeners: list = []
        self._reader = asyncio.ensure_future(self._read())

    async def send(self, method: str, params: dict | None = None, timeout: float = 30.0) -> dict:
        message_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._waiting[message_id] = future
        await self._ws.send_str(
            json.dumps({"id": message_id, "method": method, "params": params or {}})
        )
        try:
            reply = await asyncio.wait_for(future, timeout)
        finally:
            self._waiting.pop(message_id, None)
        if "error" in reply:
            raise CdpError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    async def _read(self) -> None:
        async for message in self._ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            if "id" in data:
                future = self._waiting.get(data["id"])
                if future is not None and not future.done():
                    future.set_result(data)
            else:
                for listener in list(self.listeners):
                    listener(data.get("method", ""), data.get("params", {}))
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(CdpError("the browser closed the DevTools connection"))

    async def close(self) -> None:
        await self._ws.close()
        self._reader.cancel()


class Page:
    def __init__(self, connection: _Connection, target_id: str):
        self._cdp = connection
        self.target_id = target_id
        self.errors: list[str] = []
        self._loaded = asyncio.Event()
        connection.listeners.append(self._on_event)

    def _on_event(self, method: str, params: dict) -> None:
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text", "")
            self.errors.append(f"uncaught exception: {text}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = " ".join(
                str(a.get("value", a.get("description", ""))) for a in params.get("args", [])
            )
            self.errors.append(f"console.{params['type']}: {args}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            text = f"{entry.get('source', 'log')}: {entry.get('text', '')} {entry.get('url', '')}"
            self.errors.append(text.strip())
        elif method == "Page.loadEventFired":
            self._loaded.set()

    async def start(self, width: int, height: int) -> None:
        for domain in ("Page", "Runtime", "Log"):
            await self._cdp.send(f"{domain}.enable")
        await self._cdp.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    async def goto(self, url: str, timeout: float = 30.0) -> None:
        self._loaded.clear()
        result = await self._cdp.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise CdpError(f"cannot load {url}: {result['errorText']}")
        await asyncio.wait_for(self._loaded.wait(), timeout)

    async def reload(self, timeout: float = 30.0) -> None:
        self._loaded.clear()
        await self._cdp.send("Page.reload")
        await asyncio.wait_for(self._loaded.wait(), timeout)

    async def evaluate(self, expression: str) -> Any:
        result = await self._cdp.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise CdpError(
                f"{expression[:80]}: {result['exceptionDetails'].get('text')} "
                f"{result['exceptionDetails'].get('exception', {}).get('description', '')}"
            )
        return result.get("result", {}).get("value")

    async def wait_for(self, expression: str, timeout: float = 30.0, interval: float = 0.1) -> Any:
        """The expression's value once it is truthy; TimeoutError with its last value otherwise."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(interval)
        raise TimeoutError(f"after {timeout} s still {value!r}: {expression}")

    async def screenshot(self, path: Path) -> Path:
        result = await self._cdp.send(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False}
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(result["data"]))
        return path

    async def close(self) -> None:
        await self._cdp.close()


class Chromium:
    """A headless Chromium with its own throw-away profile; closed (and killed if need be) on
    exit."""

    def __init__(self, width: int = 1400, height: int = 1000, start_timeout: float = 30.0):
        self.width, self.height, self.start_timeout = width, height, start_timeout
        self.process: subprocess.Popen | None = None
        self._profile = ""
        self._session: aiohttp.ClientSession | None = None
        self._browser: _Connection | None = None
        self.port = 0
        self.pages: list[Page] = []

    async def __aenter__(self) -> "Chromium":
        self._profile = tempfile.mkdtemp(prefix="insideout-chromium-")
        flags = (
            FLAGS
            + ["--no-sandbox"] * (os.geteuid() == 0)
            + [
                f"--user-data-dir={self._profile}",
                f"--window-size={self.width},{self.height}",
                "about:blank",
            ]
        )
        self.process = subprocess.Popen(
            [chromium_path()] + flags,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        # Its own session, so Ctrl-C does not reach it: if this program ends before __aexit__
        # (a thread left behind, an exception), the browser must not stay behind.
        atexit.register(self._kill)
        try:
            self.port = await self._devtools_port()
            self._session = aiohttp.ClientSession()
            async with self._session.get(f"http://127.0.0.1:{self.port}/json/version") as reply:
                version = await reply.json(content_type=None)
            self._browser = _Connection(
                await self._session.ws_connect(version["webSocketDebuggerUrl"], max_msg_size=0)
            )
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def _devtools_port(self) -> int:
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ChromiumMissing(
                    f"chromium exited at start with code {self.process.returncode}"
                )
            if port_file.exists():
                first = port_file.read_text().split("\n", 1)[0].strip()
                if first.isdigit():
                    return int(first)
            await asyncio.sleep(0.1)
        raise TimeoutError(f"chromium did not open its DevTools port in {self.start_timeout} s")

    async def new_page(self) -> Page:
        target = await self._browser.send("Target.createTarget", {"url": "about:blank"})
        ws = await self._session.ws_connect(
            f"ws://127.0.0.1:{self.port}/devtools/page/{target['targetId']}", max_msg_size=0
        )
        page = Page(_Connection(ws), target["targetId"])
        await page.start(self.width, self.height)
        self.pages.append(page)
        return page

    async def __aexit__(self, *exc) -> None:
        for page in self.pages:
            try:
                await page.close()
            except Exception:  # noqa: BLE001 - closing anyway
                pass
        if self._browser is not None:
            try:
                await self._browser.send("Browser.close", timeout=5.0)
            except Exception:  # noqa: BLE001 - killed below
                pass
            await self._browser.close()
        if self._session is not None:
            await self._session.close()
        if self.process is not None:
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self._kill()
        atexit.unregister(self._kill)

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 9)
            except ProcessLookupError:
                pass
            self.process.wait(5)
        shutil.rmtree(self._profile, ignore_errors=True)
