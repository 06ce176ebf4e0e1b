"""face-api's faceExpressionNet: our TF.js-manifest reader and ONNX converter against an
independent numpy forward pass of the same weights, the package pins, and the set-up step that
writes the model."""

import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from insideout_perception.model_conversion import face_api_package
from insideout_perception.model_conversion.face_api_expression_to_onnx import (
    FACE_API_CLASSES,
    UnexpectedFaceApiWeights,
    convert_face_api_expression_to_onnx,
    convert_face_expression_weights,
)
from insideout_perception.model_conversion.tfjs_weights import (
    TfjsWeightsError,
    read_manifest,
    read_weights,
)

from .face_api_numpy_reference import MEAN_RGB, face_expression_forward, load_weights
from .fer_test_images import astronaut_bgr, grace_hopper_bgr, haar_face_box

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def manifest():
    # Made by the set-up (scripts/setup.d/20-face-api-model.sh); `make test` runs it first.
    problems = face_api_package.problems(face_api_package.package_dir())
    assert not problems, f"run the set-up first: {problems}"
    return face_api_package.manifest_path()


@pytest.fixture(scope="module")
def session(manifest):
    model = convert_face_api_expression_to_onnx(manifest)
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _face_crops_rgb():
    crops = []
    for photo in (astronaut_bgr(), grace_hopper_bgr()):
        x, y, w, h = haar_face_box(photo)
        crop = cv2.resize(photo[y : y + h, x : x + w], (112, 112), interpolation=cv2.INTER_AREA)
        crops.append(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32))
    return np.stack(crops)


def _onnx_input(rgb):
    return ((rgb - MEAN_RGB) / 255.0).transpose(0, 3, 1, 2).astype(np.float32)


def test_onnx_matches_the_numpy_forward_pass(manifest, session):
    random = np.random.default_rng(11).uniform(0, 255, (4, 112, 112, 3)).astype(np.float32)
    pixels = np.concatenate([random, _face_crops_rgb()])
    reference = face_expression_forward(load_weights(manifest), pixels)
    converted = session.run(None, {"input": _onnx_input(pixels)})[0]
    assert converted.shape == (6, 7)
    assert np.abs(converted - reference).max() < 1e-4
    # Not a degenerate model: the smiling astronaut is happy, Grace Hopper is not.
    assert FACE_API_CLASSES[converted[4].argmax()] == "happy" and converted[4].max() > 0.9
    assert FACE_API_CLASSES[converted[5].argmax()] != "happy"


def test_dequantization_follows_the_manifest(manifest):
    weights = read_weights(manifest)
    ((entries, shards),) = read_manifest(manifest)
    raw = b"".join(Path(shard).read_bytes() for shard in shards)
    assert sum(entry.byte_length for entry in entries) == len(raw) == 329468
    offset = 0
    quantized = 0
    for entry in entries:
        values = weights[entry.name]
        assert values.shape == entry.shape and values.dtype == np.float32
        if entry.quantization_dtype == "uint8":
            quantized += 1
            codes = np.frombuffer(raw, np.uint8, entry.count, offset).reshape(entry.shape)
            # Every value is min + code * scale with the manifest's own numbers, and no code is
            # lost.
            np.testing.assert_allclose(
                values, entry.minimum + codes * entry.scale, rtol=0, atol=1e-6
            )
            steps = (values.astype(np.float64) - entry.minimum) / entry.scale
            assert (
                np.abs(steps - np.round(steps)).max() < 1e-3
                and steps.min() > -1e-3
                and steps.max() < 255.001
            )
        else:
            np.testing.assert_array_equal(
                values, np.frombuffer(raw, "<f4", entry.count, offset).reshape(entry.shape)
            )
        offset += entry.byte_length
    assert quantized == 32  # every kernel; the 17 biases are stored as float32


def _write_manifest(tmp_path, specs, data: bytes):
    (tmp_path / "w.bin").write_bytes(data)
    path = tmp_path / "m.json"
    path.write_text(json.dumps([{"paths": ["w.bin"], "weights": specs}]))
    return path


