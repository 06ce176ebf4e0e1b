# InsideOut: `make demo` runs the pipeline on embedded defaults, `make test` runs the tests.
# Both set everything up first (idempotent): see scripts/setup.sh.
SHELL := /bin/bash
.DEFAULT_GOAL := help
ENV := source scripts/env.sh &&

.PHONY: help setup build demo test test-core bench clean distclean

help:
	@echo "make demo   - set up, then replay the demo bag through the whole pipeline"
	@echo "make test   - set up, then run every test (real rclpy over DDS, real models)"
	@echo "make bench  - set up, then run the benchmark scripts and print their numbers"
	@echo "make setup  - only the set-up (venv, ROS wheels, models, colcon build)"
	@echo "make clean  - remove build/, install/, log/ (keeps .venv)"

setup:
	@scripts/setup.sh

build:
	@scripts/build_workspace.sh

demo: setup
	@$(ENV) python scripts/demo.py

test: setup
	@$(ENV) scripts/fetch_test_data.sh
	@$(ENV) python -m pytest tests

bench: setup
	@$(ENV) scripts/bench.sh

clean:
	rm -rf build install log

distclean: clean
	rm -rf .venv models data
