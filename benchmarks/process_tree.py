"""A process and its descendants, and their CPU time, read from /proc (Linux only).

Shared by the benchmarks that measure a node or the whole pipeline with everything it started
(bench_fer, bench_web_view, bench_pipeline's memory sampler). psutil is not in the project's
lock, and this needs only /proc/<pid>/stat.
"""

import os
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, ...), or None when the
    process is gone. The name in parentheses may itself contain spaces or parentheses."""
    try:
        return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def descendants(root: int) -> list[int]:
    """`root` and every process below it, as one scan of /proc finds them."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir(PROC):
        if entry.isdigit():
            fields = stat_fields(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads); 0 when it is gone."""
    fields = stat_fields(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_cpu_seconds(root: int) -> float:
    """utime + stime of `root` and all its descendants."""
    return sum(cpu_seconds(pid) for pid in descendants(root))
