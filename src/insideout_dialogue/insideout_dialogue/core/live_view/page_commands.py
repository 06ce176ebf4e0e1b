"""What the page may ask for over its WebSocket, checked before anything reaches ROS.

Anything else (not JSON, unknown type, wrong field types, an utterance too long) is a
`BadCommand`: the server ignores it and the node warns, throttled.
"""

import json
from dataclasses import dataclass

SAY, STOP_SPEAKING, RESET_MEMORY, CAMERA = "say", "stop_speaking", "reset_memory", "camera"
KINDS = (SAY, STOP_SPEAKING, RESET_MEMORY, CAMERA)
MAX_MESSAGE_CHARS = 8192


class BadCommand(ValueError):
    pass


@dataclass(frozen=True)
class PageCommand:
    kind: str
    text: str = ""  # say: the utterance
    on: bool = False  # camera: send this page camera frames


def parse_command(raw: object, max_utterance_chars: int = 1000) -> PageCommand:
    if not isinstance(raw, str):
        raise BadCommand("binary WebSocket message (commands are JSON text)")
    if len(raw) > MAX_MESSAGE_CHARS:
        raise BadCommand(f"message of {len(raw)} characters (at most {MAX_MESSAGE_CHARS})")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested too deep
        raise BadCommand("message is not JSON (or nested too deep)") from None
    if not isinstance(data, dict) or data.get("type") not in KINDS:
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise BadCommand(f"unknown command {str(kind)[:40]!r} (one of {', '.join(KINDS)})")
    kind = data["type"]
    if kind == SAY:
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BadCommand("say needs a non-empty text")
        if len(text) > max_utterance_chars:
            raise BadCommand(f"say text of {len(text)} characters (at most {max_utterance_chars})")
        return PageCommand(SAY, text=text.strip())
    if kind == CAMERA:
        if not isinstance(data.get("on"), bool):
            raise BadCommand("camera needs on: true or false")
        return PageCommand(CAMERA, on=data["on"])
    return PageCommand(kind)
