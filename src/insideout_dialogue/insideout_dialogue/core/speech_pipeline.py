"""Replies in, paced audio chunks out: one thread synthesises, one plays out at playback speed.

The synthesis thread works one sentence ahead of playback (a bounded hand-over queue of
`SEGMENTS_AHEAD` sentences), so speech starts after the first sentence and memory stays bounded
whatever the reply's length. The playback thread sends each chunk when a PlaybackClock says it is
due and reports "speaking" from the first chunk until the last one has played out and nothing else
is waiting. A listener receives everything; the ROS node is one such listener.

Barge-in: `pause()` holds the next chunk (what was sent ahead still plays), `resume()` goes on,
`interrupt()` ends the reply, drops the waiting ones and says how much of the reply was sent to the
speaker, i.e. heard.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .playback_clock import PlaybackClock
from .reply_queue import Admission, ReplyQueue, preview
from .sentence_splitter import split_sentences
from .speech_audio import OutputFormat, split_chunks, to_output_pcm
from .tts_backends import SynthesisError, TtsBackend

SEGMENTS_AHEAD = 2
_POLL_SECONDS = 0.02
# A pause nobody ends (the ASR died between its pause and its stop) ends by itself after this [s].
MAX_PAUSE_S = 3.0

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpeechChunk:
    reply_id: int
    pcm: bytes  # S16LE mono at the output rate
    play_start: float  # monotonic time the chunk's first sample is due to play
    first_of_reply: bool


class PipelineListener:
    """Callbacks from the playback thread (and `on_warning` from both threads). Override any."""

    def on_speaking(self, speaking: bool) -> None: ...

    def on_reply_start(self, reply_id: int, text: str) -> None: ...

    def on_chunk(self, chunk: SpeechChunk) -> None: ...

    def on_reply_end(self, reply_id: int, completed: bool) -> None: ...

    def on_warning(self, message: str, kind: str = "") -> None: ...


@dataclass(frozen=True)
class Interruption:
    reply: str  # the reply that was playing ("" when only waiting replies were dropped)
    heard: str  # its words sent to the speaker before the stop
    dropped: int  # waiting replies dropped


class _OnAir:
    """The reply being played, and how much of it has been sent to the speaker."""

    def __init__(self, text: str):
        self.text = text
        self.pieces_sent: list = []  # pieces sent whole
        self.piece = ""  # the piece being sent
        self.piece_fraction = 0.0  # of its audio sent

    def heard(self) -> str:
        words = self.piece.split()
        partial = words[: int(len(words) * self.piece_fraction + 1e-9)]
        return " ".join(self.pieces_sent + ([" ".join(partial)] if partial else []))


@dataclass
class PipelineStats:
    replies_spoken: int = 0
    replies_cancelled: int = 0
    sentences_spoken: int = 0
    sentences_failed: int = 0
    synthesis_seconds: float = 0.0
    audio_seconds: float = 0.0
    last_time_to_first_audio: float | None = None
    last_error: str = ""

    @property
    def real_time_factor(self) -> float | None:
        """Synthesis time over audio time (below 1 is faster than real time)."""
        return self.synthesis_seconds / self.audio_seconds if self.audio_seconds else None


@dataclass(frozen=True)
class _ReplyStart:
    generation: int
    reply_id: int
    text: str
    received_at: float


@dataclass(frozen=True)
class _Segment:
    generation: int
    reply_id: int
    pcm: bytes = field(repr=False)
    text: str = ""  # the piece of the reply it says


@dataclass(frozen=True)
class _ReplyEnd:
    generation: int
    reply_id: int


_Item = _ReplyStart | _Segment | _ReplyEnd


class SpeechPipeline:
    def __init__(
        self,
        backend: TtsBackend,
        output: OutputFormat,
        replies: ReplyQueue,
        listener: PipelineListener,
        lead_seconds: float = 0.2,
        max_sentence_chars: int = 250,
        first_piece_max_chars: int = 0,
        now: Callable[[], float] = time.monotonic,
    ):
        self.backend = backend
        self.output = output
        self.replies = replies
        self.listener = listener
        self.max_sentence_chars = max_sentence_chars
        self.first_piece_max_chars = first_piece_max_chars
        self._now = now
        self._clock = PlaybackClock(lead_seconds, now)
        self._segments: queue.Queue[_Item] = queue.Queue(maxsize=SEGMENTS_AHEAD)
        self._lock = threading.Lock()
        self._generation = 0  # bumped by cancel(): older items are dropped
        self._pending = 0  # replies accepted and not yet finished playing (or dropped)
        self._stop = threading.Event()
        self._stats = PipelineStats()
        self._speaking = False
        self._paused_at: float | None = None
        self._on_air: _OnAir | None = None
        self._threads = [
            threading.Thread(target=self._synthesis_loop, name="tts-synthesis", daemon=True),
            threading.Thread(target=self._playback_loop, name="tts-playback", daemon=True),
        ]

    # -- control ----------------------------------------------------------------------------
    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def close(self, timeout: float = 2.0) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)

    def submit(self, text: object) -> Admission:
        with self._lock:
            admission = self.replies.offer(text)
            if admission.accepted:
                self._pending += 1
        return admission

    def cancel(self) -> int:
        """Stop the reply being spoken and drop the waiting ones; returns how many were dropped."""
        with self._lock:
            self._generation += 1
            self._paused_at = None
            dropped = self.replies.clear()
            self._pending -= dropped
            self._stats.replies_cancelled += dropped
        return dropped

    def pause(self) -> None:
        """Hold the audio (the user may be interrupting): no further chunk is sent until
        resume(), interrupt() or cancel(), or MAX_PAUSE_S."""
        with self._lock:
            if self._paused_at is None:
                self._paused_at = self._now()

    def resume(self) -> None:
        with self._lock:
            self._paused_at = None

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def interrupt(self) -> Interruption | None:
        """Stop the reply being spoken and drop the waiting ones, as cancel(); returns what was
        cut off (None when nothing was playing or waiting)."""
        with self._lock:
            on_air = self._on_air
            heard = on_air.heard() if on_air is not None else ""
            self._paused_at = None
            self._on_air = None
            waiting = self._pending
        self.cancel()
        if on_air is None and not waiting:
            return None
        # Waiting: in the queue or already taken by the synthesis thread.
        dropped = waiting - (on_air is not None)
        return Interruption(on_air.text if on_air is not None else "", heard, max(dropped, 0))

    @property
    def speaking(self) -> bool:
        return self._speaking

    @property
    def pending_replies(self) -> int:
        with self._lock:
            return self._pending

    def stats(self) -> PipelineStats:
        with self._lock:
            return PipelineStats(**vars(self._stats))

    # -- synthesis thread -------------------------------------------------------------------
    def _synthesis_loop(self) -> None:
        reply_id = 0
        while not self._stop.is_set():
            reply = self.replies.take(timeout=0.1)
            if reply is None:
                continue
            reply_id += 1
            generation = self._generation
            self._put(_ReplyStart(generation, reply_id, reply.text, reply.received_at))
            for sentence in split_sentences(
                reply.text, self.max_sentence_chars, self.first_piece_max_chars
            ):
                if self._stop.is_set() or generation != self._generation:
                    break
                pcm = self._synthesize(sentence)
                if pcm:
                    self._put(_Segment(generation, reply_id, pcm, sentence))
            self._put(_ReplyEnd(generation, reply_id))

    def _synthesize(self, sentence: str) -> bytes:
        started = self._now()
        try:
            audio = self.backend.synthesize(sentence)
            pcm = to_output_pcm(audio, self.backend.sample_rate, self.output)
        except (
            Exception
        ) as error:  # SynthesisError, or a backend bug: skip this sentence, keep going
            kind = "" if isinstance(error, SynthesisError) else f"{type(error).__name__}: "
            message = (
                f"could not synthesise {preview(sentence)}: {kind}{error}; skipping that sentence"
            )
            with self._lock:
                self._stats.sentences_failed += 1
                self._stats.last_error = message
            # One budget per kind of failure: the message quotes the sentence, so it cannot be the
            # key.
            self._warn(message, f"synthesis: {type(error).__name__}")
            return b""
        elapsed = self._now() - started
        with self._lock:
            self._stats.sentences_spoken += 1
            self._stats.synthesis_seconds += elapsed
            self._stats.audio_seconds += self.output.seconds(len(pcm))
        return pcm

    def _put(self, item: _Item) -> None:
        # Blocks while playback is SEGMENTS_AHEAD sentences behind: this bounds memory.
        while not self._stop.is_set():
            try:
                self._segments.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    # -- playback thread --------------------------------------------------------------------
    def _playback_loop(self) -> None:
        received_at = {}
        while not self._stop.is_set():
            try:
                item = self._segments.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                self._maybe_stop_speaking()
                continue
            current = item.generation == self._generation
            if isinstance(item, _ReplyStart):
                if current:
                    received_at[item.reply_id] = item.received_at
                    with self._lock:
                        self._on_air = _OnAir(item.text)
                    self._call(self.listener.on_reply_start, item.reply_id, item.text)
            elif isinstance(item, _Segment):
                if current:
                    self._play(item, received_at)
            else:
                completed = current
                with self._lock:
                    self._pending -= 1
                    if current:
                        self._on_air = None
                    if completed:
                        self._stats.replies_spoken += 1
                    else:
                        self._stats.replies_cancelled += 1
                received_at.pop(item.reply_id, None)
                self._call(self.listener.on_reply_end, item.reply_id, completed)
        if self._speaking:
            self._speaking = False
            self._call(self.listener.on_speaking, False)

    def _play(self, segment: _Segment, received_at: dict) -> None:
        sent, total = 0, len(segment.pcm)
        for pcm in split_chunks(segment.pcm, self.output.chunk_bytes):
            delay = self._clock.send_delay()
            if delay > 0 and self._stop.wait(delay):
                return
            self._wait_while_paused(segment.generation)
            if segment.generation != self._generation or self._stop.is_set():
                return  # cancelled mid-sentence
            sent += len(pcm)
            with self._lock:
                if self._on_air is not None:
                    self._on_air.piece, self._on_air.piece_fraction = segment.text, sent / total
            if not self._speaking:
                self._speaking = True
                self._call(self.listener.on_speaking, True)
            play_start = self._clock.advance(self.output.seconds(len(pcm)))
            first = segment.reply_id in received_at
            if first:
                latency = self._now() - received_at.pop(segment.reply_id)
                with self._lock:
                    self._stats.last_time_to_first_audio = latency
            self._call(
                self.listener.on_chunk, SpeechChunk(segment.reply_id, pcm, play_start, first)
            )
        with self._lock:
            if self._on_air is not None and segment.generation == self._generation:
                self._on_air.pieces_sent.append(segment.text)
                self._on_air.piece, self._on_air.piece_fraction = "", 0.0

    def _wait_while_paused(self, generation: int) -> None:
        while self._paused_at is not None and generation == self._generation:
            if self._now() - self._paused_at > MAX_PAUSE_S:
                self._warn(
                    f"speech paused for {MAX_PAUSE_S:.0f} s without a resume or a stop "
                    "(is the ASR running?): going on",
                    "pause",
                )
                self.resume()
                return
            if self._stop.wait(0.005):
                return

    def _maybe_stop_speaking(self) -> None:
        if self._speaking and self.pending_replies == 0 and not self._clock.playing():
            self._paused_at = None  # nothing left to hold
            self._speaking = False
            self._call(self.listener.on_speaking, False)

    # -- listener calls ---------------------------------------------------------------------
    def _call(self, callback, *args) -> None:
        try:
            callback(*args)
        except Exception as error:  # a listener bug must not stop speech
            self._warn(
                f"TTS listener {getattr(callback, '__name__', callback)} failed: {error!r}",
                "listener",
            )

    def _warn(self, message: str, kind: str) -> None:
        try:
            self.listener.on_warning(message, kind)
        except Exception:  # the last resort when even logging through the listener fails
            _log.warning(message)