def test_each_stored_kind_is_decoded_as_tfjs_does(tmp_path):
    specs = [
        {
            "name": "u8",
            "shape": [3],
            "dtype": "float32",
            "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0},
        },
        {
            "name": "u16",
            "shape": [2],
            "dtype": "float32",
            "quantization": {"dtype": "uint16", "scale": 0.25, "min": 2.0},
        },
        {"name": "f16", "shape": [1], "dtype": "float32", "quantization": {"dtype": "float16"}},
        {
            "name": "i32q",
            "shape": [2],
            "dtype": "int32",
            "quantization": {"dtype": "uint8", "scale": 0.5, "min": 0.0},
        },
        {"name": "f32", "shape": [1], "dtype": "float32"},
    ]
    data = (
        bytes([0, 1, 255])
        + np.array([0, 4], "<u2").tobytes()
        + np.array([1.5], "<f2").tobytes()
        + bytes([1, 3])
        + np.array([-0.25], "<f4").tobytes()
    )
    weights = read_weights(_write_manifest(tmp_path, specs, data))
    np.testing.assert_array_equal(weights["u8"], [-1.0, -0.5, 126.5])
    np.testing.assert_array_equal(weights["u16"], [2.0, 3.0])
    np.testing.assert_array_equal(weights["f16"], [1.5])
    np.testing.assert_array_equal(
        weights["i32q"], [1, 2]
    )  # Math.round(0.5) = 1, Math.round(1.5) = 2
    np.testing.assert_array_equal(weights["f32"], [-0.25])


def test_a_bin_of_the_wrong_size_or_an_unknown_dtype_is_refused(tmp_path):
    spec = {
        "name": "w",
        "shape": [4],
        "dtype": "float32",
        "quantization": {"dtype": "uint8", "scale": 1, "min": 0},
    }
    with pytest.raises(TfjsWeightsError, match="3 bytes, the manifest describes 4"):
        read_weights(_write_manifest(tmp_path, [spec], bytes(3)))
    with pytest.raises(TfjsWeightsError, match="quantization dtype 'int4'"):
        read_weights(
            _write_manifest(tmp_path, [{**spec, "quantization": {"dtype": "int4"}}], bytes(4))
        )


def test_other_weights_are_refused_by_name(manifest):
    weights = read_weights(manifest)
    del weights["dense2/conv1/bias"]
    with pytest.raises(UnexpectedFaceApiWeights, match="dense2/conv1/bias"):
        convert_face_expression_weights(weights)


def test_graph_is_plain_onnx_with_nchw_input(manifest):
    model = convert_face_api_expression_to_onnx(manifest)
    onnx.checker.check_model(model)
    dims = [d.dim_value or d.dim_param for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 3, 112, 112]
    assert {node.op_type for node in model.graph.node} == {
        "Conv",
        "Relu",
        "Add",
        "AveragePool",
        "Flatten",
        "Gemm",
        "Softmax",
    }


def _tarball(tmp_path, manifest_bytes: bytes) -> Path:
    path = tmp_path / "face-api.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in (
            ("package/model/" + face_api_package.MANIFEST, manifest_bytes),
            ("package/model/" + face_api_package.WEIGHTS, b"x"),
            ("package/LICENSE", b"MIT"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_a_tarball_without_the_pinned_integrity_is_refused_and_nothing_is_unpacked(tmp_path):
    target = tmp_path / "unpacked"
    with pytest.raises(face_api_package.PackageCheckFailed, match="integrity"):
        face_api_package.unpack(_tarball(tmp_path, b"[]"), target)
    assert not target.exists()


def test_an_altered_unpacked_file_is_noticed(tmp_path, manifest):
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in face_api_package.FILE_SHA256:
        (copy / name).write_bytes((manifest.parent / name).read_bytes())
    assert face_api_package.problems(copy) == []
    with open(copy / face_api_package.WEIGHTS, "r+b") as stream:
        stream.seek(1000)
        stream.write(b"\x00")
    assert [
        p
        for p in face_api_package.problems(copy)
        if "SHA-256" in p and face_api_package.WEIGHTS in p
    ]


def test_setup_step_writes_the_model_and_is_idempotent(tmp_path, manifest):
    # The real set-up step in a scratch copy of the repository layout (the package is in the cache).
    scratch = tmp_path / "repo"
    (scratch / "scripts" / "setup.d").mkdir(parents=True)
    step = scratch / "scripts" / "setup.d" / "20-face-api-model.sh"
    step.write_bytes((REPO / "scripts" / "setup.d" / "20-face-api-model.sh").read_bytes())
    step.chmod(0o755)
    (scratch / "src").symlink_to(REPO / "src")
    first = subprocess.run([str(step)], capture_output=True, text=True, env=os.environ)
    assert first.returncode == 0, first.stderr
    model = scratch / "models" / "face_api_expression.onnx"
    assert model.is_file() and "converting" in first.stdout
    stamp = model.stat().st_mtime_ns
    second = subprocess.run([str(step)], capture_output=True, text=True, env=os.environ)
    assert second.returncode == 0 and second.stdout == "" and model.stat().st_mtime_ns == stamp
    onnx.checker.check_model(onnx.load(str(model)))
