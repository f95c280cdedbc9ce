"""The launcher's supervisor: a child that dies is restarted, with a delay that doubles."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from teacherpool.launcher import Child, Supervisor


class FakeProcess(subprocess.Popen[bytes]):
    """Stands in for a Popen, starting no process: alive until told to die. The supervisor asks
    only for its pid, poll() and returncode."""

    count = 0

    def __init__(self) -> None:  # Popen.__init__ is not called: there is nothing to start
        FakeProcess.count += 1
        self.pid = 1000 + FakeProcess.count
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode

    def die(self, code: int = -9) -> None:
        self.returncode = code


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def supervised(clock: Clock) -> tuple[Child, Supervisor, list[str]]:
    child = Child("talent", FakeProcess(), None, restart=FakeProcess)
    lines: list[str] = []
    supervisor = Supervisor(
        [child], log=lines.append, first_delay=1, max_delay=8, reset_after=60, clock=clock
    )
    supervisor.check()
    return child, supervisor, lines


def process(child: Child) -> Any:
    return child.process


def test_a_dead_child_is_restarted_after_the_first_delay_and_logged():
    clock = Clock()
    child, supervisor, lines = supervised(clock)
    first = process(child)
    first.die(-9)
    supervisor.check()
    assert process(child) is first
    assert lines == ["talent exited with -9; restarting in 1s"]
    clock.now += 1
    supervisor.check()
    assert process(child) is not first
    assert process(child).poll() is None
    assert supervisor.restarts == {"talent": 1}
    assert lines[-1].startswith("talent restarted (pid ")


def test_the_delay_doubles_while_it_keeps_dying_up_to_the_cap_then_resets_once_healthy():
    clock = Clock()
    child, supervisor, lines = supervised(clock)
    delays = []
    for _ in range(6):
        process(child).die(1)
        supervisor.check()
        delay = float(lines[-1].rsplit(" ", 1)[1].rstrip("s"))
        delays.append(delay)
        clock.now += delay
        supervisor.check()
    assert delays == [1, 2, 4, 8, 8, 8]
    clock.now += 61
    process(child).die(1)
    supervisor.check()
    assert lines[-1] == "talent exited with 1; restarting in 1s"


def test_a_real_process_is_restarted():
    def spawn() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])

    clock = Clock()
    child = Child("sharing", spawn(), None, restart=spawn)
    lines: list[str] = []
    supervisor = Supervisor([child], log=lines.append, first_delay=0, clock=clock)
    supervisor.check()
    first = child.process
    try:
        first.kill()
        first.wait()
        supervisor.check()
        assert child.process is not first
        assert child.process.poll() is None
    finally:
        for proc in (first, child.process):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
