"""The barge-in detector, frame by frame: pause at the first words, stop if the user goes on,
resume after a short noise, let the words decide a short voice, nothing while the robot is
silent."""

from insideout_perception.core.barge_in import (
    PAUSE,
    RESUME,
    STOP,
    BargeInDetector,
    BargeInSettings,
    asks_for_the_floor,
)

FRAME = 512  # 32 ms at 16 kHz


def run(pattern, speaking=True, settings=None):
    """pattern: a string of '1' (voiced) and '0' frames; returns [(frame index, action, voiced_s)].
    `settings`: the detector's BargeInSettings (None: the defaults)."""
    settings = settings or BargeInSettings()
    detector = BargeInDetector(settings)
    detector.robot_speaking(speaking)
    events = []
    for index, mark in enumerate(pattern):
        event = detector.frame(mark == "1", index * FRAME, (index + 1) * FRAME)
        if event is not None:
            events.append((index, event.action, round(event.voiced_s, 3)))
    return events


def test_two_voiced_frames_pause_and_a_long_voice_stops():
    events = run("000" + "1" * 30)
    assert [(i, a) for i, a, _ in events] == [(4, PAUSE), (24, STOP)]
    assert events[1][2] >= 0.7


def test_gaps_between_words_still_count_towards_the_stop():
    events = run("0" + "11110" * 8)  # words with one-frame gaps
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
    actions = [
        e.action
        for i in range(60)
        if (e := detector.frame(True, i * FRAME, (i + 1) * FRAME)) is not None
    ]
    assert actions == [PAUSE, STOP]
    detector.robot_speaking(False)
    detector.robot_speaking(True)
    again = [
        e.action
        for i in range(60, 70)
        if (e := detector.frame(True, i * FRAME, (i + 1) * FRAME)) is not None
    ]
    assert again == [PAUSE]


def test_stop_after_is_a_setting():
    events = run("0" + "1" * 40, settings=BargeInSettings(stop_after_s=1.0))
    assert events[-1][1] == STOP and events[-1][2] >= 1.0


def test_a_voice_held_for_its_words_waits_for_them_then_stops_or_resumes():
    for interrupts, expected in ((True, STOP), (False, RESUME)):
        detector = BargeInDetector()
        detector.robot_speaking(True)
        frames = "1" * 12 + "0" * 30  # 0.38 s of voice (an utterance), then a long quiet
        events = [
            e.action
            for i, mark in enumerate(frames)
            if (e := detector.frame(mark == "1", i * FRAME, (i + 1) * FRAME)) is not None
            or (i == 10 and setattr(detector, "hold_for_words", detector.paused))
        ]
        assert events == [PAUSE]  # no resume on the quiet: the words decide
        assert detector.words_decided(stop=interrupts).action == expected
        assert detector.words_decided(stop=interrupts) is None  # decided once


def test_only_words_that_ask_for_the_floor_interrupt():
    for text in (
        "Stop.",
        "Wait.",
        "Hold on.",
        "No.",
        "Sorry?",
        "What?",
        "Excuse me.",
        "Okay, but what about tomorrow?",
    ):
        assert asks_for_the_floor(text), text
    # Backchannels, and what Whisper made of hums over the robot's echo (measured).
    for text in (
        "Mm-hmm.",
        "Uh-huh.",
        "Okay.",
        "Yeah.",
        "Right.",
        "I see.",
        "",
        "And that's it.",
        "and then them.",
        "and mm",
        "Then",
    ):
        assert not asks_for_the_floor(text), text


def test_no_pause_while_the_echo_canceller_learns_the_room():
    detector = BargeInDetector()
    detector.robot_speaking(True)
    detector.trusted = False  # SpeechRecognizer: echo_canceller.learning
    assert [detector.frame(True, i * FRAME, (i + 1) * FRAME) for i in range(10)] == [None] * 10
    detector.trusted = True
    events = [e for i in range(10, 14) if (e := detector.frame(True, i * FRAME, (i + 1) * FRAME))]
    assert [e.action for e in events] == [PAUSE]


def test_right_after_a_resume_a_little_voice_does_not_pause_again():
    # 0.19 s of voice, its resume, then 3 voiced frames within REPAUSE_AFTER_S (an echo leak)
    # and a real voice later.
    events = run("0" + "111111" + "0" * 10 + "111" + "0" * 20 + "1" * 4)
    assert [a for _, a, _ in events] == [PAUSE, RESUME, PAUSE]
    assert events[2][0] > 30


def test_words_that_interrupt_stop_the_robot_even_if_it_was_not_held():
    detector = BargeInDetector()
    detector.robot_speaking(True)
    assert detector.words_decided(stop=False) is None  # nothing held: nothing to resume
    assert detector.words_decided(stop=True).action == STOP
    assert detector.words_decided(stop=True) is None  # once
