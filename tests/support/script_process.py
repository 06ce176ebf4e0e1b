"""Run one of the tests' own helper scripts (tests/support/*.py) as a separate process."""

import os
import signal
import subprocess
import sys
from pathlib import Path

SUPPORT_DIR = Path(__file__).resolve().parent


class ScriptProcess:
    def __init__(self, script: str, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, str(SUPPORT_DIR / script), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(os.environ),
            start_new_session=True,
        )

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.communicate()[0].decode(errors="replace")
