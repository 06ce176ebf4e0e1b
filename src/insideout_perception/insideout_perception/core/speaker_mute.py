"""When asr_node stops listening because the robot itself is speaking.

Inputs: the robot_speaking state (from tts_node's latched topic or any other publisher), the
last value of tts_node's lease-holding publisher, and that publisher's liveliness. A tts_node that
dies mid-sentence leaves its latched "true" behind: losing its liveliness unmutes; regaining it
while it still says "true" (it was only stalled) mutes again. With barge_in the state is tracked
but audio is never ignored (echo cancellation, or a robot that may transcribe itself).
"""

from dataclasses import dataclass


@dataclass
class MuteChange:
    message: str
    is_problem: bool = False  # a warning rather than information
    restart_listening: bool = False  # drop the utterance in progress (robot's voice or cut off)


class SpeakerMute:
    def __init__(self, barge_in: bool):
        self.barge_in = barge_in
        self.robot_is_speaking = False
        self._speaker_says_speaking = False  # last value from the lease-holding publisher

    @property
    def muted(self) -> bool:
        return self.robot_is_speaking and not self.barge_in

    def robot_speaking(self, speaking: bool) -> list[MuteChange]:
        if speaking == self.robot_is_speaking:
            return []
        self.robot_is_speaking = speaking
        if self.barge_in:
            return []
        return [
            MuteChange(
                "robot speaking: audio ignored" if speaking else "robot silent: listening",
                restart_listening=True,
            )
        ]

    def speaker_state(self, speaking: bool) -> None:
        self._speaker_says_speaking = speaking

    def speaker_liveliness(self, alive_count: int, alive_count_change: int) -> list[MuteChange]:
        if alive_count_change < 0 and alive_count == 0 and self.robot_is_speaking:
            return [
                MuteChange(
                    "the robot_speaking publisher (tts_node) stopped being alive while "
                    "the robot was speaking: taking the robot as silent and listening "
                    "again",
                    is_problem=True,
                )
            ] + self.robot_speaking(False)
        if alive_count_change > 0 and self._speaker_says_speaking and not self.robot_is_speaking:
            # It was only stalled (its latched "true" is still its state): mute again. A restarted
            # tts_node publishes "false" at once, which undoes this.
            return [
                MuteChange(
                    "the robot_speaking publisher is alive again and still says the robot speaks"
                )
            ] + self.robot_speaking(True)
        return []
