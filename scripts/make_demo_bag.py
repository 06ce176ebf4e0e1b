#!/usr/bin/env python3
"""Generate the demo bag: a face on the camera and a spoken question on the microphone topics.

Writes a standard rosbag2 MCAP bag (the directory given, default data/demo_bag) with
- /camera/image_raw (sensor_msgs/Image, rgb8 640x480, 10 fps): real photos shipped in registry
  packages, played as a video with the face drifting a little: Grace Hopper (matplotlib's sample,
  a neutral face) first, then the astronaut Eileen Collins (scikit-image's sample, smiling);
- /audio (audio_common_msgs/AudioData), /audio_stamped (AudioDataStamped) and /audio_info
  (AudioInfo): what audio_common's audio_capture sends with format:=wave, S16LE 16 kHz mono in
  32 ms chunks, each stamped with the capture time of its last sample; the question is spoken by
  espeak-ng over a quiet noise floor, with silence before and after it so a VAD sees it end.

Everything is deterministic (fixed start time, seeded noise), so reruns produce the same bag.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import soundfile
from scipy.signal import resample_poly

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "src" / "insideout_common"))  # insideout_common before a build

from insideout_common.bags import BagWriter  # noqa: E402

QUESTION = "Hello robot. I passed my exam today. What should I do tonight to celebrate?"
# 2025-01-01 12:00:00 UTC: a fixed start keeps the bag byte-identical across runs.
BAG_START_NS = 1_735_732_800 * 1_000_000_000

WIDTH, HEIGHT, FPS = 640, 480, 10
SAMPLE_RATE, CHUNK_SAMPLES = 16000, 512
NEUTRAL_FACE_UNTIL_S = 3.0  # Grace Hopper until here, then the smiling astronaut
SPEECH_START_S = 3.5
TRAILING_SILENCE_S = 2.5  # after the question, so the ASR's VAD sees the utterance end
VOICED_LEVEL = 0.02  # of a peak at 0.5: below this, espeak-ng's output is its silence padding
NOISE_RMS = 0.002  # about -54 dBFS: a quiet room, not digital silence

CAMERA_TOPIC, CAMERA_FRAME = "/camera/image_raw", "camera_optical_frame"
AUDIO_TOPIC, AUDIO_STAMPED_TOPIC, AUDIO_INFO_TOPIC = "/audio", "/audio_stamped", "/audio_info"
MICROPHONE_FRAME = "microphone"


def face_photos():
    """(name, RGB uint8 image) of the two faces, from packages installed with the project."""
    import matplotlib.cbook
    import matplotlib.image
    import skimage.data

    hopper = matplotlib.image.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg"))
    # The astronaut photo is cropped to head and shoulders, as a kiosk camera at arm's length sees
    # a person (in the whole photo the face is too small for BlazeFace's short-range model).
    astronaut = np.ascontiguousarray(skimage.data.astronaut()[0:320, 80:400])
    return ("grace_hopper", np.ascontiguousarray(hopper[..., :3])), ("astronaut", astronaut)


def render_frame(photo: np.ndarray, t: float) -> np.ndarray:
    """The photo scaled to 3/4 of the frame height on a grey wall, drifting a few pixels."""
    height = int(HEIGHT * 0.75)
    width = int(photo.shape[1] * height / photo.shape[0])
    face = cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)
    frame = np.full((HEIGHT, WIDTH, 3), 118, np.uint8)
    # Slow sway and nod, as a person in front of a kiosk moves.
    dx = int(round(18 * np.sin(2 * np.pi * 0.23 * t)))
    dy = int(round(8 * np.sin(2 * np.pi * 0.37 * t + 1.0)))
    x = (WIDTH - width) // 2 + dx
    y = (HEIGHT - height) // 2 + dy
    frame[y : y + height, x : x + width] = face
    return frame


def spoken_question(text: str) -> np.ndarray:
    """float32 mono at SAMPLE_RATE of espeak-ng saying `text`."""
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed: run scripts/setup.sh (it installs it)")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "question.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), text], check=True)
        audio, rate = soundfile.read(wav, dtype="float32")
    if audio.ndim > 1:
        audio = audio.mean(axis=1)
    from math import gcd

    divisor = gcd(SAMPLE_RATE, rate)
    audio = resample_poly(audio, SAMPLE_RATE // divisor, rate // divisor).astype(np.float32)
    audio = 0.5 * audio / max(1e-6, float(np.abs(audio).max()))
    # espeak-ng pads its output with ~0.4 s of silence: trimmed, so the recorded speech end (the
    # demo's "end of the question") is the last voiced sample, not the padding's end.
    voiced = np.nonzero(np.abs(audio) > VOICED_LEVEL)[0]
    return audio[voiced[0] : voiced[-1] + 1] if voiced.size else audio


def microphone_track(speech: np.ndarray):
    """The whole recording (noise floor + speech) and the speech's first/last sample index."""
    start = int(SPEECH_START_S * SAMPLE_RATE)
    total = start + len(speech) + int(TRAILING_SILENCE_S * SAMPLE_RATE)
    total += (-total) % CHUNK_SAMPLES  # whole chunks only
    noise = np.random.default_rng(20250101).normal(0.0, NOISE_RMS, total).astype(np.float32)
    track = noise
    track[start : start + len(speech)] += speech
    return track, start, start + len(speech)


