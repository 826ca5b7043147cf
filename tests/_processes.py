"""Process helpers shared by the tests that kill work and check that nothing is left running."""

from __future__ import annotations


def descendants(pid: int) -> list:
    """Every live child process of ``pid``, recursively (psutil.Process objects); [] when it is gone."""
    import psutil
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def alive(processes) -> list:
    """Those of ``processes`` still running (zombies count as gone)."""
    import psutil
    out = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out
