"""A rosbags type store that also knows InsideOut's and audio_common's messages.

rosbags ships the standard ROS 2 message definitions; our own packages' types are registered from
the .msg files the packages install (share/<package>/msg), so the bag schemas always match the
interfaces that are actually built.
"""

import os
from collections.abc import Iterable
from pathlib import Path

from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

# Packages whose messages every InsideOut bag may carry.
DEFAULT_PACKAGES = ("audio_common_msgs", "hri_msgs", "insideout_msgs")

_STORES = {
    "humble": Stores.ROS2_HUMBLE,
    "iron": Stores.ROS2_IRON,
    "jazzy": Stores.ROS2_JAZZY,
    "kilted": Stores.ROS2_KILTED,
}
# The PyPI wheels this project builds against are ROS 2 Kilted.
DEFAULT_DISTRO = "kilted"

# Source-tree fallbacks (running from a checkout before `colcon build`).
_SRC_DIR = Path(__file__).resolve().parents[3]


class UnknownMessageType(LookupError):
    """A message type that neither rosbags nor any installed package defines."""


def package_msg_dir(package: str) -> Path | None:
    """The directory holding `package`'s .msg files, or None when it is not installed."""
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory

        try:
            directory = Path(get_package_share_directory(package)) / "msg"
            if directory.is_dir():
                return directory
        except (PackageNotFoundError, OSError):  # OSError: no AMENT_PREFIX_PATH at all
            pass
    except ImportError:  # ament_index_python missing: only the source tree can help
        pass
    directory = _SRC_DIR / package / "msg"
    return directory if directory.is_dir() else None


def package_types(package: str) -> dict[str, object]:
    """Parse every .msg of `package` into rosbags type definitions (empty when not found)."""
    directory = package_msg_dir(package)
    types: dict[str, object] = {}
    if directory is None:
        return types
    for path in sorted(directory.glob("*.msg")):
        types.update(get_types_from_msg(path.read_text(), f"{package}/msg/{path.stem}"))
    return types


def build_typestore(
    packages: Iterable[str] = DEFAULT_PACKAGES, distro: str | None = None
) -> Typestore:
    """Standard types of `distro` (default: $ROS_DISTRO, else Kilted) plus `packages`' messages."""
    distro = (distro or os.environ.get("ROS_DISTRO") or DEFAULT_DISTRO).lower()
    typestore = get_typestore(_STORES.get(distro, _STORES[DEFAULT_DISTRO]))
    extra: dict[str, object] = {}
    for package in packages:
        extra.update(package_types(package))
    # A distro's own definition wins for types rosbags already knows.
    typestore.register(
        {name: fields for name, fields in extra.items() if name not in typestore.fielddefs}
    )
    return typestore


def ensure_type(typestore: Typestore, msgtype: str) -> None:
    """Register `msgtype` from its installed package when the store does not know it yet."""
    if msgtype in typestore.fielddefs:
        return
    package = msgtype.split("/", 1)[0]
    types = package_types(package)
    if msgtype not in types:
        raise UnknownMessageType(
            f"{msgtype}: not a standard type and no installed package '{package}' defines it "
            f"(looked for share/{package}/msg/{msgtype.rsplit('/', 1)[-1]}.msg)"
        )
    typestore.register(
        {name: fields for name, fields in types.items() if name not in typestore.fielddefs}
    )


def starts_with_header(typestore: Typestore, msgtype: str) -> bool:
    """True when the message's first field is a std_msgs/Header (its stamp can be patched in
    CDR)."""
    fields = typestore.fielddefs[msgtype][1]
    return bool(fields) and fields[0][1][1] == "std_msgs/msg/Header"
