"""Where spoken audio can go besides the ROS topics: a local player process, and WAV files."""

import shlex
import shutil
import subprocess
import time
import wave
from pathlib import Path

from .speech_audio import BYTES_PER_SAMPLE, CHANNELS


class PlayerUnavailable(RuntimeError):
    """The configured player program is not installed."""


def player_command(template: str, sample_rate: int) -> list[str]:
    """Split a play_command, filling in {sample_rate}; raises PlayerUnavailable when not
    installed."""
    try:
        command = [part.format(sample_rate=sample_rate) for part in shlex.split(template)]
    except (ValueError, KeyError, IndexError) as error:
        raise PlayerUnavailable(
            f"play_command {template!r} is not a valid command: {error}"
        ) from error
    if not command:
        raise PlayerUnavailable("play_command is empty")
    if shutil.which(command[0]) is None:
        hint = " (Debian package alsa-utils)" if command[0] == "aplay" else ""
        raise PlayerUnavailable(f"play_command program {command[0]!r} is not installed{hint}")
    return command


class PipePlayer:
    """Feeds raw S16LE mono to a player process's standard input (e.g. aplay), restarting it when it
    dies; at most one restart attempt per `retry_seconds` so a broken player does not spin."""

    def __init__(self, command: list[str], retry_seconds: float = 5.0):
        self.command = command
        self.retry_seconds = retry_seconds
        self._process: subprocess.Popen | None = None
        self._last_start = float("-inf")
        self.last_error = ""

    def _ensure_running(self) -> bool:
        if self._process is not None and self._process.poll() is None:
            return True
        if self._process is not None:
            self.last_error = f"{self.command[0]} exited with code {self._process.returncode}"
        if time.monotonic() - self._last_start < self.retry_seconds:
            return False
        self._last_start = time.monotonic()
        try:
            self._process = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError as error:
            self.last_error = f"could not start {self.command[0]}: {error}"
            self._process = None
            return False
        return True

    def write(self, pcm: bytes) -> bool:
        """Send audio to the player; False (with last_error set) when it could not take it."""
        if not self._ensure_running():
            return False
        try:
            self._process.stdin.write(pcm)
            self._process.stdin.flush()
            return True
        except (BrokenPipeError, OSError) as error:
            self.last_error = f"{self.command[0]} stopped taking audio: {error}"
            return False

    def close(self, timeout: float = 2.0) -> None:
        if self._process is None:
            return
        try:
            self._process.stdin.close()
            self._process.wait(timeout)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()
        self._process = None


class WavRecorder:
    """Writes each reply to its own WAV file in `directory`, streaming (never the whole reply in
    memory); the header's sizes are filled in when the reply ends."""

    def __init__(self, directory: str, sample_rate: int):
        self.directory = Path(directory).expanduser()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.sample_rate = sample_rate
        self._file: wave.Wave_write | None = None
        self.current_path: Path | None = None

    def start(self, reply_id: int) -> Path:
        self.finish()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.current_path = self.directory / f"tts-{stamp}-{reply_id:04d}.wav"
        self._file = wave.open(str(self.current_path), "wb")
        self._file.setnchannels(CHANNELS)
        self._file.setsampwidth(BYTES_PER_SAMPLE)
        self._file.setframerate(self.sample_rate)
        return self.current_path

    def write(self, pcm: bytes) -> None:
        if self._file is not None:
            self._file.writeframes(pcm)

    def finish(self) -> Path | None:
        if self._file is None:
            return None
        self._file.close()
        self._file = None
        return self.current_path
