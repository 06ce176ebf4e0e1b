"""insideout_common.pcm: decoding every supported format, partial frames, downmix, resampling."""

import numpy as np
import pytest

from insideout_common.pcm import (
    PcmDecoder,
    StreamingResampler,
    UnsupportedSampleFormat,
    encode_s16le,
    resample,
    to_mono,
)

RAMP = np.array([-1.0, -0.5, 0.0, 0.25, 0.5, 0.999], dtype=np.float32)


def _encode(values: np.ndarray, name: str) -> bytes:
    if name == "U8":
        return np.round(values * 128 + 128).clip(0, 255).astype("u1").tobytes()
    if name == "S8":
        return np.round(values * 128).clip(-128, 127).astype("i1").tobytes()
    if name == "S16LE":
        return np.round(values * 32768).clip(-32768, 32767).astype("<i2").tobytes()
    if name == "S16BE":
        return np.round(values * 32768).clip(-32768, 32767).astype(">i2").tobytes()
    if name == "S24LE":
        ints = np.round(values * 8388608).clip(-8388608, 8388607).astype("<i4")
        return b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints)
    if name in ("S32LE", "S32BE"):
        order = "<" if name.endswith("LE") else ">"
        return (
            np.round(values.astype(np.float64) * 2147483648)
            .clip(-2147483648, 2147483647)
            .astype(order + "i4")
            .tobytes()
        )
    if name == "F32LE":
        return values.astype("<f4").tobytes()
    if name == "F32BE":
        return values.astype(">f4").tobytes()
    if name == "F64LE":
        return values.astype("<f8").tobytes()
    raise AssertionError(name)


@pytest.mark.parametrize(
    "name,tolerance",
    [
        ("U8", 1 / 128),
        ("S8", 1 / 128),
        ("S16LE", 1e-4),
        ("S16BE", 1e-4),
        ("S24LE", 1e-6),
        ("S32LE", 1e-6),
        ("S32BE", 1e-6),
        ("F32LE", 0),
        ("F32BE", 0),
        ("F64LE", 1e-7),
    ],
)
def test_every_format_decodes_to_the_same_float_signal(name, tolerance):
    decoded = PcmDecoder(name, 1).decode(_encode(RAMP, name))
    assert decoded.shape == (len(RAMP), 1)
    assert decoded.dtype == np.float32
    np.testing.assert_allclose(decoded[:, 0], RAMP, atol=tolerance + 1e-7)


def test_format_names_are_case_insensitive():
    assert PcmDecoder("s16le").format.name == "S16LE"


def test_unknown_format_names_the_supported_ones():
    with pytest.raises(UnsupportedSampleFormat, match="S16LE"):
        PcmDecoder("MP3")


def test_odd_byte_counts_are_carried_to_the_next_chunk():
    data = _encode(RAMP, "S16LE") * 3
    decoder = PcmDecoder("S16LE", 1)
    pieces = []
    for start in range(0, len(data), 5):  # 5-byte chunks split samples in half
        pieces.append(decoder.decode(data[start : start + 5]))
    out = np.concatenate(pieces)[:, 0]
    np.testing.assert_allclose(out, np.tile(RAMP, 3), atol=1e-4)
    assert decoder.pending_bytes == 0


def test_incomplete_stereo_frame_waits_for_its_other_half():
    decoder = PcmDecoder("S16LE", 2)
    frame = _encode(np.array([0.5, -0.5], dtype=np.float32), "S16LE")
    assert decoder.decode(frame[:3]).shape == (0, 2)
    assert decoder.pending_bytes == 3
    out = decoder.decode(frame[3:])
    np.testing.assert_allclose(out, [[0.5, -0.5]], atol=1e-4)


def test_float_garbage_is_sanitised():
    data = np.array([np.nan, np.inf, -np.inf, 3.0], dtype="<f4").tobytes()
    out = PcmDecoder("F32LE").decode(data)[:, 0]
    np.testing.assert_array_equal(out, [0.0, 1.0, -1.0, 1.0])


def test_downmix_averages_channels():
    stereo = np.array([[1.0, 0.0], [0.5, -0.5]], dtype=np.float32)
    np.testing.assert_allclose(to_mono(stereo), [0.5, 0.0])
    np.testing.assert_allclose(to_mono(stereo[:, :1]), [1.0, 0.5])


@pytest.mark.parametrize("from_rate", [8000, 22050, 44100, 48000])
def test_resampling_keeps_a_tone_at_its_frequency(from_rate):
    t = np.arange(from_rate) / from_rate
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    out = resample(tone, from_rate, 16000)
    assert len(out) == 16000
    spectrum = np.abs(np.fft.rfft(out))
    assert abs(np.argmax(spectrum) - 440) <= 1  # 1 Hz bins over one second


@pytest.mark.parametrize("from_rate", [8000, 22050, 44100, 48000, 16000])
def test_streaming_resampler_equals_resampling_the_whole_signal(from_rate):
    rng = np.random.default_rng(from_rate)
    signal = (rng.standard_normal(from_rate * 2) * 0.3).astype(np.float32)
    expected = resample(signal, from_rate, 16000)
    resampler = StreamingResampler(from_rate, 16000)
    pieces, start = [], 0
    while start < len(signal):
        size = int(rng.integers(1, 3000))
        pieces.append(resampler.process(signal[start : start + size]))
        start += size
    pieces.append(resampler.flush())
    out = np.concatenate(pieces)
    assert len(out) == len(expected)
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_s16le_encoding_round_trips_and_clips():
    values = np.array([0.0, 0.5, -0.5, 2.0, -2.0, np.nan], dtype=np.float32)
    data = encode_s16le(values)
    assert len(data) == 12
    out = PcmDecoder("S16LE").decode(data)[:, 0]
    np.testing.assert_allclose(out, [0.0, 0.5, -0.5, 1.0, -1.0, 0.0], atol=1e-4)