def to_s16le(audio: np.ndarray) -> bytes:
    return (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def stamp(writer: BagWriter, t_ns: int):
    sec, nanosec = divmod(t_ns, 1_000_000_000)
    return writer.message("builtin_interfaces/msg/Time", sec=sec, nanosec=nanosec)


def header(writer: BagWriter, t_ns: int, frame_id: str):
    return writer.message("std_msgs/msg/Header", stamp=stamp(writer, t_ns), frame_id=frame_id)


def write_bag(path: Path) -> dict:
    speech = spoken_question(QUESTION)
    track, speech_start, speech_end = microphone_track(speech)
    duration_s = len(track) / SAMPLE_RATE
    (neutral_name, neutral), (smiling_name, smiling) = face_photos()

    with BagWriter(path) as writer:
        writer.add_topic(CAMERA_TOPIC, "sensor_msgs/msg/Image")
        writer.add_topic(AUDIO_TOPIC, "audio_common_msgs/msg/AudioData")
        writer.add_topic(AUDIO_STAMPED_TOPIC, "audio_common_msgs/msg/AudioDataStamped")
        writer.add_topic(AUDIO_INFO_TOPIC, "audio_common_msgs/msg/AudioInfo", latched=True, depth=1)

        messages = []  # (t_ns, order, topic, message): written in time order
        for index in range(int(duration_s * FPS)):
            t = index / FPS
            photo = neutral if t < NEUTRAL_FACE_UNTIL_S else smiling
            t_ns = BAG_START_NS + int(round(t * 1e9))
            frame = render_frame(photo, t)
            messages.append(
                (
                    t_ns,
                    1,
                    CAMERA_TOPIC,
                    writer.message(
                        "sensor_msgs/msg/Image",
                        header=header(writer, t_ns, CAMERA_FRAME),
                        height=HEIGHT,
                        width=WIDTH,
                        encoding="rgb8",
                        is_bigendian=0,
                        step=WIDTH * 3,
                        data=frame.reshape(-1),
                    ),
                )
            )
        info = writer.message(
            "audio_common_msgs/msg/AudioInfo",
            channels=1,
            sample_rate=SAMPLE_RATE,
            sample_format="S16LE",
            bitrate=SAMPLE_RATE * 16,
            coding_format="wave",
        )
        # audio_info once a second, so playback from any offset soon tells the format.
        for second in range(int(np.ceil(duration_s))):
            messages.append((BAG_START_NS + second * 1_000_000_000, 0, AUDIO_INFO_TOPIC, info))
        for first in range(0, len(track), CHUNK_SAMPLES):
            # A capture driver hands a chunk over once its last sample is in.
            t_ns = BAG_START_NS + int(round((first + CHUNK_SAMPLES) / SAMPLE_RATE * 1e9))
            payload = np.frombuffer(to_s16le(track[first : first + CHUNK_SAMPLES]), np.uint8)
            data = writer.message("audio_common_msgs/msg/AudioData", data=payload)
            messages.append((t_ns, 2, AUDIO_TOPIC, data))
            messages.append(
                (
                    t_ns,
                    3,
                    AUDIO_STAMPED_TOPIC,
                    writer.message(
                        "audio_common_msgs/msg/AudioDataStamped",
                        header=header(writer, t_ns, MICROPHONE_FRAME),
                        audio=data,
                    ),
                )
            )
        messages.sort(key=lambda m: (m[0], m[1]))
        for t_ns, _, topic, message in messages:
            writer.write(topic, t_ns, message)

        facts = {
            "insideout.question": QUESTION,
            "insideout.speech_start_ns": str(BAG_START_NS + int(speech_start * 1e9 / SAMPLE_RATE)),
            "insideout.speech_end_ns": str(BAG_START_NS + int(speech_end * 1e9 / SAMPLE_RATE)),
            "insideout.speech_start_sample": str(speech_start),
            "insideout.speech_end_sample": str(speech_end),
            "insideout.faces": f"{neutral_name}:0.0-{NEUTRAL_FACE_UNTIL_S},"
            f"{smiling_name}:{NEUTRAL_FACE_UNTIL_S}-{duration_s:.2f}",
            "insideout.generator": "scripts/make_demo_bag.py",
        }
        for key, value in facts.items():
            writer.set_custom_data(key, value)
    return {"duration_s": duration_s, **facts}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "output",
        nargs="?",
        default=str(REPO_ROOT / "data" / "demo_bag"),
        help="bag directory to write (replaced atomically)",
    )
    args = parser.parse_args()
    output = Path(args.output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    # Write next to the target and rename, so an interrupted run never leaves half a bag.
    # (rosbags names the .mcap after the bag directory, so the staging bag keeps the final name.)
    staging = output.parent / f".{output.name}.partial" / output.name
    shutil.rmtree(staging.parent, ignore_errors=True)
    staging.parent.mkdir()
    facts = write_bag(staging)
    shutil.rmtree(output, ignore_errors=True)
    staging.rename(output)
    staging.parent.rmdir()
    print(
        f"[demo-bag] wrote {output} ({facts['duration_s']:.1f} s): {facts['insideout.question']!r}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
