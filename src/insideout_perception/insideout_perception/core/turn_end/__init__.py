"""End-of-turn detection: has the user finished their turn, or only paused to think?

One interface (base.TurnEndDetector) and one class per strategy, chosen by asr_node's
`turn_end` parameter: `silence` (a pause long enough ends the turn) and `smart_turn` (Pipecat's
Smart Turn v3 audio model reads the prosody of the last 8 s).
"""

from .base import TurnEndDetector, TurnVerdict
from .silence import SilenceTurnEnd

TURN_END_DETECTORS = ("smart_turn", "silence")


def create_turn_end_detector(name: str, model_path: str = "", threads: int = 1) -> TurnEndDetector:
    if name == "silence":
        return SilenceTurnEnd()
    if name == "smart_turn":
        from .smart_turn import SmartTurnV3  # onnxruntime only when asked for

        return SmartTurnV3(model_path or None, threads=threads)
    raise ValueError(f"unknown turn_end {name!r}; choose one of {', '.join(TURN_END_DETECTORS)}")


__all__ = [
    "TURN_END_DETECTORS",
    "TurnEndDetector",
    "TurnVerdict",
    "SilenceTurnEnd",
    "create_turn_end_detector",
]
