"""Runs inside the nade venv (see eval_dialogue.py): JSON list of texts on stdin -> JSON list of
{emotion: score} (Plutchik's eight: anger, anticipation, disgust, fear, joy, sadness, surprise,
trust) on stdout."""

import json
import sys
import warnings

warnings.filterwarnings("ignore")  # nade warns once per emotion model it unpacks

from nade import Nade  # noqa: E402


def as_float(value):
    """nade gives each score as a one-element list or array of (pyarrow) scalars."""
    if not isinstance(value, (int, float)):
        value = value[0]
    return float(value.as_py() if hasattr(value, "as_py") else value)


def main():
    texts = json.load(sys.stdin)
    model = Nade()
    scores = [{label: as_float(v) for label, v in model.predict(text).items()} for text in texts]
    json.dump(scores, sys.stdout)


if __name__ == "__main__":
    main()
