"""An independent numpy forward pass of face-api's faceExpressionNet, straight from its weights
manifest.

Written from face-api.js's description (FaceFeatureExtractor: dense blocks of depthwise-separable
convolutions, TensorFlow 'same' padding; average pool; fully connected layer; softmax), in NHWC as
TensorFlow computes it, with its own reading of the manifest, so that it shares no code with the
converter it checks (model_conversion/face_api_expression_to_onnx.py, tfjs_weights.py).
"""

import json
from pathlib import Path

import numpy as np

MEAN_RGB = np.array([122.782, 117.001, 104.298], np.float32)


def load_weights(manifest_path: Path) -> dict:
    manifest_path = Path(manifest_path)
    weights = {}
    for group in json.loads(manifest_path.read_text()):
        data = b"".join((manifest_path.parent / shard).read_bytes() for shard in group["paths"])
        offset = 0
        for spec in group["weights"]:
            count = int(np.prod(spec["shape"]))
            quantization = spec.get("quantization")
            if quantization:
                assert quantization["dtype"] == "uint8", quantization
                codes = np.frombuffer(data, np.uint8, count, offset).astype(np.float64)
                values = (codes * quantization["scale"] + quantization["min"]).astype(np.float32)
                offset += count
            else:
                values = np.frombuffer(data, "<f4", count, offset).copy()
                offset += 4 * count
            weights[spec["name"]] = values.reshape(spec["shape"])
    return weights


def _pad_same(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    size = x.shape[1]
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    before = total // 2
    return np.pad(x, ((0, 0), (before, total - before), (before, total - before), (0, 0)))


def _windows(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """(N, out, out, kernel, kernel, C) views of the padded input."""
    x = _pad_same(x, kernel, stride)
    n, h, w, c = x.shape
    out = (h - kernel) // stride + 1
    shape = (n, out, out, kernel, kernel, c)
    strides = (
        x.strides[0],
        x.strides[1] * stride,
        x.strides[2] * stride,
        x.strides[1],
        x.strides[2],
        x.strides[3],
    )
    return np.lib.stride_tricks.as_strided(x, shape, strides)


def conv2d(x, filters, bias, stride):  # filters (kh, kw, cin, cout)
    windows = _windows(x, filters.shape[0], stride)
    return np.einsum("nhwijc,ijco->nhwo", windows, filters, optimize=True) + bias


def separable_conv2d(
    x, depthwise, pointwise, bias, stride
):  # depthwise (kh, kw, c, 1), pointwise (1, 1, c, o)
    windows = _windows(x, depthwise.shape[0], stride)
    spatial = np.einsum("nhwijc,ijc->nhwc", windows, depthwise[:, :, :, 0], optimize=True)
    return spatial @ pointwise[0, 0] + bias


def relu(x):
    return np.maximum(x, 0)


def dense_block(x, w, block, first):
    def sep(name, inputs, stride):
        return separable_conv2d(
            inputs,
            w[f"{block}/{name}/depthwise_filter"],
            w[f"{block}/{name}/pointwise_filter"],
            w[f"{block}/{name}/bias"],
            stride,
        )

    if first:
        out1 = relu(conv2d(x, w[f"{block}/conv0/filters"], w[f"{block}/conv0/bias"], 2))
    else:
        out1 = relu(sep("conv0", x, 2))
    out2 = sep("conv1", out1, 1)
    out3 = sep("conv2", relu(out1 + out2), 1)
    out4 = sep("conv3", relu(out1 + out2 + out3), 1)
    return relu(out1 + out2 + out3 + out4)


def face_expression_forward(weights: dict, rgb: np.ndarray) -> np.ndarray:
    """Probabilities (N, 7) for RGB pixels 0..255, (N, 112, 112, 3), float."""
    x = ((np.asarray(rgb, np.float32) - MEAN_RGB) / 255.0).astype(np.float64)
    for index, block in enumerate(("dense0", "dense1", "dense2", "dense3")):
        x = dense_block(x, weights, block, index == 0)
    features = x.mean(axis=(1, 2))  # the 7x7 average pool over the whole 7x7 map
    logits = features @ weights["fc/weights"] + weights["fc/bias"]
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)
