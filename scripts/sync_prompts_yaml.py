"""Rewrite the prompt texts in config/prompts.yaml from the code's defaults (core/prompts.py),
keeping the file's comments. Run it after changing a default prompt; test_dialogue_config.py
fails until the two agree.

    python scripts/sync_prompts_yaml.py
"""

import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src" / "insideout_common"), str(ROOT / "src" / "insideout_dialogue")]

from insideout_dialogue.core.prompts import (  # noqa: E402
    DEFAULT_AGENT_PROMPTS,
    DEFAULT_AGGREGATOR_PROMPT,
    DEFAULT_WEIGHTED_AGGREGATOR_PROMPT,
)

PATH = ROOT / "config" / "prompts.yaml"


def folded(text: str, indent: int) -> str:
    pad = " " * indent
    return (
        "\n".join(
            textwrap.wrap(
                text,
                width=100 - indent,
                initial_indent=pad,
                subsequent_indent=pad,
                break_on_hyphens=False,
                break_long_words=False,
            )
        )
        + "\n"
    )


def replace_block(text: str, key: str, indent: int, value: str, start: int = 0) -> str:
    """The `key: >-` block at `indent` (searched from `start`) gets `value`."""
    pattern = re.compile(
        rf"(^{' ' * indent}{re.escape(key)}: >-\n)((?:{' ' * (indent + 2)}.*\n)+)", re.MULTILINE
    )
    match = pattern.search(text, start)
    if match is None:
        raise SystemExit(f"{PATH}: no '{key}: >-' block at indent {indent}")
    return text[: match.start(2)] + folded(value, indent + 2) + text[match.end(2) :]


def main() -> None:
    text = PATH.read_text()
    for agent, prompt in DEFAULT_AGENT_PROMPTS.items():
        text = replace_block(text, "prompt", 8, prompt, text.index(f"      {agent}:\n"))
    text = replace_block(text, "aggregator", 6, DEFAULT_AGGREGATOR_PROMPT)
    text = replace_block(text, "weighted_aggregator", 6, DEFAULT_WEIGHTED_AGGREGATOR_PROMPT)
    PATH.write_text(text)


if __name__ == "__main__":
    main()
