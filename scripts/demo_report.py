"""`make demo`'s report: what the pipeline did, printed, and demo_summary.json, timeline and WAV
written (benchmarks/bench_pipeline.py reads the summary; keep its keys)."""

import json
from pathlib import Path

from demo_timeline import write_timeline, write_wav


def log(text: str) -> None:
    print(f"[demo] {text}", flush=True)


def emotion_line(t: float, message) -> str:
    if not message.face_detected:
        return f"  t={t:5.1f} s  no face"
    top = sorted(zip(message.labels, message.scores), key=lambda p: -p[1])[:3]
    others = ", ".join(f"{label} {score:.2f}" for label, score in top[1:])
    return (
        f"  t={t:5.1f} s  {message.dominant_label:<9} {message.confidence:.2f}"
        f"  (then {others}; valence {message.valence:+.2f}, track {message.track_id})"
    )


def print_emotions(obs, period: float = 1.0) -> None:
    last = -1e9
    for received, message in obs.emotions:
        t = received - obs.t0
        if t - last >= period:
            print(emotion_line(t, message))
            last = t


def report(out: Path, obs, question: str, finished: bool, live: dict | None = None) -> int:
    if obs.t0 is None:
        log("no camera frame was seen: the bag player did not play (see out/logs/bag_player.log)")
        return 1
    rel = lambda t: None if t is None else t - obs.t0  # noqa: E731
    print("\nEmotion over time (fer_node, /insideout/emotion):")
    if obs.emotions:
        print_emotions(obs)
    else:
        print("  none received")

    finals = [(t, m) for t, m in obs.transcripts if m.is_final]
    print("\nTranscript (asr_node, /insideout/transcript):")
    for t, message in finals:
        print(
            f"  t={rel(t):5.1f} s  #{message.utterance_id} {message.text!r} "
            f"(confidence {message.confidence:.2f})"
        )
    if not finals:
        print("  none received")
    print(f"  (the bag says: {question!r})")

    turn_time, turn = obs.turns[0] if obs.turns else (None, None)
    # The final the turn answers: when the user went on after a first part ("Hello robot."),
    # that part's turn was withdrawn and the whole utterance's final answered instead.
    answered = [(t, m) for t, m in finals if turn is not None and m.text == turn.user_text]
    answered_time, answered_final = (answered or finals or [(None, None)])[-1]
    if turn is not None:
        print(
            f"\nAgents (dialogue_node, user emotion {turn.emotion.dominant_label or 'none'} "
            f"{turn.emotion.confidence:.2f}):"
        )
        for index, agent in enumerate(turn.agent_replies):
            weight = turn.agent_weights[index] if index < len(turn.agent_weights) else float("nan")
            body = agent.text if agent.ok else f"FAILED: {agent.error}"
            print(f"  [{agent.agent}] weight {weight:.2f}, {agent.latency:.1f} s: {body}")
        print(
            f"\nReply ({turn.aggregation_strategy}, {turn.latency:.1f} s after the transcript):"
            f"\n  {turn.reply}"
        )
        if not turn.success:
            print(f"  (fallback reply: error {turn.error_code}: {turn.error_message})")
    else:
        print("\nNo DialogueTurn received.")

    first_audio = obs.speaker_chunks[0][0] if obs.speaker_chunks else None
    last_audio = obs.speaker_chunks[-1][0] if obs.speaker_chunks else None
    latency = None
    if obs.first_reply_audio_sent is not None and obs.speech_end_sent is not None:
        # From when the bag player sent the question's last audio to when tts_node sent the
        # first reply audio (both DDS source timestamps).
        latency = obs.first_reply_audio_sent - obs.speech_end_sent
        print(f"\nEnd of the question -> first reply audio: {latency:.2f} s")

    summary = {
        "question": question,
        "transcript": answered_final.text if answered_final is not None else None,
        "reply": turn.reply if turn is not None else None,
        "success": bool(turn is not None and turn.success),
        "agents": [
            {
                "agent": a.agent,
                "ok": a.ok,
                "text": a.text,
                "error": a.error,
                "latency_s": round(a.latency, 3),
                "first_token_s": round(a.first_token_latency, 3),
            }
            for a in (turn.agent_replies if turn is not None else [])
        ],
        "question_end_to_first_reply_audio_s": None if latency is None else round(latency, 3),
    }
    summary["mic_audio_bytes_received"] = obs.audio_bytes
    transcript_sent = obs.final_sent.get(answered_final.text) if answered_final else None
    if latency is not None and transcript_sent is not None:
        # Where the time went: question end -> transcript -> (dialogue stages) -> first audio.
        summary["stages_s"] = {
            "question_end_to_transcript": round(transcript_sent - obs.speech_end_sent, 3)
        }
        if turn is not None:
            summary["stages_s"].update(
                {
                    "transcript_to_agents_done": round(turn.agents_latency, 3),
                    "transcript_to_aggregator_first_token": round(
                        turn.aggregator_first_token_latency, 3
                    ),
                    "transcript_to_first_sentence": round(turn.first_sentence_latency, 3),
                }
            )
        print("Stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in summary["stages_s"].items()))
    marks = {
        "speech_start": obs.speech_start,
        "speech_end": obs.speech_end,
        "transcript": answered_time,
        "dialogue_turn": turn_time,
        "reply_audio_start": first_audio,
        "reply_audio_end": last_audio,
    }
    timeline = out / "demo_timeline.png"
    write_timeline(timeline, obs, marks, question, turn.reply if turn is not None else "(none)")
    print(f"\nTimeline: {timeline}")
    if obs.speaker_chunks:
        wav = out / "demo_reply.wav"
        seconds = write_wav(wav, [c for _, c in obs.speaker_chunks], obs.speaker_info)
        print(f"Spoken reply: {wav} ({seconds:.1f} s)")
        summary["reply_audio_s"] = round(seconds, 2)
    if live is not None:
        summary["live_view"] = live
    (out / "demo_summary.json").write_text(json.dumps(summary, indent=2))

    problems = []
    if not finals:
        problems.append("no final transcript")
    if turn is None:
        problems.append("no DialogueTurn")
    elif not turn.success or not turn.reply.strip():
        problems.append("the dialogue produced no reply of its own (fallback)")
    if not obs.speaker_chunks:
        problems.append("no reply audio on /insideout/speaker/audio")
    if not finished and not problems:
        problems.append("the pipeline did not finish speaking in time")
    if problems:
        log("FAILED: " + "; ".join(problems) + " (node logs in out/logs/)")
        return 1
    log("OK: a reply was produced and spoken")
    return 0
