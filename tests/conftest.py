"""Test-wide set-up: every test run gets its own ROS domain so parallel runs never cross-talk."""

import os
import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS_DIR))

from support.ros_domain import claim_isolated_domain  # noqa: E402

_DOMAIN_CLAIM = None


def pytest_configure(config):
    global _DOMAIN_CLAIM
    # Before any rclpy.init, in this process and (through the environment) in every node we spawn.
    _DOMAIN_CLAIM = claim_isolated_domain()
    os.environ["ROS_DOMAIN_ID"] = str(_DOMAIN_CLAIM.domain_id)
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    os.environ.setdefault("RCUTILS_COLORIZED_OUTPUT", "0")
    os.environ["PYTHONUNBUFFERED"] = "1"


def pytest_report_header(config):
    return (
        f"ROS_DOMAIN_ID={os.environ.get('ROS_DOMAIN_ID')} (claimed for this run), "
        "discovery LOCALHOST"
    )


def pytest_unconfigure(config):
    if _DOMAIN_CLAIM is not None:
        _DOMAIN_CLAIM.release()


import pytest  # noqa: E402
from support.fixtures import ros, spawn_node  # noqa: E402,F401


def pytest_collection_modifyitems(config, items):
    # `make test-fast` runs -m "not dds and not slow": a test that starts nodes (the ros and
    # spawn_node fixtures) is a DDS test; modules that start processes otherwise say so themselves.
    for item in items:
        if {"ros", "spawn_node"} & set(item.fixturenames):
            item.add_marker(pytest.mark.dds)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Lets fixtures see whether the test failed (to print node output only then).
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)
