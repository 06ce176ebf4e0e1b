"""Microphone audio in, transcripts out: everything asr_node does except talking to ROS.

Audio chunks are decoded (AudioStream), segmented into utterances by the VAD
(UtteranceSegmenter), stamped in stream time (StreamClock) and handed to a worker thread that runs
the recogniser (RecognitionQueue), so no audio is dropped while it runs. The caller feeds chunks,
format changes and the robot's speaking state from one thread (asr_node: one callback group, in
arrival order); results and problems come back through a RecognitionListener, transcripts from the
worker thread.
"""

import threading
import time
from dataclasses import dataclass

import numpy as np

from insideout_perception.core.asr_backends import uncovered_speech_seconds
from insideout_perception.core.audio_stream import (
    MODEL_SAMPLE_RATE,
    AudioFormat,
    AudioFormatError,
    AudioStream,
    StreamClock,
    format_from_audio_info,
)
from insideout_perception.core.barge_in import (
    STOP,
    BargeInDetector,
    BargeInEvent,
    BargeInSettings,
    asks_for_the_floor,
)
from insideout_perception.core.echo_cancellation import EchoCanceller, NoEchoCanceller
from insideout_perception.core.recognition_queue import RecognitionJob, RecognitionQueue
from insideout_perception.core.speaker_mute import SpeakerMute
from insideout_perception.core.turn_end.base import TurnVerdict
from insideout_perception.core.turn_end.text_cue import sounds_finished
from insideout_perception.core.utterance_continuation import (
    FinishedUtterance,
    UtteranceContinuation,
    joined,
)
from insideout_perception.core.utterance_segmenter import (
    PauseSnapshot,
    SegmenterConfig,
    SpeechDiscarded,
    SpeechEnded,
    SpeechStarted,
    TurnJudged,
    Utterance,
    UtteranceSegmenter,
)
from insideout_perception.core.vad import VadAnalyzer

# Speech the recogniser left out at the end of an utterance worth a warning [s].
UNCOVERED_SPEECH_WARNING_S = 1.0
DIGITAL_SILENCE_PEAK = 1e-4  # about -80 dBFS: no real microphone is this quiet


@dataclass
class RecognizerSettings:
    segmenter: SegmenterConfig
    audio_format: AudioFormat  # until an AudioInfo says otherwise
    capture_stamps: bool = False  # chunk times are capture stamps, not arrival times
    max_pending_utterances: int = 4
    publish_partials: bool = False
    partial_period_s: float = 1.0
    barge_in: bool = False
    barge_in_settings: BargeInSettings = BargeInSettings()
    silence_warning_s: float = 30.0
    # Speech resuming this soon after an utterance, before the robot answers, continues it [s].
    continuation_window_s: float = 3.0


@dataclass
class TranscriptResult:
    utterance_id: int
    text: str
    is_final: bool
    confidence: float
    language: str
    start_time: float = 0.0  # stream time of the voiced span (finals only)
    end_time: float = 0.0


class RecognitionListener:
    """Callbacks; `on_transcript` and the worker's problems come from the worker thread."""

    def on_user_speaking(self, speaking: bool) -> None: ...

    def on_user_pausing(self, pausing: bool) -> None:
        """The user is in a pause the end-of-turn model heard as unfinished (or no longer)."""

    def on_utterance_reopened(self, utterance_id: int, text_so_far: str) -> None:
        """The user went on speaking after utterance `utterance_id`'s final transcript: a new
        final with the same id, covering the whole utterance, will follow."""

    def on_transcript(self, result: TranscriptResult) -> None: ...

    def on_barge_in(self, event: BargeInEvent, onset_time: float) -> None:
        """The user's voice over the robot's speech: pause, resume or stop it (barge_in on)."""

    def on_info(self, message: str) -> None: ...

    def on_warning(self, message: str, period: float | None = None) -> None: ...

    def on_error(self, message: str, throttled: bool = True) -> None: ...


