"""One fully populated sample of every InsideOut interface, with float32-exact values so that a
round trip through DDS can be compared with ==."""

from builtin_interfaces.msg import Time
from sensor_msgs.msg import RegionOfInterest
from std_msgs.msg import Header

from audio_common_msgs.msg import AudioData, AudioDataStamped, AudioInfo
from hri_msgs.msg import Expression, IdsList, IdsMatch, LiveSpeech, NormalizedRegionOfInterest2D
from insideout_common.emotions import LABELS
from insideout_msgs.action import Respond
from insideout_msgs.msg import AgentReply, DialogueTurn, EmotionState, Transcript


def header(frame_id="camera_optical_frame"):
    return Header(stamp=Time(sec=1_700_000_000, nanosec=250_000_000), frame_id=frame_id)


def emotion_state():
    return EmotionState(
        header=header(),
        face_detected=True,
        track_id=7,
        face_id="fabcd_7",
        face_roi=RegionOfInterest(
            x_offset=120, y_offset=40, width=96, height=112, do_rectify=False
        ),
        labels=list(LABELS),
        scores=[0.0, 0.0, 0.0, 0.125, 0.625, 0.25, 0.0, 0.0],
        raw_scores=[0.0, 0.0, 0.0, 0.0, 0.75, 0.25, 0.0, 0.0],
        dominant_label="happiness",
        confidence=0.625,
        valence=0.5,
        arousal=-0.25,
        valence_arousal_predicted=False,
        window_duration=0.75,
        window_frames=22,
        model_name="fer_mini_xception",
    )


def transcript():
    return Transcript(
        header=header("microphone"),
        utterance_id=3,
        text="How are you today? Ünïcode ✓",
        is_final=True,
        confidence=0.875,
        language="en",
        utterance_start=Time(sec=10, nanosec=500),
        utterance_end=Time(sec=12, nanosec=750),
    )


def agent_reply(agent="sadness", ok=True):
    return AgentReply(
        agent=agent,
        model="smollm2-135m",
        text="I hear you." if ok else "",
        ok=ok,
        error="" if ok else "timeout after 5.0 s",
        latency=1.5,
        first_token_latency=0.5 if ok else -1.0,
    )


def dialogue_turn():
    return DialogueTurn(
        header=header(""),
        turn_id=4,
        user_text="How are you today?",
        emotion=emotion_state(),
        agent_replies=[agent_reply("happiness"), agent_reply("sadness", ok=False)],
        agent_weights=[0.75, 0.25],
        aggregation_strategy="weighted_llm",
        reply="I am well, thank you.",
        reply_source="aggregator",
        emotion_source="during the utterance: 30 EmotionStates over 2.0 s, face seen 2.0 s",
        success=True,
        error_code=0,
        error_message="",
        latency=2.5,
        agents_latency=1.5,
        aggregator_first_token_latency=1.75,
        first_sentence_latency=1.875,
    )


def audio_data():
    return AudioData(data=list(range(256)) * 4)


def audio_data_stamped():
    return AudioDataStamped(header=header("microphone"), audio=audio_data())


def audio_info():
    return AudioInfo(
        channels=1, sample_rate=16000, sample_format="S16LE", bitrate=256000, coding_format="wave"
    )


def hri_expression():
    return Expression(
        header=header(), expression=Expression.SAD, valence=-0.5, arousal=0.25, confidence=0.75
    )


def hri_ids_list():
    return IdsList(header=header(), ids=["f3a1c_1", "f3a1c_2"])


def hri_ids_match():
    return IdsMatch(
        id1="f3a1c_1", id1_type=IdsMatch.FACE, id2="mic0", id2_type=IdsMatch.VOICE, confidence=0.5
    )


def hri_live_speech():
    msg = LiveSpeech(
        header=header("microphone"), incremental="", final="hello robot", confidence=0.875
    )
    # hri_msgs 2.2+ (and our stand-in) call it locale; a distro's older package, language.
    setattr(msg, "locale" if hasattr(msg, "locale") else "language", "en_US")
    return msg


def hri_roi():
    return NormalizedRegionOfInterest2D(
        header=header(), xmin=0.25, ymin=0.125, xmax=0.5, ymax=0.625, c=0.875
    )


def respond_goal():
    return Respond.Goal(utterance="Tell me a joke", override_emotion=True, emotion=emotion_state())


def respond_feedback():
    return Respond.Feedback(
        stage=Respond.Feedback.STAGE_AGENT_DONE, agent="fear", partial_text="Careful now."
    )


def respond_result():
    return Respond.Result(
        reply="Here is one.",
        agent_replies=[agent_reply()],
        emotion_used=emotion_state(),
        success=True,
        error_code=Respond.Result.ERROR_NONE,
        error_message="",
    )


# topic name -> (message type, sample factory)
TOPIC_SAMPLES = {
    "/test/emotion_state": (EmotionState, emotion_state),
    "/test/transcript": (Transcript, transcript),
    "/test/agent_reply": (AgentReply, agent_reply),
    "/test/dialogue_turn": (DialogueTurn, dialogue_turn),
    "/test/audio_data": (AudioData, audio_data),
    "/test/audio_data_stamped": (AudioDataStamped, audio_data_stamped),
    "/test/audio_info": (AudioInfo, audio_info),
    "/test/hri_expression": (Expression, hri_expression),
    "/test/hri_ids_list": (IdsList, hri_ids_list),
    "/test/hri_ids_match": (IdsMatch, hri_ids_match),
    "/test/hri_live_speech": (LiveSpeech, hri_live_speech),
    "/test/hri_roi": (NormalizedRegionOfInterest2D, hri_roi),
    "/test/respond_goal": (Respond.Goal, respond_goal),
    "/test/respond_feedback": (Respond.Feedback, respond_feedback),
    "/test/respond_result": (Respond.Result, respond_result),
}
