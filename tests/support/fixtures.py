"""pytest fixtures shared by the test packages (imported by tests/conftest.py)."""

import pytest

from support.ros_harness import NodeProcess, RosHarness


@pytest.fixture
def ros():
    harness = RosHarness()
    yield harness
    harness.close()


@pytest.fixture
def spawn_node(request):
    """Start node processes; stop them at teardown and print their output when the test failed."""
    started = []

    def spawn(*args, **kwargs) -> NodeProcess:
        process = NodeProcess(*args, **kwargs)
        started.append(process)
        return process

    yield spawn
    for process in started:
        process.stop()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(f"\n----- output of {' '.join(process.command)} -----\n{process.output()}")
