"""Pieces of benchmarks/bench_fer_accuracy.py: labelled images, the frames built from them,
metrics."""
