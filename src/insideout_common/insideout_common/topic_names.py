"""InsideOut's own topic, service and action names.

Relative on purpose: they resolve under the node's namespace, so with none they are today's
`/insideout/...` names and with `namespace:=robot1` they become `/robot1/insideout/...`. Inputs
from drivers (camera, microphone) are parameters or remappings instead, since they belong to the
robot, not to us. `/diagnostics` stays absolute, as every diagnostics aggregator expects.
"""

EMOTION = "insideout/emotion"
EMOTION_DEBUG_IMAGE = "insideout/emotion/debug_image"
TRANSCRIPT = "insideout/transcript"
USER_SPEAKING = "insideout/user_speaking"
# std_msgs/Bool, latched (asr_node): the user is in a pause the end-of-turn model heard as
# unfinished ("so what should I ..."): the turn is still theirs.
USER_PAUSING = "insideout/user_pausing"
ROBOT_SPEAKING = "insideout/robot_speaking"
DIALOGUE = "insideout/dialogue"
DIALOGUE_PROGRESS = "insideout/dialogue/progress"
REPLY = "insideout/reply"
# The reply text whose audio starts playing now (tts_node), for live views' highlighting.
REPLY_SPOKEN = "insideout/reply/spoken"
# A reply cut off before its end (tts_node, ReplyInterrupted): what of it was heard.
REPLY_INTERRUPTED = "insideout/reply/interrupted"
# The user talking over the robot (asr_node, BargeIn): tts_node pauses, resumes or stops on it.
BARGE_IN = "insideout/barge_in"
SPEAKER_AUDIO = "insideout/speaker/audio"
SPEAKER_AUDIO_STAMPED = "insideout/speaker/audio_stamped"
SPEAKER_AUDIO_INFO = "insideout/speaker/audio_info"

RESET_MEMORY_SERVICE = "insideout/reset_memory"
RESPOND_ACTION = "insideout/respond"
# tts_node's own service (private name ~/stop), as another node reaches it without a namespace.
TTS_STOP_SERVICE = "tts_node/stop"

# REP-155 (ROS4HRI) names. Relative as well: with no namespace they are the REP's /humans/...
# names; under a namespace the robot's whole human-perception graph moves together.
HUMANS_FACES_TRACKED = "humans/faces/tracked"
HUMANS_VOICES_TRACKED = "humans/voices/tracked"
HUMANS_CANDIDATE_MATCHES = "humans/candidate_matches"


def humans_face_topic(face_id: str, leaf: str) -> str:
    """/humans/faces/<face_id>/<leaf>, e.g. leaf "expression", "roi", "cropped"."""
    return f"humans/faces/{face_id}/{leaf}"


def humans_voice_topic(voice_id: str, leaf: str) -> str:
    """/humans/voices/<voice_id>/<leaf>, e.g. leaf "speech", "is_speaking"."""
    return f"humans/voices/{voice_id}/{leaf}"
