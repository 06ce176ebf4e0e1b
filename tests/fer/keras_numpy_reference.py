"""An independent numpy forward pass of a Keras HDF5 CNN, to check the ONNX conversion against.

Deliberately shares no code with keras_h5_to_onnx: it works in Keras' own NHWC layout, applies
batch normalisation unfolded, and derives TensorFlow's 'same' padding from the formula in the
TensorFlow documentation (a different expression from the converter's). Slow but simple; it is a
test oracle, never used at run time.
"""

import json
from pathlib import Path

import h5py
import numpy as np


def _tf_same_pads(size: int, kernel: int, stride: int):
    # TensorFlow docs: pad_total = max(k - s, 0) if size % s == 0 else max(k - size % s, 0)
    remainder = size % stride
    total = max(kernel - stride, 0) if remainder == 0 else max(kernel - remainder, 0)
    return total // 2, total - total // 2


def _pad(x: np.ndarray, kernel, stride, padding: str, value: float = 0.0) -> np.ndarray:
    if padding == "valid":
        return x
    top, bottom = _tf_same_pads(x.shape[1], kernel[0], stride[0])
    left, right = _tf_same_pads(x.shape[2], kernel[1], stride[1])
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def _windows(x: np.ndarray, kernel, stride) -> np.ndarray:
    """(N, H', W', kh, kw, C) view of every kernel window."""
    n, h, w, c = x.shape
    out_h = (h - kernel[0]) // stride[0] + 1
    out_w = (w - kernel[1]) // stride[1] + 1
    sn, sh, sw, sc = x.strides
    return np.lib.stride_tricks.as_strided(
        x,
        (n, out_h, out_w, kernel[0], kernel[1], c),
        (sn, sh * stride[0], sw * stride[1], sh, sw, sc),
        writeable=False,
    )


def conv2d(x, kernel, stride, padding):
    """Keras Conv2D: kernel (kh, kw, in, out)."""
    windows = _windows(_pad(x, kernel.shape[:2], stride, padding), kernel.shape[:2], stride)
    return np.einsum("nhwijc,ijco->nhwo", windows, kernel, optimize=True)


def depthwise_conv2d(x, kernel, stride, padding):
    """Keras depthwise: kernel (kh, kw, in, multiplier) -> in*multiplier channels."""
    windows = _windows(_pad(x, kernel.shape[:2], stride, padding), kernel.shape[:2], stride)
    out = np.einsum("nhwijc,ijcm->nhwcm", windows, kernel, optimize=True)
    return out.reshape(*out.shape[:3], -1)


def max_pool(x, pool, stride, padding):
    windows = _windows(_pad(x, pool, stride, padding, value=-np.inf), pool, stride)
    return windows.max(axis=(3, 4))


def _activation(x, name):
    if name == "relu":
        return np.maximum(x, 0)
    if name == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if name == "linear":
        return x
    raise ValueError(f"activation {name!r} not in the reference")


def _layer_weights(h5, layer_name) -> dict[str, np.ndarray]:
    group = h5["model_weights"][layer_name]
    result = {}
    for key in group.attrs.get("weight_names", []):
        key = key.decode() if isinstance(key, bytes) else key
        result[key.rsplit("/", 1)[-1].split(":")[0]] = np.asarray(group[key], np.float64)
    return result


def keras_forward(h5_path: Path, images_nhwc: np.ndarray) -> np.ndarray:
    """Run the model on NHWC float input (already normalised) in float64; returns the last layer."""
    with h5py.File(str(h5_path), "r") as h5:
        raw = h5.attrs["model_config"]
        layers = json.loads(raw.decode() if isinstance(raw, bytes) else raw)["config"]["layers"]
        values = {}
        for layer in layers:
            kind, config = layer["class_name"], layer["config"]
            name = config["name"]
            inputs = [values[node[0]] for nodes in layer["inbound_nodes"] for node in nodes]
            w = (
                _layer_weights(h5, name)
                if kind
                not in ("InputLayer", "Activation", "Add", "MaxPooling2D", "GlobalAveragePooling2D")
                else {}
            )
            if kind == "InputLayer":
                y = images_nhwc.astype(np.float64)
            elif kind == "Conv2D":
                y = conv2d(inputs[0], w["kernel"], config["strides"], config["padding"])
                if config.get("use_bias"):
                    y = y + w["bias"]
                y = _activation(y, config.get("activation", "linear"))
            elif kind == "SeparableConv2D":
                y = depthwise_conv2d(
                    inputs[0], w["depthwise_kernel"], config["strides"], config["padding"]
                )
                y = conv2d(y, w["pointwise_kernel"], (1, 1), "valid")
                if config.get("use_bias"):
                    y = y + w["bias"]
                y = _activation(y, config.get("activation", "linear"))
            elif kind == "BatchNormalization":
                y = (inputs[0] - w["moving_mean"]) / np.sqrt(
                    w["moving_variance"] + config["epsilon"]
                )
                y = y * w.get("gamma", 1.0) + w.get("beta", 0.0)
            elif kind == "Activation":
                y = _activation(inputs[0], config["activation"])
            elif kind == "MaxPooling2D":
                y = max_pool(
                    inputs[0],
                    config["pool_size"],
                    config["strides"] or config["pool_size"],
                    config["padding"],
                )
            elif kind == "Add":
                y = sum(inputs)
            elif kind == "GlobalAveragePooling2D":
                y = inputs[0].mean(axis=(1, 2))
            else:
                raise ValueError(f"layer type {kind} not in the reference")
            values[name] = y
        return values[layers[-1]["config"]["name"]]
