"""Convert face-api's faceExpressionNet (TF.js weights manifest) to ONNX, without TensorFlow or
node.

The network (npm package @vladmandic/face-api, MIT; the architecture of face-api.js):
- input 112x112 RGB, normalised as (pixel - [122.782, 117.001, 104.298]) / 255 (done by the
  caller, see the registry entry `face_api_expression`);
- FaceFeatureExtractor: four dense blocks `dense0..dense3`, each of four convolutions whose outputs
  are summed densely:
      out1 = relu(conv0(x))             stride 2 (dense0: a plain 3x3 conv; the others: separable)
      out2 = conv1(out1)                separable 3x3, stride 1
      out3 = conv2(relu(out1 + out2))
      out4 = conv3(relu(out1 + out2 + out3))
      block = relu(out1 + out2 + out3 + out4)
  a separable conv being a 3x3 depthwise conv (no bias) then a 1x1 conv with bias, all with
  TensorFlow 'same' padding (the odd pixel at the end); 112 -> 56 -> 28 -> 14 -> 7, 256 channels;
- 7x7 average pool (valid, stride 2) -> 256 features -> fully connected `fc` -> softmax over
  neutral, happy, sad, angry, fearful, disgusted, surprised.

TF.js keeps kernels HWIO (depthwise HWC1); ONNX wants OIHW (depthwise C1HW).
"""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

from .onnx_graph_builder import ONNX_IR_VERSION, ONNX_OPSET, GraphBuilder, same_padding, write_onnx
from .tfjs_weights import read_weights

INPUT_NAME = "input"
OUTPUT_NAME = "scores"
INPUT_SIZE = 112
BLOCKS = ("dense0", "dense1", "dense2", "dense3")
# Output order of faceExpressionNet (face-api's FACE_EXPRESSION_LABELS).
FACE_API_CLASSES = ("neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised")
MANIFEST_NAME = "face_expression_model-weights_manifest.json"


class UnexpectedFaceApiWeights(ValueError):
    """The manifest does not hold the faceExpressionNet weights this converter knows."""


def expected_weight_names() -> tuple[str, ...]:
    names = ["dense0/conv0/filters", "dense0/conv0/bias"]
    for block in BLOCKS:
        for conv in range(4):
            if block == "dense0" and conv == 0:
                continue
            prefix = f"{block}/conv{conv}"
            names += [f"{prefix}/depthwise_filter", f"{prefix}/pointwise_filter", f"{prefix}/bias"]
    return tuple(names + ["fc/weights", "fc/bias"])


def check_weights(weights: dict[str, np.ndarray]) -> None:
    missing = [name for name in expected_weight_names() if name not in weights]
    extra = sorted(set(weights) - set(expected_weight_names()))
    if missing or extra:
        raise UnexpectedFaceApiWeights(
            f"not faceExpressionNet weights: missing {missing}, unexpected {extra}"
        )
    if weights["fc/weights"].shape != (256, len(FACE_API_CLASSES)):
        raise UnexpectedFaceApiWeights(
            f"fc/weights has shape {weights['fc/weights'].shape}, "
            f"expected (256, {len(FACE_API_CLASSES)})"
        )


