"""A page's WebSocket, failed so that the page can read why.

When a page breaks the protocol (a message over the size limit, a bad frame), aiohttp sends a
close frame with the reason (1009 message too big, 1002, 1007) and closes the TCP connection at
once, while the page may still be sending the rest of its message. Closing with unread input makes
the kernel reset the connection, and the page loses the close frame: it sees 1006 (abnormal).
Here the connection stays open, reading and discarding, until the page closes it or LINGER_S has
passed (a lingering close, as HTTP servers do), and only then closes.
"""

import asyncio

from aiohttp import WSCloseCode, web
from aiohttp.http_websocket import WebSocketError

# Long enough for a page to finish sending a large message over a LAN and answer the close.
LINGER_S = 2.0
_POLL_S = 0.05


class PageSocket(web.WebSocketResponse):
    @property
    def failure(self) -> WebSocketError | None:
        """Why aiohttp failed the connection for a page's message, if it did."""
        error = self.exception()
        return error if isinstance(error, WebSocketError) else None

    def describe_failure(self, max_message_bytes: int) -> str:
        error = self.failure
        if error is None:
            return f"closed a live-view page's WebSocket after an error: {self.exception()!r}"
        if error.code == WSCloseCode.MESSAGE_TOO_BIG:
            return (
                f"closed a live-view page that sent a message over {max_message_bytes} bytes "
                f"(close code {error.code})"
            )
        return (
            f"closed a live-view page that broke the WebSocket protocol (close code "
            f"{error.code}: {error})"
        )

    def _close_transport(self) -> None:
        # aiohttp (3.14) closes the connection here right after its close frame; a failed page's
        # connection is left to linger() instead.
        if self.failure is None:
            super()._close_transport()

    async def linger(self, request: web.Request) -> None:
        """After a failure: wait until the page has closed the connection, at most LINGER_S,
        then close it. Does nothing for a connection that did not fail."""
        if self.failure is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LINGER_S
        while (
            request.transport is not None
            and not request.transport.is_closing()
            and loop.time() < deadline
        ):
            await asyncio.sleep(_POLL_S)
        if request.transport is not None:
            request.transport.close()
