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


def jax_environment() -> dict:
    """This process's environment with Keras on JAX (CPU) and TensorFlow's start-up lines off."""
    import os
    return {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}


def run_under_jax(code: str, *args, timeout: float = 600):
    """Run Python ``code`` (with ``args`` as sys.argv[1:]) in a fresh JAX-backend process from the repository
    root; returns the subprocess.CompletedProcess with its text output."""
    import subprocess
    import sys
    from pathlib import Path
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], env=jax_environment(), capture_output=True,
                          text=True, timeout=timeout, cwd=Path(__file__).resolve().parents[1])