class _Converter:
    def __init__(self, weights: dict[str, np.ndarray]):
        self.weights = weights
        self.graph = GraphBuilder()

    def conv(self, source: str, prefix: str, size: int, stride: int) -> tuple[str, int]:
        """dense0's first 3x3 conv (HWIO filters + bias)."""
        filters = self.weights[f"{prefix}/filters"]
        top, bottom, out = same_padding(size, filters.shape[0], stride)
        name = prefix.replace("/", "_")
        result = self.graph.node(
            "Conv",
            [
                source,
                self.graph.constant(f"{name}_filters", filters.transpose(3, 2, 0, 1)),
                self.graph.constant(f"{name}_bias", self.weights[f"{prefix}/bias"]),
            ],
            name,
            kernel_shape=list(filters.shape[:2]),
            strides=[stride, stride],
            pads=[top, top, bottom, bottom],
        )
        return result, out

    def separable(self, source: str, prefix: str, size: int, stride: int) -> tuple[str, int]:
        depthwise = self.weights[f"{prefix}/depthwise_filter"]  # (kh, kw, channels, 1)
        pointwise = self.weights[f"{prefix}/pointwise_filter"]  # (1, 1, channels, out)
        top, bottom, out = same_padding(size, depthwise.shape[0], stride)
        name = prefix.replace("/", "_")
        spatial = self.graph.node(
            "Conv",
            [source, self.graph.constant(f"{name}_depthwise", depthwise.transpose(2, 3, 0, 1))],
            f"{name}_depthwise_out",
            kernel_shape=list(depthwise.shape[:2]),
            strides=[stride, stride],
            pads=[top, top, bottom, bottom],
            group=depthwise.shape[2],
        )
        result = self.graph.node(
            "Conv",
            [
                spatial,
                self.graph.constant(f"{name}_pointwise", pointwise.transpose(3, 2, 0, 1)),
                self.graph.constant(f"{name}_bias", self.weights[f"{prefix}/bias"]),
            ],
            name,
            kernel_shape=[1, 1],
        )
        return result, out

    def dense_block(self, source: str, block: str, size: int) -> tuple[str, int]:
        graph = self.graph
        if block == "dense0":
            first, size = self.conv(source, f"{block}/conv0", size, 2)
        else:
            first, size = self.separable(source, f"{block}/conv0", size, 2)
        outputs = [graph.node("Relu", [first], f"{block}_out1")]
        for index in (1, 2, 3):
            if index == 1:
                block_input = outputs[0]
            else:
                block_input = graph.node(
                    "Relu", [self.sum(outputs, f"{block}_sum{index}")], f"{block}_in{index + 1}"
                )
            outputs.append(self.separable(block_input, f"{block}/conv{index}", size, 1)[0])
        return graph.node("Relu", [self.sum(outputs, f"{block}_sum4")], f"{block}_out"), size

    def sum(self, terms: Sequence[str], name: str) -> str:
        # TF.js adds right to left: out1 + (out2 + (out3 + out4)); the same order keeps rounding
        # alike.
        result = terms[-1]
        for index, term in enumerate(reversed(terms[:-1])):
            result = self.graph.node("Add", [term, result], f"{name}_{index}")
        return result

    def build(self) -> onnx.ModelProto:
        graph = self.graph
        features, size = INPUT_NAME, INPUT_SIZE
        for block in BLOCKS:
            features, size = self.dense_block(features, block, size)
        # avgPool([7, 7], [2, 2], 'valid') on the 7x7 map: one 256-vector per face.
        if size != 7:
            raise UnexpectedFaceApiWeights(f"feature map of {size}x{size}, expected 7x7")
        pooled = graph.node(
            "AveragePool", [features], "avg_pool", kernel_shape=[7, 7], strides=[2, 2]
        )
        flat = graph.node("Flatten", [pooled], "features", axis=1)
        logits = graph.node(
            "Gemm",
            [
                flat,
                graph.constant("fc_weights", self.weights["fc/weights"]),
                graph.constant("fc_bias", self.weights["fc/bias"]),
            ],
            "logits",
        )
        graph.node("Softmax", [logits], OUTPUT_NAME, axis=-1)
        onnx_graph = helper.make_graph(
            graph.nodes,
            "face_api_face_expression_net",
            [
                helper.make_tensor_value_info(
                    INPUT_NAME, TensorProto.FLOAT, ["batch", 3, INPUT_SIZE, INPUT_SIZE]
                )
            ],
            [
                helper.make_tensor_value_info(
                    OUTPUT_NAME, TensorProto.FLOAT, ["batch", len(FACE_API_CLASSES)]
                )
            ],
            graph.initializers,
        )
        model = helper.make_model(
            onnx_graph,
            opset_imports=[helper.make_opsetid("", ONNX_OPSET)],
            producer_name="insideout_perception.face_api_expression_to_onnx",
        )
        model.ir_version = ONNX_IR_VERSION
        model.doc_string = "faceExpressionNet of @vladmandic/face-api (MIT); classes: " + ", ".join(
            FACE_API_CLASSES
        )
        onnx.checker.check_model(model)
        return model


def convert_face_expression_weights(weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    check_weights(weights)
    return _Converter(weights).build()


def convert_face_api_expression_to_onnx(manifest_path: Path) -> onnx.ModelProto:
    """ONNX model (NCHW input 'input' [batch, 3, 112, 112], output 'scores' [batch, 7]
    probabilities)."""
    return convert_face_expression_weights(read_weights(manifest_path))


def main(argv: Sequence[str] = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "manifest", type=Path, help=f"face-api's model/{MANIFEST_NAME} (its .bin beside it)"
    )
    parser.add_argument("onnx", type=Path, help="ONNX file to write")
    args = parser.parse_args(argv)
    write_onnx(convert_face_api_expression_to_onnx(args.manifest), args.onnx)
    print(f"wrote {args.onnx}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
