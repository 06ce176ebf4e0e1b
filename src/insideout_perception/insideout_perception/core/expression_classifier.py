"""Run an expression model with onnxruntime: face crop in, canonical 8-label scores out.

Execution providers are chosen from a preference list (tensorrt, cuda, cpu) intersected with what
the installed onnxruntime (or onnxruntime-gpu) offers; when a GPU provider is listed but cannot
start (no driver, missing CUDA libraries), the session is rebuilt on the CPU. The providers the
session really uses are reported in `providers` for the caller to log.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from insideout_common.emotions import LABEL_INDEX, LABELS

from .circumplex import estimate_valence_arousal
from .expression_models import ExpressionModelSpec

PROVIDER_NAMES = {
    "tensorrt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "cpu": "CPUExecutionProvider",
}
CPU = PROVIDER_NAMES["cpu"]

_log = logging.getLogger(__name__)


class ModelMismatch(ValueError):
    """The ONNX file's inputs or outputs do not fit the registry entry it is loaded as."""


@dataclass(frozen=True)
class ExpressionResult:
    scores: np.ndarray  # probabilities over the canonical LABELS (0 for classes the model lacks)
    valence: float
    arousal: float
    valence_arousal_predicted: bool


def select_providers(
    requested: Sequence[str], available: Sequence[str]
) -> tuple[list[str], list[str]]:
    """(providers to ask onnxruntime for, in order; notes on requested ones that are unavailable).

    The CPU provider is always appended as the last resort.
    """
    chosen, notes = [], []
    for short in requested:
        name = PROVIDER_NAMES.get(short.lower())
        if name is None:
            raise ValueError(
                f"unknown execution provider {short!r}; choose from {', '.join(PROVIDER_NAMES)}"
            )
        if name not in available:
            notes.append(f"{short} requested but this onnxruntime has no {name}")
        elif name not in chosen:
            chosen.append(name)
    if CPU not in chosen:
        chosen.append(CPU)
    return chosen, notes


def softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - values.max())
    return shifted / shifted.sum()


class ExpressionClassifier:
    def __init__(
        self,
        spec: ExpressionModelSpec,
        model: Path | str | bytes,
        providers: Sequence[str] = ("cpu",),
        threads: int = 1,
    ):
        import onnxruntime as ort

        self.spec = spec
        available = ort.get_available_providers()
        wanted, self.provider_notes = select_providers(providers, available)
        options = ort.SessionOptions()
        # One thread by default: the robot's CPU is shared with ASR, the LLM and everything else.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        source = model if isinstance(model, bytes) else str(model)
        try:
            self._session = ort.InferenceSession(source, sess_options=options, providers=wanted)
        except Exception as error:  # a GPU provider that is installed but cannot start
            if wanted == [CPU]:
                raise
            self.provider_notes.append(f"{wanted[0]} failed to start ({error}); using the CPU")
            self._session = ort.InferenceSession(source, sess_options=options, providers=[CPU])
        self.providers = list(self._session.get_providers())
        self._input_name = self._session.get_inputs()[0].name
        self._check_shapes()
        self._mean = np.asarray(spec.mean, np.float32).reshape(1, -1, 1, 1)
        self._std = np.asarray(spec.std, np.float32).reshape(1, -1, 1, 1)
        self._canonical_index = np.array([LABEL_INDEX[label] for label in spec.classes])
        # Also classify the mirrored crop and average: a face is about symmetric, its model's
        # errors on it are not (set_flip_average).
        self.flip_average = False

    def _check_shapes(self) -> None:
        spec = self.spec
        shape = self._session.get_inputs()[0].shape
        expected = [spec.channels, spec.input_size, spec.input_size]
        fixed = [dim if isinstance(dim, int) else None for dim in shape[1:]]
        if len(shape) != 4 or any(d is not None and d != e for d, e in zip(fixed, expected)):
            raise ModelMismatch(
                f"{spec.name}: model input shape {shape} does not match the registry's "
                f"[N, {', '.join(map(str, expected))}]"
            )
        out = self._session.get_outputs()[0].shape
        if len(out) != 2 or (isinstance(out[1], int) and out[1] != spec.output_length):
            raise ModelMismatch(
                f"{spec.name}: model output shape {out} does not match the registry's "
                f"[N, {spec.output_length}]"
            )

    def preprocess(self, crop_bgr: np.ndarray) -> np.ndarray:
        """BGR uint8 crop -> normalised NCHW float32 tensor of one image."""
        spec = self.spec
        resized = cv2.resize(
            crop_bgr,
            (spec.input_size, spec.input_size),
            interpolation=cv2.INTER_AREA
            if min(crop_bgr.shape[:2]) > spec.input_size
            else cv2.INTER_LINEAR,
        )
        if spec.colour == "gray":
            pixels = cv2.cvtColor(resized, cv2.COLOR_BGR2GRAY)[:, :, None]
        elif spec.colour == "rgb":
            pixels = cv2.cvtColor(resized, cv2.COLOR_BGR2RGB)
        else:
            pixels = resized
        tensor = pixels.transpose(2, 0, 1)[None].astype(np.float32) * (1.0 / 255.0)
        return (tensor - self._mean) / self._std

    def postprocess(self, output: np.ndarray) -> ExpressionResult:
        """One row of model output -> canonical scores and valence/arousal."""
        spec = self.spec
        values = np.asarray(output, np.float64).reshape(-1)
        if values.size != spec.output_length:
            raise ModelMismatch(
                f"{spec.name}: got {values.size} outputs, expected {spec.output_length}"
            )
        # Slice to the class values: valence/arousal must never compete in the argmax.
        class_values = values[: len(spec.classes)]
        probabilities = (
            softmax(class_values) if spec.outputs_logits else np.clip(class_values, 0, None)
        )
        total = probabilities.sum()
        probabilities = (
            probabilities / total
            if total > 0
            else np.full_like(probabilities, 1 / probabilities.size)
        )
        scores = np.zeros(len(LABELS), np.float64)
        scores[self._canonical_index] = probabilities
        if spec.predicts_valence_arousal:
            valence, arousal = (float(np.clip(v, -1.0, 1.0)) for v in values[len(spec.classes) :])
        else:
            valence, arousal = estimate_valence_arousal(scores)
        return ExpressionResult(scores, valence, arousal, spec.predicts_valence_arousal)

    def classify(self, crop_bgr: np.ndarray) -> ExpressionResult:
        output = self._session.run(None, {self._input_name: self.preprocess(crop_bgr)})[0]
        result = self.postprocess(output[0])
        if not self.flip_average:
            return result
        mirrored = np.ascontiguousarray(crop_bgr[:, ::-1])
        flipped = self.postprocess(
            self._session.run(None, {self._input_name: self.preprocess(mirrored)})[0][0]
        )
        return ExpressionResult(
            (result.scores + flipped.scores) / 2.0,
            (result.valence + flipped.valence) / 2.0,
            (result.arousal + flipped.arousal) / 2.0,
            result.valence_arousal_predicted,
        )

    def classify_face(self, bgr: np.ndarray, box) -> ExpressionResult:
        """The face in `box` (a FaceBox of the frame), cropped by this model's rule, classified."""
        from .face_crop import crop_face

        return self.classify(crop_face(bgr, box, self.spec.crop))


