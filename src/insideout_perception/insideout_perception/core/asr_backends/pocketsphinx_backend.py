"""CMU PocketSphinx with the US English model shipped in the pocketsphinx wheel: a small, fast
fallback (much less accurate than Whisper in open vocabulary).

`model` may name a directory holding an acoustic model (with its own dictionary and language
model files found by pocketsphinx's defaults); empty means the bundled en-us model.
"""

from pathlib import Path

import numpy as np

from insideout_common.pcm import encode_s16le

from .base import AsrBackend, BackendOptions, ModelNotAvailable, Recognition, SpeechSpans


class PocketsphinxBackend(AsrBackend):
    name = "pocketsphinx"

    def __init__(self, options: BackendOptions):
        try:
            from pocketsphinx import Decoder
        except ImportError:
            raise ModelNotAvailable("pocketsphinx backend: `pip install pocketsphinx`") from None
        config = {"samprate": 16000, "loglevel": "FATAL"}
        if options.model.strip():
            path = Path(options.model).expanduser()
            if not path.is_dir():
                raise ModelNotAvailable(
                    f"pocketsphinx backend: acoustic model directory {options.model!r} does not "
                    "exist; leave `model` empty for the bundled en-us model"
                )
            config["hmm"] = str(path)
        try:
            self._decoder = Decoder(**config)
        except Exception as error:
            raise ModelNotAvailable(
                f"pocketsphinx backend: cannot load the model: {error}"
            ) from None
        self.model_description = config.get("hmm", "bundled en-us")
        self._language = options.language or "en"

    def transcribe(self, audio: np.ndarray, speech_spans: SpeechSpans = ()) -> Recognition:
        self._decoder.start_utt()
        self._decoder.process_raw(encode_s16le(audio), full_utt=True)
        self._decoder.end_utt()
        hypothesis = self._decoder.hyp()
        text = hypothesis.hypstr.strip() if hypothesis is not None else ""
        # Its posterior is only computed with lattice rescoring (slow); report "no confidence".
        return Recognition(text, -1.0, self._language)