class SpeechRecognizer:
    def __init__(
        self,
        settings: RecognizerSettings,
        vad: VadAnalyzer,
        backend,
        listener: RecognitionListener,
        turn_end=None,
        echo_canceller: EchoCanceller | None = None,
    ):
        """`turn_end`: a turn_end.TurnEndDetector judging each pause (None: silence alone).
        `echo_canceller`: removes the robot's own voice from the audio (None: none)."""
        if vad.sample_rate != MODEL_SAMPLE_RATE:
            raise ValueError(
                f"the {vad.name} VAD reads {vad.sample_rate} Hz audio; the recogniser's stream "
                f"is {MODEL_SAMPLE_RATE} Hz"
            )
        self.settings = settings
        self.vad, self.backend, self.listener = vad, backend, listener
        self.turn_end = turn_end
        self.echo_canceller = echo_canceller if echo_canceller is not None else NoEchoCanceller()
        self.stream = AudioStream(settings.audio_format)
        self.barge_in = (
            BargeInDetector(settings.barge_in_settings, MODEL_SAMPLE_RATE)
            if settings.barge_in
            else None
        )
        # The utterance begun over the robot's speech that has not (yet) interrupted it: its
        # words decide; a backchannel ("mm-hm") or a cough is not a turn.
        self._over_robot_utterance: int | None = None
        # The detector is fed by the feed thread and told the words by the worker.
        self._barge_in_lock = threading.Lock()
        self.segmenter = UtteranceSegmenter.with_analyzer(
            vad,
            settings.segmenter,
            turn_complete=self._judge_turn if turn_end is not None else None,
            on_frame=self._barge_in_frame if self.barge_in is not None else None,
        )
        self.continuation = UtteranceContinuation(
            settings.continuation_window_s, settings.segmenter.max_utterance_s, MODEL_SAMPLE_RATE
        )
        self._continuing: FinishedUtterance | None = None
        # Finals are published by the worker, reopened from the feed thread: one lock orders them.
        self._publish_lock = threading.Lock()
        self._last_published_final: tuple[int, int] | None = None  # (utterance_id, end_sample)
        self._withheld_finals: set = set()  # finals reopened before their transcript was out
        self.clock_map = StreamClock(MODEL_SAMPLE_RATE, capture_stamps=settings.capture_stamps)
        self.queue = RecognitionQueue(settings.max_pending_utterances)
        self.mute = SpeakerMute(settings.barge_in)
        self.input_error: str | None = None  # why audio is being rejected, if it is
        self.user_speaking = False
        self.user_pausing = False
        self.stream_samples = 0
        self.utterance_id = 0
        self.last_partial_at = 0.0
        # The latest speculative recognition: ((utterance_id, end_sample), Recognition).
        self._speculation: tuple[tuple[int, int], object] | None = None
        self._silent_since: float | None = None
        # The pause, (utterance_id, end_sample), whose speculative text reads as a finished
        # sentence.
        self._finished_by_words: tuple[int, int] | None = None
        self.last_chunk_at = time.monotonic()
        self.counters: dict[str, int] = dict(
            chunks=0,
            ignored_while_robot_speaking=0,
            rejected=0,
            empty_chunks=0,
            partial_frame_chunks=0,
            utterances=0,
            discarded_bursts=0,
            cut_at_max_length=0,
            dropped_utterances=0,
            transcripts=0,
            speculations=0,
            speculations_used=0,
            uncovered_utterances=0,
            turns_judged=0,
            turns_judged_unfinished=0,
            turns_ended_by_words=0,
            continuations=0,
            empty_utterances=0,
            barge_in_pauses=0,
            barge_in_resumes=0,
            barge_in_stops=0,
            voices_over_robot_ignored=0,
        )
        self.last_turn_probability = float("nan")
        self.last_turn_decision_s = float("nan")
        self.last_latency = float("nan")
        self.last_rtf = float("nan")
        self._worker = threading.Thread(
            target=self._recognise_forever, name="asr_worker", daemon=True
        )
        self._worker.start()

    # -- inputs (one thread) ----------------------------------------------------------------
    def feed(self, data: bytes, chunk_time: float) -> None:
        """One audio chunk; an exception inside restarts the stream instead of escaping."""
        try:
            self._feed(data, chunk_time)
        except Exception as error:
            self.listener.on_error(
                f"audio chunk of {len(data)} bytes could not be processed: "
                f"{error!r}; the stream restarts"
            )
            self.drop_utterance_in_progress()

    def set_audio_info(
        self, channels: int, sample_rate: int, sample_format: str, coding_format: str
    ) -> None:
        try:
            fmt = format_from_audio_info(channels, sample_rate, sample_format, coding_format)
        except AudioFormatError as error:
            if self.input_error != str(error):
                self.listener.on_error(
                    f"audio_info: {error}; audio is ignored until a usable AudioInfo arrives",
                    throttled=False,
                )
            self.input_error = str(error)
            return
        if self.input_error is not None:
            self.listener.on_info(f"audio_info: usable format again ({fmt.describe()})")
            self.input_error = None
        if fmt != self.stream.format:
            self.listener.on_info(f"audio format: {fmt.describe()} (from audio_info)")
            self.stream = AudioStream(fmt)
            self.drop_utterance_in_progress()

    def echo_reference(self, pcm: bytes, play_time: float) -> None:
        """A chunk of the robot's speaker audio (S16LE mono) whose first sample plays at
        `play_time`: what the echo canceller removes from the microphone."""
        self.echo_canceller.add_reference(pcm, play_time)

    def echo_reference_rate(self, sample_rate: int) -> None:
        self.echo_canceller.set_reference_rate(sample_rate)

    def robot_speaking(self, speaking: bool) -> None:
        if speaking:
            self.continuation.forget()  # the robot answers: what the user says next is new
        elif self.barge_in is not None:
            self._over_robot_utterance = None  # the robot is done: what goes on is the user's turn
        if self.barge_in is not None:
            with self._barge_in_lock:
                self.barge_in.robot_speaking(speaking)
        self._apply_mute(self.mute.robot_speaking(speaking))

    def speaker_state(self, speaking: bool) -> None:
        self.mute.speaker_state(speaking)

    def speaker_liveliness(self, alive_count: int, alive_count_change: int) -> None:
        self._apply_mute(self.mute.speaker_liveliness(alive_count, alive_count_change))

    def close_stalled_utterance(self, stall_timeout: float) -> None:
        """Audio that stops mid-utterance (a bag ends, a driver stalls) never brings the silence
        that would end it: close it after `stall_timeout` without chunks."""
        if not self.segmenter.in_utterance or time.monotonic() - self.last_chunk_at < stall_timeout:
            return
        self.listener.on_warning(
            f"no audio for {stall_timeout:.1f} s in the middle of an "
            "utterance: transcribing what was heard"
        )
        for event in self.segmenter.flush():
            self._handle_event(event)

    def drop_utterance_in_progress(self) -> None:
        self._restore_reopened_utterance()
        self.continuation.forget()  # listening restarts: nothing before it is continued
        self.segmenter.reset()
        self.stream.reset()
        self._set_user_pausing(False)
        self._set_user_speaking(False)

    def _apply_mute(self, changes) -> None:
        for change in changes:
            if change.is_problem:
                self.listener.on_warning(change.message)
            else:
                self.listener.on_info(change.message)
            if change.restart_listening:
                # Starting or stopping the mute: what the VAD held is either the robot's own voice
                # or cut off, so start afresh either way.
                self.drop_utterance_in_progress()

    def _feed(self, data: bytes, chunk_time: float) -> None:
        self.counters["chunks"] += 1
        self.last_chunk_at = time.monotonic()
        if self.mute.muted:
            self.counters["ignored_while_robot_speaking"] += 1
            return
        if self.input_error is not None:
            self.counters["rejected"] += 1
            self.listener.on_error(f"audio dropped: {self.input_error}")
            return
        if not data:
            self.counters["empty_chunks"] += 1
            self.listener.on_warning("empty audio chunk ignored")
            return
        frame_bytes = self.stream.frame_bytes
        if (self.stream.pending_bytes + len(data)) % frame_bytes:
            self.counters["partial_frame_chunks"] += 1
            self.listener.on_warning(
                f"audio chunk of {len(data)} bytes does not end on a whole frame "
                f"({frame_bytes} bytes per frame of {self.stream.format.describe()}); "
                "the remainder is carried over. If this repeats, check sample_format/channels or "
                "audio_info."
            )
        samples = self.stream.feed(data)
        # The robot's own voice out before anything listens (the canceller may hold back <10 ms).
        samples = self.echo_canceller.process(samples, chunk_time)
        if self.barge_in is not None:
            with self._barge_in_lock:
                self.barge_in.trusted = not self.echo_canceller.learning
        self.clock_map.observe(chunk_time, self.stream_samples)
        self.stream_samples += len(samples)
        self._watch_for_dead_microphone(samples)
        for event in self.segmenter.feed(samples):
            self._handle_event(event)
        self._end_turn_by_words()
        self._set_user_pausing(self.segmenter.judged_unfinished)
        self._maybe_request_partial()

    def _end_turn_by_words(self) -> None:
        """The model heard a thinking pause, but the words so far read as a finished sentence
        ("What's the weather like?"): end the turn now rather than at max_end_silence_s."""
        if not self.segmenter.judged_unfinished or self._finished_by_words != (
            self.utterance_id,
            self.segmenter.last_voiced_end,
        ):
            return
        self.counters["turns_ended_by_words"] += 1
        for event in self.segmenter.end_turn_now():
            self._handle_event(event)

    def _watch_for_dead_microphone(self, samples: np.ndarray) -> None:
        limit = self.settings.silence_warning_s
        if limit <= 0 or not len(samples):
            return
        if float(np.max(np.abs(samples))) > DIGITAL_SILENCE_PEAK:
            self._silent_since = None
            return
        now = self.stream_samples / MODEL_SAMPLE_RATE
        if self._silent_since is None:
            self._silent_since = now
        silent_for = now - self._silent_since
        if silent_for >= limit:
            self.listener.on_warning(
                f"the audio has been digital silence for {silent_for:.0f} s: is the microphone "
                "muted or disconnected?",
                period=limit,
            )

    # -- utterances -----------------------------------------------------------------------
    def _handle_event(self, event) -> None:
        if isinstance(event, SpeechStarted):
            self._start_utterance(event.start_sample)
            self._set_user_speaking(True)
            if self.barge_in is not None:
                with self._barge_in_lock:
                    if self.barge_in.robot_is_speaking and not self.barge_in.stopped:
                        self._over_robot_utterance = self.utterance_id
                        self.barge_in.hold_for_words = self.barge_in.paused
        elif isinstance(event, Utterance):
            self._enqueue_final(event, over_robot=self._over_robot_utterance == self.utterance_id)
            self._over_robot_utterance = None
        elif isinstance(event, SpeechEnded):
            self._set_user_speaking(False)
        elif isinstance(event, PauseSnapshot):
            if self._over_robot_utterance == self.utterance_id:
                return  # not transcribed unless it interrupts the robot
            audio, spans = self._with_earlier_part(event.audio, event.speech_spans)
            # Even behind a speculation on an earlier pause: this pause may be the end.
            self.queue.offer_optional(
                RecognitionJob(
                    self.utterance_id,
                    audio,
                    is_final=True,
                    speculative=True,
                    end_sample=event.end_sample,
                    speech_spans=spans,
                ),
                even_if_busy=True,
            )
        elif isinstance(event, TurnJudged):
            self.counters["turns_judged"] += 1
            self.counters["turns_judged_unfinished"] += not event.complete
            self.last_turn_probability = event.probability
            self.last_turn_decision_s = event.seconds
        elif isinstance(event, SpeechDiscarded):
            self.counters["discarded_bursts"] += 1

    def _barge_in_frame(self, voiced: bool, frame_start: int, frame_end: int) -> None:
        with self._barge_in_lock:
            event = self.barge_in.frame(voiced, frame_start, frame_end)
        if event is None:
            return
        if event.action == STOP:
            self._over_robot_utterance = None  # an interruption: the user's turn, transcribed
        self._publish_barge_in(event)

    def _publish_barge_in(self, event: BargeInEvent) -> None:
        self.counters[("barge_in_pauses", "barge_in_resumes", "barge_in_stops")[event.action]] += 1
        self.listener.on_barge_in(event, self.clock_map.time_of(event.onset_sample))

    def _judge_voice_over_robot(self, job: RecognitionJob, text: str) -> bool:
        """A voice begun over the robot's speech, now recognised: True if it is the user's turn
        (it stops the robot, or the robot finished meanwhile), False if not a turn: a backchannel,
        a hum, no words, or a voice heard while the echo canceller was still learning the room
        (its leaks would be the robot's own words)."""
        voiced = sum(end - start for start, end in job.speech_spans)
        with self._barge_in_lock:
            held = self.barge_in.paused and not self.barge_in.stopped
            still_speaking = self.barge_in.robot_is_speaking
            # However the detector got here (pauses and resumes on echo leaks), a voice this long
            # is the user's turn: it is never dropped.
            long_enough = voiced >= self.barge_in.settings.stop_after_s
            interrupts = long_enough or (held and asks_for_the_floor(text))
            event = self.barge_in.words_decided(stop=interrupts)
        if event is not None:
            self._publish_barge_in(event)
        if not still_speaking:
            return True
        if not interrupts:
            self.counters["voices_over_robot_ignored"] += 1
            why = (
                "without a word that interrupts"
                if held
                else "while the echo canceller was learning the room"
            )
            self.listener.on_info(
                f"utterance {job.utterance_id}: {text!r} over the robot's "
                f"speech, shorter than barge_in_stop_after_s and {why}: not a "
                "turn, the robot goes on"
            )
        return interrupts

    def _start_utterance(self, start_sample: int) -> None:
        earlier = self.continuation.continued_by(start_sample)
        self._continuing = earlier
        if earlier is None:
            self.utterance_id += 1
            return
        self.utterance_id = earlier.utterance_id
        self.counters["continuations"] += 1
        gap = (start_sample - earlier.end_sample) / MODEL_SAMPLE_RATE
        self.listener.on_info(
            f"utterance {earlier.utterance_id} continues after a {gap:.1f} s "
            "pause: its transcript will cover the whole of it"
        )
        key = (earlier.utterance_id, earlier.end_sample)
        with self._publish_lock:
            if self._last_published_final == key:
                self.listener.on_utterance_reopened(earlier.utterance_id, earlier.text)
            else:  # not out yet: it never will be, the whole utterance's final comes instead
                self._withheld_finals.add(key)

    def _restore_reopened_utterance(self) -> None:
        """A continuation cut off (robot speaking, format change, a bad chunk) must not lose the
        question its reopen notice withdrew: the earlier part is transcribed again alone."""
        earlier, self._continuing = self._continuing, None
        if earlier is None:
            return
        self._put_final(
            RecognitionJob(
                utterance_id=earlier.utterance_id,
                audio=earlier.audio,
                is_final=True,
                start_time=earlier.start_time,
                end_time=self.clock_map.time_of(earlier.end_sample),
                closed_at=time.monotonic(),
                end_sample=earlier.end_sample,
                speech_spans=earlier.speech_spans,
                restored=True,
            )
        )

    def _judge_turn(self, audio: np.ndarray):
        """The end-of-turn model's verdict; one that fails counts as a finished turn (the
        utterance is not lost, only ended at the shortest pause)."""
        try:
            return self.turn_end.verdict(audio)
        except Exception as error:
            self.listener.on_error(
                f"end-of-turn model ({self.turn_end.name}) failed: {error!r}; "
                "taking the turn as finished"
            )
            return TurnVerdict(complete=True, probability=1.0)

    def _with_earlier_part(self, audio: np.ndarray, spans=()):
        """(audio, speech spans) of the utterance so far, its earlier part included."""
        if self._continuing is None:
            return audio, tuple(spans)
        return joined(self._continuing, audio, spans)

    def _enqueue_final(self, utterance: Utterance, over_robot: bool = False) -> None:
        self.counters["utterances"] += 1
        audio, spans = self._with_earlier_part(utterance.audio, utterance.speech_spans)
        earlier, self._continuing = self._continuing, None
        start_sample = utterance.start_sample if earlier is None else earlier.start_sample
        start_time = (
            self.clock_map.time_of(utterance.start_sample)
            if earlier is None
            else earlier.start_time
        )
        job = RecognitionJob(
            utterance_id=self.utterance_id,
            audio=audio,
            is_final=True,
            start_time=start_time,
            end_time=self.clock_map.time_of(utterance.end_sample),
            closed_at=time.monotonic(),
            cut_at_max_length=utterance.cut_at_max_length,
            end_sample=utterance.end_sample,
            speech_spans=spans,
            over_robot=over_robot,
        )
        if not utterance.cut_at_max_length:
            self.continuation.finished(
                FinishedUtterance(
                    self.utterance_id,
                    audio,
                    "",
                    start_sample,
                    utterance.end_sample,
                    start_time,
                    spans,
                )
            )
        if utterance.cut_at_max_length:
            self.counters["cut_at_max_length"] += 1
            self.listener.on_warning(
                "continuous speech reached "
                f"max_utterance_s={self.settings.segmenter.max_utterance_s} s: "
                "transcribing it in pieces"
            )
            self.utterance_id += 1  # the rest of the speech is a new utterance
        self._put_final(job)

    def _put_final(self, job: RecognitionJob) -> None:
        dropped = self.queue.put_final(job)
        if dropped is not None:
            self.counters["dropped_utterances"] += 1
            self.listener.on_error(
                f"recogniser too slow: utterance {dropped.utterance_id} "
                f"({len(dropped.audio) / MODEL_SAMPLE_RATE:.1f} s) dropped untranscribed; raise "
                "max_pending_utterances or use a faster backend/model"
            )

    def _maybe_request_partial(self) -> None:
        # Not during a pause: the final may be due any moment, and a partial still running then
        # would delay it.
        if (
            not self.settings.publish_partials
            or not self.segmenter.speaking
            or self.segmenter.in_pause
        ):
            return
        now = time.monotonic()
        if now - self.last_partial_at < self.settings.partial_period_s:
            return
        audio = self.segmenter.current_audio()
        if audio is None or len(audio) < MODEL_SAMPLE_RATE // 2:
            return
        audio, _spans = self._with_earlier_part(audio)
        if self.queue.offer_optional(RecognitionJob(self.utterance_id, audio, is_final=False)):
            self.last_partial_at = now

    def _set_user_pausing(self, pausing: bool) -> None:
        if pausing != self.user_pausing:
            self.user_pausing = pausing
            self.listener.on_user_pausing(pausing)

    def _set_user_speaking(self, speaking: bool) -> None:
        if speaking != self.user_speaking:
            self.user_speaking = speaking
            self.listener.on_user_speaking(speaking)

    # -- recognition worker -----------------------------------------------------------------
    def _recognise_forever(self) -> None:
        while True:
            job = self.queue.get()
            if job is None:
                return
            try:
                self._recognise(job)
            except Exception as error:  # one bad utterance must not stop the worker
                self.listener.on_error(
                    f"recognition of utterance {job.utterance_id} failed: {error!r}",
                    throttled=False,
                )
            finally:
                self.queue.done()

    def _recognise(self, job: RecognitionJob) -> None:
        started = time.monotonic()
        key = (job.utterance_id, job.end_sample)
        if (
            job.is_final
            and not job.speculative
            and self._speculation is not None
            and self._speculation[0] == key
        ):
            # The pause became the end of the utterance: its text is already known.
            result = self._speculation[1]
            self.counters["speculations_used"] += 1
        else:
            result = self.backend.transcribe(job.audio, job.speech_spans)
            self.last_rtf = (time.monotonic() - started) / max(
                len(job.audio) / MODEL_SAMPLE_RATE, 1e-3
            )
        if job.speculative:
            self._speculation = (key, result)
            self.counters["speculations"] += 1
            if self.turn_end is not None and sounds_finished(result.text):
                self._finished_by_words = key  # read by the feed thread (one assignment)
            return
        finished = time.monotonic()
        if job.over_robot and job.is_final and not self._judge_voice_over_robot(job, result.text):
            self._speculation = None
            return
        if not result.text:
            # No words is no transcript: an empty final would start a dialogue turn on nothing.
            if job.is_final:
                self._speculation = None
                self.counters["empty_utterances"] += 1
                self.listener.on_warning(
                    f"utterance {job.utterance_id}: no words recognised in "
                    f"{len(job.audio) / MODEL_SAMPLE_RATE:.1f} s of voice activity (noise, or "
                    "speech too faint): no transcript published"
                )
            return
        transcript = TranscriptResult(
            utterance_id=job.utterance_id,
            text=result.text,
            is_final=job.is_final,
            confidence=float(result.confidence),
            language=result.language or "",
            start_time=job.start_time,
            end_time=job.end_time,
        )
        if not job.is_final:
            self.listener.on_transcript(transcript)
            return
        self._speculation = None
        self.continuation.recognised(job.utterance_id, result.text)
        with self._publish_lock:
            withheld = key in self._withheld_finals and not job.restored
            self._withheld_finals.discard(key)
            if not withheld:
                self.listener.on_transcript(transcript)
                self._last_published_final = key
        if withheld:
            self.listener.on_info(
                f"utterance {job.utterance_id}: {result.text!r} not published: "
                "the user went on speaking"
            )
            return
        self.counters["transcripts"] += 1
        self._check_coverage(job, result)
        self.last_latency = finished - job.closed_at
        self.listener.on_info(
            f"utterance {job.utterance_id}: {result.text!r} (latency {self.last_latency:.2f} s, "
            f"RTF {self.last_rtf:.2f})"
        )

    def _check_coverage(self, job: RecognitionJob, result) -> None:
        """Warn when the recognised words end well before the speech the VAD found does."""
        uncovered = uncovered_speech_seconds(
            result, len(job.audio) / MODEL_SAMPLE_RATE, self.settings.segmenter.pre_roll_s
        )
        if uncovered is not None and uncovered > UNCOVERED_SPEECH_WARNING_S:
            self.counters["uncovered_utterances"] += 1
            self.listener.on_warning(
                f"utterance {job.utterance_id}: the recogniser's words end {uncovered:.1f} s "
                "before the speech does; its last words may be missing from the transcript"
            )

    # -- health -----------------------------------------------------------------------------
    def report(self) -> tuple[str, str, dict[str, object]]:
        """("ok" | "warn" | "error", message, values) for /diagnostics."""
        finals, _partials = self.queue.depth()
        values = dict(
            backend=self.backend.name,
            model=self.backend.model_description,
            turn_end=self.turn_end.name if self.turn_end is not None else "silence",
            last_turn_complete_probability=f"{self.last_turn_probability:.2f}",
            last_turn_decision_s=f"{self.last_turn_decision_s:.3f}",
            device=self.backend.device,
            audio_format=self.stream.format.describe(),
            robot_speaking=self.mute.robot_is_speaking,
            user_speaking=self.user_speaking,
            queued_utterances=finals,
            last_latency_s=f"{self.last_latency:.3f}",
            last_real_time_factor=f"{self.last_rtf:.3f}",
            **self.counters,
            **self.echo_canceller.report(),
        )
        if self.input_error:
            return "error", f"audio rejected: {self.input_error}", values
        if self.counters["chunks"] == 0:
            return "warn", "no audio received yet", values
        if self.counters["dropped_utterances"]:
            return "warn", "utterances were dropped: recogniser too slow", values
        if self.mute.muted:
            return "ok", "muted while the robot speaks", values
        return "ok", "listening", values

    def close(self) -> None:
        self.queue.close()
        self._worker.join(timeout=10.0)
        self.backend.close()
