"""Claim a ROS_DOMAIN_ID that no other test run on this machine holds, with a file lock."""

import fcntl
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Ids 0-101 keep Fast DDS ports below the Linux ephemeral range; low ids are left to real robots.
FIRST_DOMAIN, LAST_DOMAIN = 60, 101
LOCK_DIR = Path(tempfile.gettempdir()) / "insideout-ros-domains"


@dataclass
class DomainClaim:
    domain_id: int
    _lock_file: object

    def release(self):
        fcntl.flock(self._lock_file, fcntl.LOCK_UN)
        self._lock_file.close()


def claim_isolated_domain() -> DomainClaim:
    LOCK_DIR.mkdir(exist_ok=True)
    start = os.getpid() % (LAST_DOMAIN - FIRST_DOMAIN + 1)
    span = LAST_DOMAIN - FIRST_DOMAIN + 1
    for offset in range(span):
        domain_id = FIRST_DOMAIN + (start + offset) % span
        lock_file = open(LOCK_DIR / f"{domain_id}.lock", "w")
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            continue
        return DomainClaim(domain_id, lock_file)
    raise RuntimeError(f"every ROS domain {FIRST_DOMAIN}-{LAST_DOMAIN} is held by another test run")
