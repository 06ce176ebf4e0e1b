#!/usr/bin/env bash
# Generate the demo bag (data/demo_bag: camera frames + a spoken question, rosbag2 MCAP) with
# scripts/make_demo_bag.py. Skipped when the bag exists and was made by the same generator.
set -euo pipefail
cd "$(dirname "$0")/../.."
BAG=data/demo_bag
# The bag depends on the generator, the bag writer and the espeak-ng voice.
want=$( (cat scripts/make_demo_bag.py src/insideout_common/insideout_common/bags/*.py \
         src/audio_common_msgs/msg/*.msg; espeak-ng --version) | sha256sum | cut -d' ' -f1)
if [ -f "$BAG/metadata.yaml" ] && [ "$(cat data/.demo_bag.sha256 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "[setup] generating the demo bag ($BAG)"
python scripts/make_demo_bag.py "$BAG"
echo "$want" > data/.demo_bag.sha256
