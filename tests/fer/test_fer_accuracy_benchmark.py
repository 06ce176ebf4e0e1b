"""benchmarks/bench_fer_accuracy.py: its metrics, its frames, and one end-to-end run on a folder."""

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from .fer_test_images import astronaut_bgr, grace_hopper_bgr

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from fer_accuracy.frames import kiosk_frame, sized_face_frame  # noqa: E402
from fer_accuracy.labelled_images import canonical_label, load_folder  # noqa: E402
from fer_accuracy.metrics import Tally  # noqa: E402


def test_balanced_accuracy_weights_classes_equally_and_a_missed_face_is_wrong():
    tally = Tally()
    for _ in range(8):
        tally.add("happiness", "happiness")
    tally.add("sadness", "sadness")
    tally.add("sadness", None)
    assert tally.accuracy() == pytest.approx(0.9)
    assert tally.recall() == {"happiness": 1.0, "sadness": 0.5}
    assert tally.balanced_accuracy() == pytest.approx(0.75)
    assert tally.face_found_rate() == pytest.approx(0.9)
    assert (
        tally.confusion()["sadness"]["no_face"] == 1
        and tally.confusion()["sadness"]["sadness"] == 1
    )
    assert set(tally.confusion()) == {"happiness", "sadness"}


def test_folder_names_map_to_canonical_labels():
    assert canonical_label("Happy") == "happiness" and canonical_label("fearful") == "fear"
    with pytest.raises(ValueError, match="no emotion label"):
        canonical_label("holiday")


def test_kiosk_frame_is_the_issues_kind():
    face = np.random.default_rng(1).integers(0, 255, (150, 150, 3), np.uint8)
    frame = kiosk_frame(face, tight_size=48)
    assert frame.shape == (480, 640, 3)
    assert (frame[:70] == 128).all() and (
        frame[:, :150] == 128
    ).all()  # grey around the 340 px square
    assert not (frame[70:410, 150:490] == 128).all(axis=2).any(axis=1).all()


def test_sized_face_frame_scales_the_face_to_the_asked_width():
    photo = np.full((400, 400, 3), 200, np.uint8)
    photo[150:250, 150:250] = 30  # a dark 100 px "face"
    frame = sized_face_frame(photo, (150, 150, 100, 100), 48)
    dark = np.argwhere(frame[:, :, 0] < 100)
    width = dark[:, 1].max() - dark[:, 1].min() + 1
    assert frame.shape == (480, 640, 3) and abs(width - 48) <= 1


def test_benchmark_runs_end_to_end_on_a_labelled_folder(tmp_path):
    for label, photo, name in (
        ("happy", astronaut_bgr(), "a.png"),
        ("neutral", grace_hopper_bgr(), "g.jpg"),
    ):
        (tmp_path / "data" / label).mkdir(parents=True)
        cv2.imwrite(str(tmp_path / "data" / label / name), photo)
    (tmp_path / "data" / "neutral" / "notes.txt").write_text("not an image")
    assert len(load_folder(tmp_path / "data")) == 2
    out = tmp_path / "results.json"
    run = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "bench_fer_accuracy.py"),
            "--no-registry-photos",
            "--data",
            str(tmp_path / "data"),
            "--models",
            "face_api_expression",
            "fer_mini_xception",
            "--detectors",
            "full_range",
            "--frames",
            "photo",
            "kiosk",
            "size64",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    results = json.loads(out.read_text())
    assert {(r["frames"], r["model"]) for r in results} == {
        (kind, model)
        for kind in ("photo", "kiosk", "size64")
        for model in ("face_api_expression", "fer_mini_xception")
    }
    face_api = {r["frames"]: r for r in results if r["model"] == "face_api_expression"}
    for kind in ("photo", "kiosk", "size64"):
        assert face_api[kind]["images"] == 2 and face_api[kind]["face_found_rate"] == 1.0
    assert face_api["photo"]["balanced_accuracy"] == 1.0
    assert face_api["photo"]["confusion"]["happiness"]["happiness"] == 1
