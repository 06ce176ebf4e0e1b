"""scripts/fetch_emotion_models.py: checksum-verified download (exercised with file:// URLs, as no
network is available here)."""

import dataclasses
import hashlib
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fetch_emotion_models.py"


@pytest.fixture
def fetcher(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("fetch_emotion_models", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    payload = tmp_path / "upstream.onnx"
    payload.write_bytes(b"pretend ONNX bytes " * 1000)
    digest = hashlib.sha256(payload.read_bytes()).hexdigest()
    models = dict(module.MODELS)
    models["mbf_va_mtl"] = dataclasses.replace(
        models["mbf_va_mtl"], url=payload.as_uri(), sha256=digest
    )
    monkeypatch.setattr(module, "MODELS", models)
    return module, payload


def test_download_is_verified_and_saved(fetcher, tmp_path):
    module, payload = fetcher
    dest = tmp_path / "cache"
    dest.mkdir()
    assert module.fetch("mbf_va_mtl", dest, timeout=5)
    assert (dest / "mbf_va_mtl.onnx").read_bytes() == payload.read_bytes()
    assert module.fetch("mbf_va_mtl", dest, timeout=5)  # second run: already verified, kept


def test_checksum_mismatch_removes_the_download(fetcher, tmp_path, monkeypatch):
    module, payload = fetcher
    models = dict(module.MODELS)
    models["mbf_va_mtl"] = dataclasses.replace(models["mbf_va_mtl"], sha256="0" * 64)
    monkeypatch.setattr(module, "MODELS", models)
    dest = tmp_path / "cache"
    dest.mkdir()
    assert not module.fetch("mbf_va_mtl", dest, timeout=5)
    assert list(dest.iterdir()) == []


def test_unreachable_url_fails_cleanly(fetcher, tmp_path, monkeypatch):
    module, _ = fetcher
    models = dict(module.MODELS)
    models["mbf_va_mtl"] = dataclasses.replace(
        models["mbf_va_mtl"], url=(tmp_path / "missing.onnx").as_uri()
    )
    monkeypatch.setattr(module, "MODELS", models)
    assert not module.fetch("mbf_va_mtl", tmp_path, timeout=5)
    assert not (tmp_path / "mbf_va_mtl.onnx").exists()