class EnsembleClassifier:
    """Averages its members' canonical scores; each member sees the crop it was trained on.

    Classes a member lacks (contempt) count as 0 in its scores, so the mean keeps them low.
    """

    def __init__(self, spec, members: Sequence[ExpressionClassifier]):
        self.spec = spec
        self.members = list(members)
        self.providers = self.members[0].providers
        # Members share the provider list, so each note would repeat once per member.
        self.provider_notes = list(
            dict.fromkeys(note for member in self.members for note in member.provider_notes)
        )

    def classify_face(self, bgr: np.ndarray, box) -> ExpressionResult:
        scores = np.mean([member.classify_face(bgr, box).scores for member in self.members], axis=0)
        valence, arousal = estimate_valence_arousal(scores)
        return ExpressionResult(scores, valence, arousal, False)


def set_flip_average(classifier, enabled: bool) -> None:
    """Classify each face and its mirror image and average (an ensemble: each member does)."""
    for member in getattr(classifier, "members", [classifier]):
        member.flip_average = enabled


def describe_providers(classifier: ExpressionClassifier) -> str:
    return ", ".join(name.replace("ExecutionProvider", "") for name in classifier.providers)


def load_classifier(
    spec, model_path: Path | None, providers: Sequence[str], threads: int
) -> tuple[ExpressionClassifier | EnsembleClassifier, str]:
    """The classifier and the path its weights came from (or, for an ensemble, its members').

    `spec`: an ExpressionModelSpec, or an EnsembleSpec whose members are each loaded from their
    usual place (`model_path` names one file, so it cannot be given for an ensemble).
    """
    from .expression_models import (
        EMBEDDED_MODEL,
        FACE_API_MODEL,
        EnsembleSpec,
        find_model_file,
        get_model_spec,
    )

    if isinstance(spec, EnsembleSpec):
        if model_path:
            raise ValueError(
                f"model_path names one file; the {spec.name} model loads each of its members "
                f"({', '.join(spec.members)}) from the model directories"
            )
        loaded = [
            load_classifier(get_model_spec(name), None, providers, threads) for name in spec.members
        ]
        return (
            EnsembleClassifier(spec, [classifier for classifier, _ in loaded]),
            "; ".join(f"{name}: {source}" for name, (_, source) in zip(spec.members, loaded)),
        )

    path = Path(model_path) if model_path else find_model_file(spec)
    if path is not None:
        if not path.is_file():
            raise FileNotFoundError(f"model file {path} does not exist")
        return ExpressionClassifier(spec, path, providers, threads), str(path)
    set_up_steps = {
        EMBEDDED_MODEL: "scripts/setup.d/10-fer-model.sh",
        FACE_API_MODEL: "scripts/setup.d/20-face-api-model.sh",
    }
    if spec.name in set_up_steps:
        raise FileNotFoundError(
            f"no {spec.file_name} found in {', '.join(map(str, _search_dirs()))}: it is made by "
            f"the set-up ({set_up_steps[spec.name]}, run by `make setup`), or set model_path"
        )
    raise FileNotFoundError(
        f"no {spec.file_name} found in {', '.join(map(str, _search_dirs()))}: fetch it with "
        f"`python scripts/fetch_emotion_models.py {spec.name}` (needs network) or set model_path"
    )


def _search_dirs():
    from .expression_models import model_search_dirs

    return model_search_dirs()
