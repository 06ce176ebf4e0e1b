"""Voice activity detection behind one interface (`VadAnalyzer`); `create_vad` picks one by name.

asr_node's `vad` parameter names the analyzer (`silero`: Silero VAD's ONNX model on onnxruntime);
the UtteranceSegmenter takes any VadAnalyzer (`UtteranceSegmenter.with_analyzer`), so a robot's
own detector plugs in without touching the segmenter.
"""

from .base import VadAnalyzer, VadModelNotFound
from .factory import VAD_ANALYZERS, create_vad

__all__ = ["VAD_ANALYZERS", "VadAnalyzer", "VadModelNotFound", "create_vad"]
