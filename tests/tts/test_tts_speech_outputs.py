"""Local playback through a player process, and WAV files per reply."""

import time
import wave

import pytest

from insideout_dialogue.core.speech_outputs import (
    PipePlayer,
    PlayerUnavailable,
    WavRecorder,
    player_command,
)


def test_player_command_fills_in_the_rate():
    assert player_command("cat -u {sample_rate}", 22050)[1:] == ["-u", "22050"]


def test_missing_player_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: no aplay, whatever this machine has
    with pytest.raises(PlayerUnavailable, match="alsa-utils"):
        player_command("aplay -q -t raw -f S16_LE -c 1 -r {sample_rate}", 16000)
    with pytest.raises(PlayerUnavailable, match="not installed"):
        player_command("no-such-player-program -r {sample_rate}", 16000)


def test_bad_template_is_refused():
    with pytest.raises(PlayerUnavailable):
        player_command("cat {rate}", 16000)


def test_pipe_player_receives_every_byte(tmp_path):
    target = tmp_path / "played.raw"
    player = PipePlayer(["sh", "-c", f"cat > '{target}'"])
    chunks = [bytes([n]) * 3200 for n in range(10)]
    assert all(player.write(chunk) for chunk in chunks)
    player.close()
    assert target.read_bytes() == b"".join(chunks)


def test_pipe_player_that_dies_is_reported_not_raised():
    player = PipePlayer(["true"], retry_seconds=60)
    player.write(b"\0" * 100)
    time.sleep(0.2)
    results = [player.write(b"\0" * 65536) for _ in range(3)]
    assert not all(results)
    assert player.last_error
    player.close()


def test_wav_recorder_writes_one_file_per_reply(tmp_path):
    recorder = WavRecorder(str(tmp_path / "wavs"), 16000)
    first = recorder.start(1)
    recorder.write(b"\1\0" * 16000)
    recorder.write(b"\2\0" * 8000)
    assert recorder.finish() == first
    second = recorder.start(2)
    recorder.write(b"\3\0" * 100)
    recorder.finish()
    assert first != second
    with wave.open(str(first)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()) == (
            1,
            2,
            16000,
            24000,
        )
