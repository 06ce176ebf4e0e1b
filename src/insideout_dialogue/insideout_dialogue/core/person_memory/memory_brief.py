"""The recalled memories as a few lines for the agents' and the aggregator's prompts, within a
character budget (the pace targets allow a few dozen tokens more per prompt)."""

from insideout_dialogue.core.person_memory.store import Memory, PastConversation

BRIEF_HEADER = (
    "From earlier conversations with this person (use it when it helps the answer; do not "
    "list it back):"
)
# An emotion label as the user seemed, for the tone line.
_SEEMED = {
    "happiness": "happy",
    "sadness": "sad",
    "fear": "worried",
    "anger": "angry",
    "surprise": "surprised",
    "disgust": "disgusted",
    "contempt": "dismissive",
}


def how_long_ago(then: float, now: float) -> str:
    seconds = max(now - then, 0.0)
    days = seconds / 86400.0
    if seconds < 3600:
        return "just now"
    if days < 1:
        return "earlier today"
    if days < 2:
        return "yesterday"
    if days < 14:
        return f"{int(days)} days ago"
    return f"{int(days // 7)} weeks ago"


def memory_brief(
    memories: list[Memory],
    last: PastConversation | None,
    now: float,
    max_chars: int = 400,
) -> str:
    """The prompt lines, or "" when there is nothing to say. Memories come in recall order (most
    relevant first) and are cut at the budget, never mid-line."""
    lines = []
    if last is not None and last.emotion in _SEEMED:
        lines.append(
            f"- Last time ({how_long_ago(last.ended, now)}) they seemed {_SEEMED[last.emotion]}."
        )
    for memory in memories:
        lines.append(f"- {memory.text} ({how_long_ago(memory.said, now)})")
    if not lines:
        return ""
    kept, used = [], len(BRIEF_HEADER)
    for line in lines:
        if used + 1 + len(line) > max_chars:
            break
        kept.append(line)
        used += 1 + len(line)
    return "\n".join([BRIEF_HEADER, *kept]) if kept else ""
