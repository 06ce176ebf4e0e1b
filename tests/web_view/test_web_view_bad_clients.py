"""The running web_view_node against clients that break HTTP or WebSocket limits: each is refused
with one throttled warning, the client learns why, and the node keeps serving."""

import asyncio
import socket
import time
import urllib.request

import aiohttp

from insideout_dialogue.core.live_view.web_server import MAX_PAGE_MESSAGE_BYTES
from web_view.browser_support import start_web_view

OVERSIZED = 9000  # aiohttp reads at most 8190 bytes of a request line or header


def _raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    return reply


def test_oversized_request_lines_and_headers_are_one_throttled_warning(spawn_node):
    node, url = start_web_view(spawn_node)
    port = int(url.rsplit(":", 1)[1].strip("/"))
    before = len(node.output().splitlines())
    long_header = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Fuzz: " + b"a" * OVERSIZED + b"\r\n\r\n"
    long_url = b"GET /" + b"a" * OVERSIZED + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    for _ in range(25):
        for request in (long_header, long_url):
            assert _raw_request(port, request).split(b"\r\n", 1)[0].endswith(b" 400 Bad Request")
    assert node.wait_for_output("refused a malformed HTTP request", 10), node.output()
    time.sleep(1.0)  # anything else the 50 requests would log
    new_lines = node.output().splitlines()[before:]
    assert "Traceback" not in node.output()
    # One warning per kind of problem per 5 s: the 50 requests fit in one or two.
    assert len(new_lines) <= 2, "\n".join(new_lines)
    assert all(
        "refused a malformed HTTP request (LineTooLong: Got more than 8190 bytes" in line
        for line in new_lines
    )
    assert urllib.request.urlopen(url, timeout=5).status == 200  # still serving


def test_an_oversized_websocket_message_closes_the_page_with_1009_and_a_warning(spawn_node):
    node, url = start_web_view(spawn_node)

    async def send_too_big():
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(url + "ws")
            await ws.send_str("x" * 10_000_000)
            while True:
                message = await asyncio.wait_for(ws.receive(), 10)
                if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    break
            assert message.type == aiohttp.WSMsgType.CLOSE, message
            assert message.data == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
            # receive() answered the close; had the node reset the connection, this is 1006.
            assert ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG

    asyncio.run(send_too_big())
    assert node.wait_for_output("close code 1009", 10), node.output()
    assert f"over {MAX_PAGE_MESSAGE_BYTES} bytes" in node.output()
    assert urllib.request.urlopen(url, timeout=5).status == 200  # still serving
