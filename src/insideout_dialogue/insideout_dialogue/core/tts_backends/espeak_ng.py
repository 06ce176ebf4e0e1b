"""espeak-ng, the Debian program: works everywhere, robotic voice.

One `espeak-ng --stdout` process per sentence (it starts in a few milliseconds). The text goes
in on standard input, never on the command line, so a reply can never be read as an option.
"""

import shutil
import struct
import subprocess

import numpy as np

from .base import BackendUnavailable, SynthesisError, TtsBackend

INSTALL_HINT = "install the Debian package: sudo apt-get install espeak-ng (scripts/setup.sh does)"


def parse_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Decode a 16-bit PCM WAV (as espeak-ng streams it) to mono float32 and its sample rate.

    espeak-ng writing to a pipe cannot seek back to fill in the chunk sizes, so the RIFF and data
    sizes may be wrong (0 or 0xFFFFFFFF): the data chunk is taken to run to the end of the bytes.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SynthesisError("espeak-ng did not write a WAV stream")
    position = 12
    rate = channels = bits = None
    while position + 8 <= len(data):
        chunk_id, size = (
            data[position : position + 4],
            struct.unpack("<I", data[position + 4 : position + 8])[0],
        )
        body = position + 8
        if chunk_id == b"fmt ":
            fmt_tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[body : body + 16])
            if fmt_tag != 1 or bits != 16:
                raise SynthesisError(
                    f"espeak-ng wrote WAV format {fmt_tag} with {bits}-bit samples; "
                    "expected 16-bit PCM"
                )
        elif chunk_id == b"data":
            if rate is None:
                raise SynthesisError("espeak-ng WAV has no fmt chunk before its data")
            end = body + size if 0 < size <= len(data) - body else len(data)
            payload = data[body:end]
            payload = payload[: len(payload) - len(payload) % (2 * channels)]
            samples = np.frombuffer(payload, dtype="<i2").astype(np.float32) / 32768.0
            if channels > 1:
                samples = samples.reshape(-1, channels).mean(axis=1)
            return samples.astype(np.float32), int(rate)
        position = body + size + (size & 1)
    raise SynthesisError("espeak-ng WAV has no data chunk")


def known_voices(executable: str) -> set[str]:
    """Every name espeak-ng accepts for a voice (language, name, file; lower case). It falls back to
    its default voice without a word on an unknown one, so the name is checked against this list."""
    try:
        listing = subprocess.run(
            [executable, "--voices"], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return set()
    names: set[str] = set()
    for line in listing.stdout.decode("utf-8", "replace").splitlines()[1:]:
        columns = line.split()
        if len(columns) >= 5:
            language, name, file = columns[1], columns[3], columns[4]
            names.update(
                {language.lower(), name.lower(), file.lower(), file.rsplit("/", 1)[-1].lower()}
            )
    return names


class EspeakNgBackend(TtsBackend):
    name = "espeak-ng"

    def __init__(
        self,
        voice: str = "en-us",
        words_per_minute: int = 160,
        pitch: int = 50,
        executable: str = "espeak-ng",
        timeout: float = 30.0,
    ):
        path = shutil.which(executable)
        if path is None:
            raise BackendUnavailable(
                f"TTS backend 'espeak-ng': program {executable!r} not found; {INSTALL_HINT}"
            )
        self._command = [
            path,
            "--stdout",
            "--stdin",
            "-b",
            "1",
            "-v",
            voice,
            "-s",
            str(int(words_per_minute)),
            "-p",
            str(int(pitch)),
        ]
        self._voice = voice
        self._timeout = timeout
        base_voice = voice.split("+", 1)[0].lower()  # "en-us+f3": voice plus a variant
        voices = known_voices(path)
        if voices and base_voice not in voices:
            raise BackendUnavailable(
                f"TTS backend 'espeak-ng': unknown voice {voice!r}; list the voices "
                "with `espeak-ng --voices` (a variant is added as en-us+f3)"
            )
        # Probe once: a bad voice name shows up here, at start, not on the first reply.
        probe, self.sample_rate = self._run("ok")
        if probe.size == 0:
            raise BackendUnavailable(
                f"TTS backend 'espeak-ng': voice {voice!r} produced no audio; "
                "list the voices with `espeak-ng --voices`"
            )

    def _run(self, text: str) -> tuple[np.ndarray, int]:
        try:
            result = subprocess.run(
                self._command,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=self._timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise SynthesisError(f"espeak-ng took longer than {self._timeout:.0f} s") from error
        except OSError as error:
            raise SynthesisError(f"could not run espeak-ng: {error}") from error
        if result.returncode != 0:
            message = result.stderr.decode("utf-8", "replace").strip()
            raise SynthesisError(f"espeak-ng exited with {result.returncode}: {message}")
        stderr = result.stderr.decode("utf-8", "replace").strip()
        if not result.stdout and stderr:
            raise SynthesisError(f"espeak-ng: {stderr}")
        return parse_wav(result.stdout)

    def synthesize(self, text: str) -> np.ndarray:
        samples, rate = self._run(text)
        if rate != self.sample_rate:  # espeak-ng's rate is fixed per voice; guard anyway
            raise SynthesisError(
                f"espeak-ng changed its sample rate from {self.sample_rate} to {rate}"
            )
        return samples

    def describe(self) -> str:
        return f"espeak-ng voice {self._voice} at {self.sample_rate} Hz"
