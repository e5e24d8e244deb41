"""Sample the resident memory of this process and its children while a benchmark runs."""
from __future__ import annotations

import os
import threading
from pathlib import Path


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def rss_mb() -> float:
    """This process's resident memory now, MB."""
    return _rss_kb(os.getpid()) / 1024


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


class PeakMemory:
    """Peak RSS (MB) of this process alone and of it plus its children, sampled every 0.2 s."""

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.peak_self_mb = 0.0
        self.peak_total_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        me = os.getpid()
        own = _rss_kb(me)
        total = own + sum(_rss_kb(c) for c in _children(me))
        self.peak_self_mb = max(self.peak_self_mb, own / 1024)
        self.peak_total_mb = max(self.peak_total_mb, total / 1024)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> "PeakMemory":
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
