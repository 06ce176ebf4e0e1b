"""Small helpers shared by our converters (Keras HDF5, TF.js weights) that write ONNX graphs."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

# Opset 13 is understood by every onnxruntime release of the last years (and by TensorRT).
ONNX_OPSET = 13
# onnxruntime releases of the last years all load IR version 8.
ONNX_IR_VERSION = 8


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """TensorFlow 'same' padding: (pad_before, pad_after, output size).

    TensorFlow puts the odd extra pixel at the end, which ONNX's auto_pad does not promise, so
    the converters write these pads explicitly.
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


class GraphBuilder:
    """Collects nodes and float32 initializers; every node's output is named after the node."""

    def __init__(self):
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def constant(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(
            numpy_helper.from_array(np.ascontiguousarray(array, np.float32), name)
        )
        return name

    def node(self, op: str, inputs: Sequence[str], output: str, **attributes) -> str:
        self.nodes.append(helper.make_node(op, list(inputs), [output], name=output, **attributes))
        return output


def write_onnx(model: onnx.ModelProto, path: Path) -> None:
    """Write atomically, so an interrupted set-up never leaves a truncated model behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_bytes(model.SerializeToString())
    partial.replace(path)
