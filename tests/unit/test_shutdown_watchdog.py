"""The shutdown watchdog: a process whose work cannot be stopped still ends after SIGTERM,
``grace + FORCE_AFTER_S`` later, with exit status 1 and a log line saying why."""

import subprocess
import sys
import textwrap
from pathlib import Path

from entrypoints.http.shutdown import FORCE_AFTER_S

SCRIPT = textwrap.dedent(
    """
    import asyncio, os, signal, threading
    from entrypoints.http.shutdown import Drain

    class StuckJobs:  # jobs that never finish, whatever is cancelled
        async def drain(self, timeout_s):
            await asyncio.sleep(timeout_s)
            return False

        def cancel_all(self):
            pass

    async def main():
        signal.signal(signal.SIGTERM, lambda *_: None)  # the server's handler: it waits on
        threading.Thread(target=threading.Event().wait).start()  # a thread that never ends
        Drain(0.2).install(StuckJobs(), lambda: None, flush_s=0.0)
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.sleep(3600)

    asyncio.run(main())
    """
)


def test_a_process_that_cannot_stop_is_ended_after_the_grace_period() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=60 + FORCE_AFTER_S,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 1, done.stderr
    assert "work still running" in done.stderr and "exiting now" in done.stderr
