"""The live view's aiohttp server log: a request aiohttp cannot parse (a request line or header
over 8190 bytes, bad syntax) is one line of bad input, not a traceback.

aiohttp logs each such request with `logger.exception`, nine lines of stderr for what is the
client's fault. Given to the server as its logger, this reports it through `on_bad_input`
(message, kind): the node's throttled, counted warning. Anything else (an exception in our own
handlers) goes to aiohttp's logger as before, traceback included.
"""

import logging
import sys
from collections.abc import Callable

from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.log import server_logger

# aiohttp's reason quotes the client's bytes (up to 100); the start says what was wrong.
MAX_REASON_CHARS = 80


class RequestErrorLog(logging.LoggerAdapter):
    def __init__(self, on_bad_input: Callable[[str, str], None]):
        super().__init__(server_logger, {})
        self._on_bad_input = on_bad_input

    def log(self, level, msg, *args, exc_info=None, **kwargs):
        error = _exception_of(exc_info)
        # Below WARNING (non-HTTP bytes as a connection's first request) aiohttp keeps quiet too.
        if level >= logging.WARNING and isinstance(error, HttpProcessingError):
            reason = " ".join(str(error.message).split())
            if len(reason) > MAX_REASON_CHARS:
                reason = reason[:MAX_REASON_CHARS] + "..."
            # The kind is the error's class: the reason varies with the client's bytes.
            self._on_bad_input(
                f"refused a malformed HTTP request ({type(error).__name__}: {reason})",
                f"malformed HTTP request: {type(error).__name__}",
            )
            return
        super().log(level, msg, *args, exc_info=exc_info, **kwargs)


def _exception_of(exc_info) -> BaseException | None:
    """The exception a logging call's exc_info names (an exception, a sys.exc_info() tuple,
    True)."""
    if isinstance(exc_info, BaseException):
        return exc_info
    if exc_info is True:
        return sys.exc_info()[1]
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        return exc_info[1]
    return None
