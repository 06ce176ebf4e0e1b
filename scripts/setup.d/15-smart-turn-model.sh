#!/usr/bin/env bash
# Smart Turn v3.2, asr_node's end-of-turn model, out of the pinned pipecat-ai wheel into
# models/smart_turn/ (hash-checked; skipped when already there).
set -euo pipefail
cd "$(dirname "$0")/../.."
python scripts/fetch_smart_turn_model.py models/smart_turn >/dev/null
