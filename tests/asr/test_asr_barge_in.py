"""The barge-in detector, frame by frame: pause at the first words, stop if the user goes on,
resume after a short noise, nothing while the robot is silent."""

from insideout_perception.core.barge_in import PAUSE, RESUME, STOP, BargeInDetector, BargeInSettings

FRAME = 512  # 32 ms at 16 kHz


def run(pattern, speaking=True, settings=BargeInSettings()):
    """pattern: a string of '1' (voiced) and '0' frames; returns [(frame index, action, voiced_s)]."""
    detector = BargeInDetector(settings)
    detector.robot_speaking(speaking)
    events = []
    for index, mark in enumerate(pattern):
        event = detector.frame(mark == "1", index * FRAME, (index + 1) * FRAME)
        if event is not None:
            events.append((index, event.action, round(event.voiced_s, 3)))
    return events


def test_two_voiced_frames_pause_and_half_a_second_of_voice_stops():
    events = run("000" + "1" * 20)
    assert [(i, a) for i, a, _ in events] == [(4, PAUSE), (18, STOP)]
    assert events[1][2] >= 0.5


def test_gaps_between_words_still_count_towards_the_stop():
    events = run("0" + "11110" * 6)  # words with one-frame gaps
    assert [a for _, a, _ in events] == [PAUSE, STOP]


def test_a_short_noise_pauses_then_resumes_and_never_stops():
    events = run("0" + "111111" + "0" * 12 + "000")  # 0.19 s of voice, then quiet
    assert [a for _, a, _ in events] == [PAUSE, RESUME]
    resume_frame = events[1][0]
    assert (resume_frame + 1 - 7) * FRAME / 16000 >= 0.3  # after resume_after_s of quiet


def test_a_single_click_does_not_even_pause():
    assert run("0001000100010000") == []


def test_nothing_while_the_robot_is_silent():
    assert run("1" * 40, speaking=False) == []


def test_after_a_stop_nothing_more_until_the_robot_speaks_again():
    detector = BargeInDetector()
    detector.robot_speaking(True)
    actions = [e.action for i in range(60)
               if (e := detector.frame(True, i * FRAME, (i + 1) * FRAME)) is not None]
    assert actions == [PAUSE, STOP]
    detector.robot_speaking(False)
    detector.robot_speaking(True)
    again = [e.action for i in range(60, 70)
             if (e := detector.frame(True, i * FRAME, (i + 1) * FRAME)) is not None]
    assert again == [PAUSE]


def test_min_speech_is_a_setting():
    events = run("0" + "1" * 40, settings=BargeInSettings(min_speech_s=1.0))
    assert events[-1][1] == STOP and events[-1][2] >= 1.0
