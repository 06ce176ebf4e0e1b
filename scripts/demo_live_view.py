"""`make demo`'s browser: a headless Chromium watching the live view while the demo runs.

It opens the page as soon as the pipeline is up (so it sees the turn unfold as a person would),
and at the end of the turn checks what the page shows, takes out/demo_live.png and reports the
page's JavaScript errors.
"""

import asyncio
import threading
from pathlib import Path

from headless_chromium import Chromium

# What the page shows, read from its DOM.
PAGE_FACTS = """(() => ({
  transcript: document.getElementById('transcript-final').textContent,
  agents: Object.fromEntries([...document.querySelectorAll('.agent')].map(
      a => [a.dataset.agent, a.querySelector('.agent-text').textContent])),
  reply: document.getElementById('reply').textContent.trim(),
  reply_emotion: document.getElementById('reply-emotion').textContent,
  face: document.getElementById('face-label').textContent,
  labels_seen: window.insideoutLive.labelsSeen,
  streamed_updates: window.insideoutLive.streamed,
  frames_shown: window.insideoutLive.framesShown,
  turns_shown: window.insideoutLive.turnsShown.length,
}))()"""


class LiveViewWatcher:
    def __init__(self, url: str, screenshot: Path):
        self.url, self.screenshot = url, screenshot
        self.facts: dict = {}
        self.error: str | None = None
        self._opened = threading.Event()
        self._finish: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._main()), daemon=True, name="demo-browser"
        )

    def start(self, timeout: float = 60.0) -> bool:
        """Open the page; False (with `error`) when the browser could not."""
        self._thread.start()
        self._opened.wait(timeout)
        return self.error is None and self._opened.is_set()

    def finish(self, timeout: float = 60.0) -> dict:
        """Wait for the page to show the finished turn, take the screenshot, close the browser."""
        if self._loop is not None and self._finish is not None:
            self._loop.call_soon_threadsafe(self._finish.set)
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.error = self.error or f"the browser did not finish in {timeout} s"
        return self.facts

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._finish = asyncio.Event()
        try:
            async with Chromium(width=1400, height=1000) as browser:
                page = await browser.new_page()
                await page.goto(self.url)
                await page.wait_for("document.body.dataset.connected === 'yes'", 20)
                self._opened.set()
                await self._finish.wait()
                try:
                    await page.wait_for("window.insideoutLive.turnsShown.length > 0", 15)
                except TimeoutError as error:
                    self.error = f"the page never showed the turn: {error}"
                await asyncio.sleep(0.5)  # the last frame and chart redraw
                await page.screenshot(self.screenshot)
                self.facts = await page.evaluate(PAGE_FACTS)
                self.facts["javascript_errors"] = list(page.errors)
        except Exception as error:  # noqa: BLE001 - reported by the demo, which goes on
            self.error = self.error or f"{type(error).__name__}: {error}"
        finally:
            self._opened.set()
