"""Which reliability the frame subscription asks for, given what the cameras offer.

Fast DDS hands a frame larger than the publisher's shared-memory segment (512 KB by default; a
640x480 rgb8 frame is 900 KB) over in fragments, and a best-effort reader loses most frames
whose fragments do not all arrive. A reliable reader has lost fragments sent again, so every
frame of a reliable camera arrives whole, with no change to the driver's environment. usb_cam and
v4l2_camera publish reliably by default; a best-effort camera matches only best-effort readers.

`auto` therefore asks for reliable when every camera on the topic offers it, and best effort
otherwise (no camera yet, a best-effort one, or a mix: best effort matches them all).
"""

from collections.abc import Iterable

RELIABLE = "reliable"
BEST_EFFORT = "best_effort"
AUTO = "auto"
CHOICES = (AUTO, BEST_EFFORT, RELIABLE)


def subscription_reliability(setting: str, offered: Iterable[str]) -> str:
    """The reliability to subscribe with: `setting` unless it is auto, then from the offers.

    `offered` holds one of RELIABLE / BEST_EFFORT per publisher on the topic."""
    if setting not in CHOICES:
        raise ValueError(f"reliability must be one of {CHOICES}, got {setting!r}")
    if setting != AUTO:
        return setting
    offers = list(offered)
    return RELIABLE if offers and all(o == RELIABLE for o in offers) else BEST_EFFORT
