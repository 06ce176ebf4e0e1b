"""benchmarks/pipeline_memory.py: bench_pipeline's peak-memory sampler, on real child processes."""

import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from pipeline_memory import PeakMemorySampler, program_name  # noqa: E402

# A parent that starts a grandchild which holds 300 MiB of its own (touched) memory for a while.
HOLDER = textwrap.dedent("""
    import subprocess, sys
    grandchild = subprocess.Popen([sys.executable, "-c",
        "import time; block = bytearray(300 * 2**20); block[::4096] = b'x' * len(block[::4096]); "
        "print('ready', flush=True); time.sleep(3)"], stdout=subprocess.PIPE, text=True)
    print(grandchild.stdout.readline(), end="", flush=True)
    grandchild.wait()
""")


def test_the_peak_counts_a_grandchilds_memory_under_its_program_name():
    parent = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True)
    with PeakMemorySampler(parent.pid, interval_s=0.1) as memory:
        assert parent.stdout.readline().strip() == "ready"
        parent.wait(timeout=30)
    peak = memory.peak
    assert peak.total_bytes >= 300 * 2**20
    # Both processes run `python -c`, so both are named "-c"; the grandchild's 300 MiB is there.
    assert peak.by_program["-c"] >= 300 * 2**20
    assert peak.describe().startswith(f"{peak.total_bytes / 2**30:.2f} GiB (-c ")


def test_a_node_is_named_by_its_script_not_by_python(tmp_path):
    script = tmp_path / "fer_node"
    script.write_text("import time; time.sleep(5)\n")
    node = subprocess.Popen([sys.executable, str(script), "--ros-args", "-r", "__node:=fer"])
    try:
        # Right after Popen returns, /proc/<pid>/cmdline can still be empty for a moment.
        deadline = time.monotonic() + 5
        while program_name(node.pid) == "?" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert program_name(node.pid) == "fer_node"
    finally:
        node.kill()
        node.wait()
