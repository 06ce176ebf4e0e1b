#!/usr/bin/env python3
"""Download the HSEmotion / EmotiEffLib expression models into the model cache, checksum verified.

This is the only step that downloads a model, and it runs only when you call it (it needs
network access to github.com). Files go to ~/.cache/insideout/models/ (or --dest), where fer_node
finds them by name (parameter `model`), and each is checked against the SHA-256 pinned in
insideout_perception/core/expression_models.py; a mismatch deletes the download and fails.

    python scripts/fetch_emotion_models.py                 # every downloadable model
    python scripts/fetch_emotion_models.py enet_b0_8_va_mtl mbf_va_mtl
    python scripts/fetch_emotion_models.py --list
"""

import argparse
import hashlib
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src" / "insideout_perception"), str(ROOT / "src" / "insideout_common")]

from insideout_perception.core.expression_models import MODELS, model_cache_dir  # noqa: E402


def sha256_of(path: Path) -> str:
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def fetch(name: str, dest_dir: Path, timeout: float) -> bool:
    spec = MODELS[name]
    target = dest_dir / spec.file_name
    if target.is_file() and sha256_of(target) == spec.sha256:
        print(f"{name}: already present and verified ({target})")
        return True
    partial = target.with_suffix(".onnx.partial")
    print(f"{name}: downloading {spec.url}")
    try:
        with (
            urllib.request.urlopen(spec.url, timeout=timeout) as response,
            open(partial, "wb") as out,
        ):
            while True:
                block = response.read(1 << 20)
                if not block:
                    break
                out.write(block)
    except OSError as error:
        partial.unlink(missing_ok=True)
        print(f"{name}: download failed: {error}", file=sys.stderr)
        return False
    actual = sha256_of(partial)
    if actual != spec.sha256:
        partial.unlink(missing_ok=True)
        print(
            f"{name}: checksum mismatch (expected {spec.sha256}, got {actual}); file removed",
            file=sys.stderr,
        )
        return False
    partial.replace(target)
    print(f"{name}: saved and verified ({target})")
    return True


def main() -> int:
    downloadable = [name for name, spec in MODELS.items() if spec.downloadable]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "models",
        nargs="*",
        metavar="MODEL",
        help=f"models to fetch (default: all of {', '.join(downloadable)})",
    )
    parser.add_argument("--dest", type=Path, default=model_cache_dir(), help="target directory")
    parser.add_argument("--timeout", type=float, default=60.0, help="network timeout [s]")
    parser.add_argument("--list", action="store_true", help="list the models with URL and SHA-256")
    args = parser.parse_args()
    if args.list:
        for name in downloadable:
            spec = MODELS[name]
            print(f"{name}\n  {spec.description}\n  {spec.url}\n  sha256 {spec.sha256}")
        return 0
    unknown = [name for name in args.models if name not in downloadable]
    if unknown:
        parser.error(
            f"unknown model(s) {', '.join(unknown)}; downloadable: {', '.join(downloadable)}"
        )
    args.dest.mkdir(parents=True, exist_ok=True)
    results = [fetch(name, args.dest, args.timeout) for name in (args.models or downloadable)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
