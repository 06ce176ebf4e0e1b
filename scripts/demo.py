"""`make demo`: run the InsideOut pipeline on embedded defaults.

Until the pipeline nodes exist this only reports what is built and what is missing, and exits
non-zero: it never pretends a reply was produced.
"""

import sys


def main() -> int:
    from insideout_msgs.msg import DialogueTurn, EmotionState, Transcript  # noqa: F401
    from insideout_msgs.action import Respond  # noqa: F401
    from audio_common_msgs.msg import AudioData  # noqa: F401

    print("[demo] built: insideout_msgs (EmotionState, Transcript, AgentReply, DialogueTurn, Respond),"
          " audio_common_msgs, insideout_perception, insideout_dialogue")
    print("[demo] not there yet: FER node, ASR node, dialogue node, TTS node, demo bag"
          " (issues 3-6); no reply can be produced, so the demo fails")
    return 1


if __name__ == "__main__":
    sys.exit(main())
