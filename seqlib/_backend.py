"""Import Keras (and TensorFlow) without TensorFlow's start-up noise.

TensorFlow's C++ runtime writes lines such as "Could not find cuda drivers", "failed call to cuInit" and
absl's "All log messages before absl::InitializeLog()" straight to file descriptor 2, before Python's
logging exists. In a Jupyter kernel that descriptor is forwarded to the notebook, so every executed
chapter would open with them. :func:`load_keras` imports the backend once with descriptor 2 captured;
if the import fails, the captured text is written back to stderr before the error propagates, so
nothing useful is lost. ``TF_CPP_MIN_LOG_LEVEL`` defaults to 3 (errors from the C++ runtime hidden;
Python exceptions are unaffected); set it yourself to see them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import weakref


@contextlib.contextmanager
def _capture_fd2():
    """Redirect file descriptor 2 into a temporary file; yield a function that returns what was written."""
    try:
        sys.stderr.flush()
    except (AttributeError, ValueError):
        pass
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)

        def read() -> str:
            sink.seek(0)
            return sink.read().decode(errors="replace")

        try:
            yield read
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class _RetracingFilter(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" warning. seqlib compiles one function per model
    and attribution method on purpose (cached per model), so scoring twenty models warns twenty times about
    the design rather than about a problem; every other TensorFlow warning passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def _quiet_retracing() -> None:
    logger = logging.getLogger("tensorflow")
    if not any(isinstance(f, _RetracingFilter) for f in logger.filters):
        logger.addFilter(_RetracingFilter())


def load_keras():
    """The ``keras`` module, imported quietly on first use (see the module docstring)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "keras" not in sys.modules:
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
        with _capture_fd2() as captured:
            try:
                if backend == "tensorflow":
                    import tensorflow  # noqa: F401
                import keras  # noqa: F401
            except BaseException:
                text = captured()
                if text:
                    sys.stderr.write(text)
                raise
    if "tensorflow" in sys.modules:        # also when Keras was imported before seqlib
        _quiet_retracing()
    return sys.modules["keras"]


#: Compiled functions per model (key -> callable), dropped with the model.
_COMPILED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def per_model(model, key: tuple, build):
    """``build()`` once per ``model`` and ``key``, kept while the model lives: compiled functions (a traced
    ``tf.function``, a ``jax.jit``) are reused on later calls instead of being traced again."""
    cache = _COMPILED.setdefault(model, {})
    if key not in cache:
        cache[key] = build()
    return cache[key]
