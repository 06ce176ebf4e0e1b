"""Read a TensorFlow.js weights manifest (`*-weights_manifest.json` plus its `.bin` shards).

The manifest lists weight groups; each group's tensors lie back to back, in manifest order, in the
concatenation of the group's `paths` (shards). A tensor is stored either as its dtype
(float32/int32, little endian) or, when it has a `quantization` entry, as uint8/uint16 codes that
TF.js turns back into floats with `value = code * scale + min` (affine quantization), or as
float16. We do the same arithmetic (in float64, then float32, as TF.js computes in doubles and
stores float32), so the weights come out bit-identical to what TF.js runs.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_STORED_DTYPES = {"float32": np.dtype("<f4"), "int32": np.dtype("<i4")}
_QUANTIZED_DTYPES = {"uint8": np.dtype("u1"), "uint16": np.dtype("<u2"), "float16": np.dtype("<f2")}


class TfjsWeightsError(ValueError):
    """The manifest or its shards do not describe the weights consistently."""


@dataclass(frozen=True)
class WeightEntry:
    name: str
    shape: tuple[int, ...]
    dtype: str
    quantization_dtype: str | None = None
    scale: float | None = None
    minimum: float | None = None

    @property
    def count(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def stored_dtype(self) -> np.dtype:
        if self.quantization_dtype is not None:
            return _QUANTIZED_DTYPES[self.quantization_dtype]
        return _STORED_DTYPES[self.dtype]

    @property
    def byte_length(self) -> int:
        return self.count * self.stored_dtype.itemsize


def _entry(raw: dict) -> WeightEntry:
    name, dtype = raw["name"], raw.get("dtype", "float32")
    if dtype not in _STORED_DTYPES:
        raise TfjsWeightsError(f"{name}: dtype {dtype!r} is not supported")
    quantization = raw.get("quantization")
    if quantization is None:
        return WeightEntry(name, tuple(raw["shape"]), dtype)
    q_dtype = quantization.get("dtype")
    if q_dtype not in _QUANTIZED_DTYPES:
        raise TfjsWeightsError(f"{name}: quantization dtype {q_dtype!r} is not supported")
    if q_dtype != "float16" and ("scale" not in quantization or "min" not in quantization):
        raise TfjsWeightsError(f"{name}: {q_dtype} quantization needs 'scale' and 'min'")
    return WeightEntry(
        name,
        tuple(raw["shape"]),
        dtype,
        q_dtype,
        quantization.get("scale"),
        quantization.get("min"),
    )


def read_manifest(manifest_path: Path) -> list[tuple[list[WeightEntry], list[Path]]]:
    """The manifest's groups: (entries in storage order, shard files)."""
    manifest_path = Path(manifest_path)
    groups = json.loads(manifest_path.read_text())
    if not isinstance(groups, list):
        raise TfjsWeightsError(f"{manifest_path}: expected a list of weight groups")
    return [
        (
            [_entry(raw) for raw in group["weights"]],
            [manifest_path.parent / shard for shard in group["paths"]],
        )
        for group in groups
    ]


def dequantize(codes: np.ndarray, entry: WeightEntry) -> np.ndarray:
    """Stored values -> float32 (or int32) weights, as TF.js decodes them."""
    if entry.quantization_dtype is None:
        return codes.astype(_STORED_DTYPES[entry.dtype])
    if entry.quantization_dtype == "float16":
        if entry.dtype != "float32":
            raise TfjsWeightsError(f"{entry.name}: float16 quantization of {entry.dtype} weights")
        return codes.astype(np.float32)
    values = codes.astype(np.float64) * entry.scale + entry.minimum
    if entry.dtype == "int32":
        return np.floor(values + 0.5).astype(np.int32)  # JavaScript's Math.round
    return values.astype(np.float32)


def read_weights(manifest_path: Path) -> dict[str, np.ndarray]:
    """Every tensor of the manifest by name, dequantized, in its TF.js shape."""
    weights: dict[str, np.ndarray] = {}
    for entries, shards in read_manifest(manifest_path):
        buffer = b"".join(Path(shard).read_bytes() for shard in shards)
        expected = sum(entry.byte_length for entry in entries)
        if len(buffer) != expected:
            raise TfjsWeightsError(
                f"{', '.join(map(str, shards))}: {len(buffer)} bytes, the manifest "
                f"describes {expected}"
            )
        offset = 0
        for entry in entries:
            codes = np.frombuffer(buffer, entry.stored_dtype, entry.count, offset)
            offset += entry.byte_length
            weights[entry.name] = dequantize(codes, entry).reshape(entry.shape)
    return weights
