"""`make demo`'s files: the spoken reply as a WAV file and the timeline of the turn as a PNG."""

import wave
from pathlib import Path

# Colours people expect for each emotion on the timeline.
EMOTION_COLOURS = {
    "anger": "tab:red",
    "contempt": "tab:brown",
    "disgust": "tab:olive",
    "fear": "tab:purple",
    "happiness": "gold",
    "neutral": "tab:gray",
    "sadness": "tab:blue",
    "surprise": "tab:cyan",
}


def write_wav(path: Path, chunks: list[bytes], info) -> float:
    rate = info.sample_rate if info is not None else 16000
    channels = info.channels if info is not None else 1
    data = b"".join(chunks)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)  # S16LE, what tts_node sends
        wav.setframerate(rate)
        wav.writeframes(data)
    return len(data) / 2 / channels / rate


def write_timeline(
    path: Path, obs, marks: dict[str, float | None], question: str, reply: str
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from insideout_common.emotions import LABELS

    fig, ax = plt.subplots(figsize=(12, 5.5), dpi=100)
    if obs.emotions:
        times = np.array([t - obs.t0 for t, _ in obs.emotions])
        scores = np.array(
            [list(m.scores) if m.face_detected else [0.0] * len(LABELS) for _, m in obs.emotions]
        )
        for index, label in enumerate(LABELS):
            if scores[:, index].max() > 0.02:
                ax.plot(
                    times,
                    scores[:, index],
                    label=label,
                    linewidth=1.8,
                    color=EMOTION_COLOURS.get(label),
                )
    rel = {name: (t - obs.t0 if t is not None else None) for name, t in marks.items()}
    if rel.get("speech_start") is not None and rel.get("speech_end") is not None:
        ax.axvspan(
            rel["speech_start"],
            rel["speech_end"],
            color="tab:blue",
            alpha=0.10,
            label="question (audio)",
        )
    if rel.get("reply_audio_start") is not None:
        end = rel.get("reply_audio_end") or rel["reply_audio_start"]
        ax.axvspan(
            rel["reply_audio_start"],
            max(end, rel["reply_audio_start"] + 0.1),
            color="tab:green",
            alpha=0.12,
            label="reply (speaker audio)",
        )
    for name, style in (("transcript", "tab:blue"), ("dialogue_turn", "tab:green")):
        if rel.get(name) is not None:
            ax.axvline(
                rel[name],
                color=style,
                linestyle="--",
                linewidth=1.2,
                label={"transcript": "transcript", "dialogue_turn": "DialogueTurn"}[name],
            )
    ax.set_xlabel("time since the first camera frame [s]")
    ax.set_ylabel("smoothed emotion score")
    ax.set_ylim(-0.02, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    wrap = lambda text: text if len(text) < 110 else text[:107] + "..."  # noqa: E731
    ax.set_title(f"InsideOut demo\nQ: {wrap(question)}\nA: {wrap(reply)}", fontsize=9, loc="left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
