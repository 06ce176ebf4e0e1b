"""The offline models' registry entries, the ensemble, and crops from either BlazeFace range."""

import numpy as np
import pytest

from insideout_common.emotions import LABEL_INDEX, LABELS
from insideout_perception.core.expression_classifier import EnsembleClassifier, load_classifier
from insideout_perception.core.expression_models import (
    DEFAULT_MODEL,
    EMBEDDED_MODEL,
    ENSEMBLE_MODEL,
    FACE_API_MODEL,
    MODEL_NAMES,
    MODELS,
    EnsembleSpec,
    check_registry,
    get_model_spec,
)
from insideout_perception.core.face_detection import BlazeFaceDetector, FaceBox
from insideout_perception.nodes.fer_node import PARAMETERS

from .fer_test_images import astronaut_bgr, grace_hopper_bgr, in_frame


def test_face_api_entry_says_exactly_how_to_feed_and_read_the_model():
    spec = MODELS[FACE_API_MODEL]
    assert (spec.input_size, spec.colour, spec.std) == (112, "rgb", (1.0, 1.0, 1.0))
    # (x/255 - mean/255) / 1 is face-api's (x - [122.782, 117.001, 104.298]) / 255.
    np.testing.assert_allclose(np.array(spec.mean) * 255, [122.782, 117.001, 104.298], rtol=1e-12)
    # neutral, happy, sad, angry, fearful, disgusted, surprised
    assert spec.classes == (
        "neutral",
        "happiness",
        "sadness",
        "anger",
        "fear",
        "disgust",
        "surprise",
    )
    assert not spec.outputs_logits and not spec.predicts_valence_arousal and not spec.downloadable
    check_registry()


def test_face_api_is_the_default_and_every_offline_model_stays_selectable():
    assert DEFAULT_MODEL == FACE_API_MODEL
    assert next(p.default for p in PARAMETERS if p.name == "model") == FACE_API_MODEL
    assert next(p.default for p in PARAMETERS if p.name == "face_detector") == "short_range+yunet"
    assert next(p.default for p in PARAMETERS if p.name == "flip_average") is True
    assert {EMBEDDED_MODEL, FACE_API_MODEL, ENSEMBLE_MODEL} <= set(MODEL_NAMES)
    ensemble = get_model_spec(ENSEMBLE_MODEL)
    assert isinstance(ensemble, EnsembleSpec) and set(ensemble.members) == {
        FACE_API_MODEL,
        EMBEDDED_MODEL,
    }
    assert not any(MODELS[name].downloadable for name in ensemble.members)  # it ships offline


@pytest.fixture(scope="module")
def ensemble():
    classifier, source = load_classifier(get_model_spec(ENSEMBLE_MODEL), None, ["cpu"], 1)
    assert FACE_API_MODEL in source and EMBEDDED_MODEL in source
    return classifier


def test_ensemble_is_the_mean_of_its_members_each_with_its_own_crop(ensemble):
    assert isinstance(ensemble, EnsembleClassifier)
    frame = in_frame(astronaut_bgr(), photo_size=(480, 480), left=80)
    box = FaceBox(250, 50, 120, 120)
    members = [member.classify_face(frame, box).scores for member in ensemble.members]
    assert not np.allclose(members[0], members[1])
    result = ensemble.classify_face(frame, box)
    np.testing.assert_allclose(result.scores, np.mean(members, axis=0))
    assert (
        result.scores.sum() == pytest.approx(1.0) and result.scores[LABEL_INDEX["contempt"]] == 0.0
    )
    assert not result.valence_arousal_predicted


def test_model_path_cannot_name_an_ensemble(tmp_path):
    with pytest.raises(ValueError, match="model_path names one file"):
        load_classifier(get_model_spec(ENSEMBLE_MODEL), tmp_path / "x.onnx", ["cpu"], 1)


@pytest.mark.parametrize(
    "photo, label", [(astronaut_bgr, "happiness"), (grace_hopper_bgr, "neutral")]
)
def test_face_api_reads_the_real_photos_through_either_detector(photo, label):
    classifier = load_classifier(get_model_spec(FACE_API_MODEL), None, ["cpu"], 1)[0]
    frame = in_frame(photo(), photo_size=(400, 480), left=120)
    for model in ("short_range", "full_range"):
        detector = BlazeFaceDetector(model)
        try:
            box = detector.detect(frame[:, :, ::-1].copy())[0]
            scores = classifier.classify_face(frame, box).scores
        finally:
            detector.close()
        assert LABELS[int(np.argmax(scores))] == label, (model, dict(zip(LABELS, scores.round(2))))


@pytest.mark.parametrize("name", [FACE_API_MODEL, ENSEMBLE_MODEL])
def test_a_missing_face_api_model_names_the_set_up_step(name, tmp_path, monkeypatch):
    monkeypatch.delenv("INSIDEOUT_MODELS_DIR", raising=False)
    monkeypatch.setenv("INSIDEOUT_ROOT", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(FileNotFoundError, match="face_api_expression.onnx.*20-face-api-model.sh"):
        load_classifier(get_model_spec(name), None, ["cpu"], 1)
