"""Peak memory of a process and all its descendants, sampled from /proc (Linux only).

PSS (proportional set size) rather than RSS: pages shared between processes (the GGUF that
llama-server maps, the libraries every ROS node loads, Chromium's shared memory) count once,
split among the processes sharing them, so the sum is what the pipeline really occupies.
Read from /proc directly (psutil is not in the project's lock); the tree: process_tree.py.
"""

import os
import threading
from dataclasses import dataclass, field

from process_tree import PROC, descendants


@dataclass
class MemoryPeak:
    total_bytes: int = 0
    by_program: dict[str, int] = field(default_factory=dict)  # at the moment of the peak

    def describe(self, top: int = 6) -> str:
        ranked = sorted(self.by_program.items(), key=lambda kv: -kv[1])
        listed = [f"{name} {size / 2**20:.0f} MiB" for name, size in ranked[:top]]
        if len(ranked) > top:
            rest = ranked[top:]
            listed.append(f"{len(rest)} others {sum(size for _, size in rest) / 2**20:.0f} MiB")
        return f"{self.total_bytes / 2**30:.2f} GiB ({', '.join(listed)})"


def program_name(pid: int) -> str:
    """'fer_node' for `python .../fer_node --ros-args ...`, 'llama-server', 'chromium', ..."""
    try:
        argv = (PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    args = [a.decode(errors="replace") for a in argv if a]
    if not args:
        return "?"
    name = os.path.basename(args[0])
    if name.startswith("python") and len(args) > 1:
        script = args[2] if args[1] == "-m" and len(args) > 2 else args[1]
        name = os.path.basename(script)
    return name


def pss_bytes(pid: int) -> int:
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def sample(root: int) -> MemoryPeak:
    by_program: dict[str, int] = {}
    for pid in descendants(root):
        size = pss_bytes(pid)
        if size:
            name = program_name(pid)
            by_program[name] = by_program.get(name, 0) + size
    return MemoryPeak(sum(by_program.values()), by_program)


class PeakMemorySampler:
    """Samples a process tree every `interval_s` in a thread until stopped; keeps the peak."""

    def __init__(self, root_pid: int, interval_s: float = 0.5):
        self._root, self._interval = root_pid, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.peak = MemoryPeak()

    def __enter__(self) -> "PeakMemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            now = sample(self._root)
            if now.total_bytes > self.peak.total_bytes:
                self.peak = now
            self._stop.wait(self._interval)
