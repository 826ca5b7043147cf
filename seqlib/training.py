"""Training and evaluation with the paper's protocol (Methods §4), seeded and guarded against NaN.

Defaults are the authors': Adam (lr 1e-3), binary cross-entropy on sigmoid outputs, batch 100 shuffled
every epoch, at most 100 epochs, early stopping (patience 20) and ReduceLROnPlateau (factor 0.2,
patience 5, min 1e-7) on the validation monitor, and the **last-epoch** weights kept
(``restore_best=False``), as in their scripts.

Two deliberate differences, both documented in the book:

* The validation monitor (``val_aupr`` / ``val_auroc``) is computed exactly with scikit-learn on the
  whole validation set each epoch (mean over classes, trapezoid AUPR), the same numbers as the paper's
  test metrics. The authors' Keras ``AUC`` metric used 200 thresholds and pooled all classes (micro).
* Training-set AUC metrics are not tracked (they cost time and nothing uses them).

Each epoch also records the gradient of the training loss with respect to the first-layer kernel
(:func:`first_layer_gradient`, Supp Fig 4): its mean and standard deviation over the kernel's elements go
into the history as ``grad_mean`` and ``grad_std``. The authors took it on the whole training set; here it is
taken on the first ``TrainConfig.grad_sequences`` training sequences (1,000 by default, about 2% of a Task-1
epoch's work) in inference mode (dropout off, batch norm on its moving statistics), so it draws no random
numbers and the trained weights are the same with or without it.

The loop is Keras' ``fit`` fed by an in-memory ``tf.data`` pipeline with several steps per compiled call
(``steps_per_execution``) and large evaluation batches; ``benchmarks/bench_training.py`` measures what
this buys against a plain ``model.fit`` on numpy arrays.

A faster path keeps this protocol and the architecture and changes only how a step is computed: models
built with ``build_model(..., fast=True)`` (fused batch norm and cheaper dropout masks,
:mod:`seqlib.layers`) trained in processes that switch TensorFlow's oneDNN kernels on
(``pin_threads(threads, onednn=True)`` in a fresh process). ``benchmarks/bench_fast_training.py``
measures it against today's runner and ``benchmarks/fidelity_guard.py`` checks that the paper's
measurements (test AUROC, filter match fractions) do not move. The reference path stays the default.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from ._backend import load_keras, per_model
from .datasets import Split
from .errors import TrainingDivergedError
from .metrics import binary_crossentropy, classification_metrics

MONITOR_MODES = {"val_aupr": "max", "val_auroc": "max", "val_loss": "min"}

#: Epochs at the end of a run over which :func:`late_gain` reads whether it has levelled off.
LATE_EPOCHS = 3


def late_gain(values, mode: str = "max", last: int = LATE_EPOCHS) -> float:
    """Share of a run's gain on a validation metric that its last ``last`` epochs made.

    The gain is read on the best-so-far curve (running maximum for ``mode="max"``, running minimum for
    ``"min"``), from the first epoch to the last: 0 when the last epochs improved nothing (the run has levelled
    off, or early stopping waited past its best epoch), 1 when all of the run's progress came in them.

    Parameters
    ----------
    values : array_like, shape=(E,)
        The metric per epoch.
    mode : {"max", "min"}
        Whether larger values are better.
    last : int
        Epochs at the end.

    Returns
    -------
    float
        In [0, 1]; 0 for a run that never improved; NaN for a run of ``last`` epochs or fewer.
    """
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min'; got {mode!r}")
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or len(v) <= last:
        return float("nan")
    best = np.maximum.accumulate(v) if mode == "max" else -np.minimum.accumulate(v)
    start = v[0] if mode == "max" else -v[0]
    total = best[-1] - start
    if not np.isfinite(total) or total <= 0:
        return 0.0
    return float((best[-1] - best[-1 - last]) / total)


@dataclass(frozen=True)
class TrainConfig:
    """Training protocol. Every field has the paper's value as default.

    Attributes
    ----------
    epochs : int
        Maximum number of epochs (paper: 100).
    batch_size : int
        Training batch size (paper: 100).
    learning_rate : float
        Adam learning rate (paper: 1e-3).
    patience : int or None
        Early-stopping patience in epochs (paper: 20); None trains all ``epochs``.
    lr_patience, lr_factor, min_lr
        ReduceLROnPlateau (paper: 5, 0.2, 1e-7); ``lr_patience=None`` disables it.
    monitor : {"val_aupr", "val_auroc", "val_loss"}
        Paper: val_aupr for Tasks 1-2, val_auroc for Task 3, the in vivo tasks and the controls.
    restore_best : bool
        Restore the weights of the best monitored epoch at the end (paper: False, last epoch kept).
    seed : int
        Seeds weight initialisation, dropout and shuffling.
    eval_batch_size : int
        Batch size for validation/test predictions (no effect on results).
    grad_sequences : int or None
        Training sequences (the first ones) on which the first-layer kernel gradient is recorded each epoch
        (``grad_mean``/``grad_std`` in the history); None or 0 records nothing. No effect on the weights.
    steps_per_execution : int
        Training steps per compiled call (no effect on results; fewer Python round trips).
    """

    epochs: int = 100
    batch_size: int = 100
    learning_rate: float = 1e-3
    patience: int | None = 20
    lr_patience: int | None = 5
    lr_factor: float = 0.2
    min_lr: float = 1e-7
    monitor: str = "val_aupr"
    restore_best: bool = False
    seed: int = 0
    eval_batch_size: int = 2000
    steps_per_execution: int = 16
    grad_sequences: int | None = 1000

    def __post_init__(self):
        if self.monitor not in MONITOR_MODES:
            raise ValueError(f"monitor must be one of {sorted(MONITOR_MODES)}; got {self.monitor!r}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be positive")

    def to_dict(self) -> dict:
        return asdict(self)


#: Environment variable TensorFlow reads once, on import, to route convolutions, pooling, batch norm and
#: matrix products through oneDNN. Its default depends on the CPU: on for processors with AVX512_VNNI,
#: AVX512_BF16 or AMX, off otherwise (e.g. on AVX2-only processors).
ONEDNN_VARIABLE = "TF_ENABLE_ONEDNN_OPTS"


def enable_onednn(enable: bool = True) -> bool:
    """Ask TensorFlow to use (or not) its oneDNN kernels in this process, before it is imported.

    Part of the fast training path (Methods §4): on an AVX2-only CPU the oneDNN convolution gradients
    and fused batch norm are faster than TensorFlow's own kernels. oneDNN sums in another order, so
    weights differ from the other kernels' at float32 round-off, then drift apart as between two
    machines; results are guarded like the rest of the fast path (``benchmarks/fidelity_guard.py``).

    Returns
    -------
    bool
        True if the setting will apply; False if TensorFlow was already imported in this process (then
        the variable is left as it was and the process keeps its current kernels).
    """
    if "tensorflow" in sys.modules:
        return os.environ.get(ONEDNN_VARIABLE) == ("1" if enable else "0")
    os.environ[ONEDNN_VARIABLE] = "1" if enable else "0"
    return True


def onednn_enabled() -> bool | None:
    """Whether this process asked for oneDNN (True/False), or None when TensorFlow decides by CPU."""
    value = os.environ.get(ONEDNN_VARIABLE)
    return None if value is None else value.strip().lower() in ("1", "true")


def pin_threads(threads: int = 1, onednn: bool | None = None) -> None:
    """Fix TensorFlow's CPU thread pools (intra-op ``threads``, inter-op 1).

    Floating-point reductions depend on the thread count (weights differ at ~1e-5 between 1 and 2
    threads), so the run workers pin it: a run's weights then do not depend on the core count or on how
    many runs train at once. They are bit-identical on one machine, not across processor models
    (oneDNN chooses its kernels per CPU; Methods §4).
    Must be called before TensorFlow runs its first op; a no-op on other backends. ``onednn`` (True or
    False) also calls :func:`enable_onednn` first, which only takes effect before TensorFlow is imported
    (a fresh worker process); None leaves TensorFlow's own choice.
    """
    if onednn is not None:
        enable_onednn(onednn)
    keras = load_keras()

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(1)


def set_seed(seed: int, deterministic: bool = True) -> None:
    """Seed Python, numpy and the Keras backend; on TensorFlow also make ops deterministic."""
    import keras

    keras.utils.set_random_seed(int(seed))
    if deterministic and keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()


def predict(model, X, batch_size: int = 2000) -> np.ndarray:
    """Model outputs for ``X`` of shape (N, L, 4), in batches, as a float32 array (N, T)."""
    X = np.asarray(X, dtype=np.float32)
    outputs = [np.asarray(model(X[i:i + batch_size], training=False)) for i in range(0, len(X), batch_size)]
    return np.concatenate(outputs).astype(np.float32) if outputs else np.zeros((0, model.output_shape[-1]), np.float32)


def evaluate(model, split: Split, batch_size: int = 2000) -> dict:
    """Test metrics exactly as the paper: per-class AUROC and trapezoid AUPR, their means, and the loss.

    Returns
    -------
    dict with ``auroc``, ``aupr``, ``auroc_per_class``, ``aupr_per_class``, ``loss``, ``n``, ``n_classes``
    """
    scores = predict(model, split.X, batch_size)
    result = classification_metrics(split.y, scores)
    result["loss"] = binary_crossentropy(split.y, scores)
    return result


def compile_setting():
    """The ``jit_compile`` argument for this Keras backend: False on TensorFlow (its XLA path is far slower on a
    CPU for these small models), ``"auto"`` elsewhere (JAX compiles the training step; eager JAX is two orders of
    magnitude slower; ``benchmarks/gpu/README.md``)."""
    return False if load_keras().backend.backend() == "tensorflow" else "auto"


def first_layer_kernel(model):
    """The kernel variable of a model's first convolution (shape ``(W, 4, F)``), or None if it has none."""
    for layer in model.layers:
        if isinstance(layer, load_keras().layers.Conv1D):
            return layer.kernel
    return None


def first_layer_gradient(model, X, y, batch_size: int = 500) -> np.ndarray | None:
    """Gradient of the mean binary cross-entropy over ``(X, y)`` with respect to the first-layer kernel.

    The model runs in inference mode (dropout off, batch norm on its moving statistics), so nothing random
    is drawn and no state changes. Batches are combined with weights proportional to their size, so the
    result is the gradient of the loss over all of ``X``.

    Parameters
    ----------
    model : keras.Model
        With a Conv1D first layer (sigmoid outputs ``(N, T)``).
    X : array, shape=(N, L, 4)
    y : array, shape=(N, T)
    batch_size : int
        Sequences per forward/backward pass (no effect on the result beyond float32 round-off).

    Returns
    -------
    numpy.ndarray of the kernel's shape ``(W, 4, F)``, float64, or None when the model has no Conv1D layer
    or the Keras backend is neither TensorFlow nor JAX.
    """
    keras = load_keras()
    kernel = first_layer_kernel(model)
    backend = keras.backend.backend()
    if kernel is None or backend not in ("tensorflow", "jax") or len(X) == 0:
        return None
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    bce = keras.losses.BinaryCrossentropy()
    if backend == "tensorflow":
        import tensorflow as tf

        def build():
            @tf.function(reduce_retracing=True)
            def grad(xb, yb):
                with tf.GradientTape() as tape:
                    loss = bce(yb, model(xb, training=False))
                return tape.gradient(loss, kernel.value)
            return grad

        batch_gradient = per_model(model, ("first-layer gradient",), build)
    else:
        import jax

        trainable = [v.value for v in model.trainable_variables]
        others = [v.value for v in model.non_trainable_variables]
        index = next(i for i, v in enumerate(model.trainable_variables) if v is kernel)

        def build():
            def loss_of(k, trainable, others, xb, yb):
                values = list(trainable)
                values[index] = k
                out, _ = model.stateless_call(values, others, xb, training=False)
                return bce(yb, out)
            return jax.jit(jax.grad(loss_of))

        grad = per_model(model, ("first-layer gradient",), build)
        batch_gradient = lambda xb, yb: grad(trainable[index], trainable, others, xb, yb)  # noqa: E731
    total = np.zeros(tuple(kernel.shape), dtype=np.float64)
    for i in range(0, len(X), batch_size):
        xb, yb = X[i:i + batch_size], y[i:i + batch_size]
        total += np.asarray(batch_gradient(xb, yb), dtype=np.float64) * len(xb)
    return total / len(X)


def _describe(model) -> str:
    try:
        act = model.get_layer("conv1_activation").activation
        name = getattr(act, "name", None) or getattr(act, "__name__", None) or str(act)
    except (ValueError, AttributeError):
        name = "unknown"
    return f"model {model.name!r} with first-layer activation {name!r}"


def _check_finite_weights(model, epoch: int) -> None:
    for w in model.weights:
        value = np.asarray(w)
        if not np.isfinite(value).all():
            raise TrainingDivergedError(f"training diverged at epoch {epoch + 1}: weight {w.path!r} holds NaN/inf "
                                        f"({_describe(model)}); try a smaller learning rate or another initializer")


def _make_callback(model, valid: Split, config: TrainConfig, history: dict, bar, on_epoch=None, grad_data=None):
    import keras

    mode = MONITOR_MODES[config.monitor]
    state = {"best": -math.inf if mode == "max" else math.inf, "best_weights": None, "epoch_start": 0.0}

    class EpochEnd(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            state["epoch_start"] = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            loss = None if logs is None else logs.get("loss")
            if loss is not None and not math.isfinite(float(loss)):
                raise TrainingDivergedError(f"training diverged at epoch {len(history['loss']) + 1}: the loss became "
                                            f"{float(loss)} ({_describe(model)})")

        def on_epoch_end(self, epoch, logs=None):
            logs = logs if logs is not None else {}
            loss = float(logs.get("loss", float("nan")))
            if not math.isfinite(loss):
                raise TrainingDivergedError(f"training diverged at epoch {epoch + 1}: the loss became {loss} "
                                            f"({_describe(model)})")
            _check_finite_weights(model, epoch)
            scores = predict(model, valid.X, config.eval_batch_size)
            if not np.isfinite(scores).all():
                raise TrainingDivergedError(f"training diverged at epoch {epoch + 1}: validation predictions are "
                                            f"NaN/inf ({_describe(model)})")
            val = classification_metrics(valid.y, scores)
            logs.update(val_loss=binary_crossentropy(valid.y, scores), val_auroc=val["auroc"], val_aupr=val["aupr"])
            if grad_data is not None:
                grad = first_layer_gradient(model, *grad_data)
                if grad is not None:
                    history.setdefault("grad_mean", []).append(float(grad.mean()))
                    history.setdefault("grad_std", []).append(float(grad.std()))
            lr = float(np.asarray(model.optimizer.learning_rate))
            for key, value in (("loss", loss), ("val_loss", logs["val_loss"]), ("val_auroc", val["auroc"]),
                               ("val_aupr", val["aupr"]), ("lr", lr),
                               ("seconds", time.perf_counter() - state["epoch_start"])):
                history[key].append(float(value))
            current = logs[config.monitor]
            if (current > state["best"]) if mode == "max" else (current < state["best"]):
                state["best"] = current
                history["best_epoch"] = epoch
                if config.restore_best:
                    state["best_weights"] = model.get_weights()
            if bar is not None:
                bar.set_postfix(loss=f"{loss:.3f}", val_auroc=f"{val['auroc']:.3f}", val_aupr=f"{val['aupr']:.3f}")
                bar.update(1)
            if on_epoch is not None:
                on_epoch(epoch, {k: history[k][-1] for k in ("loss", "val_auroc", "val_aupr", "seconds")})

    return EpochEnd(), state


def _dataset(split: Split, batch_size: int, seed: int):
    import keras

    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((split.X.astype(np.float32), split.y.astype(np.float32)))
    ds = ds.shuffle(len(split), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    return ds.prefetch(tf.data.AUTOTUNE)


def fit(model, train: Split, valid: Split, config: TrainConfig = TrainConfig(), *, progress: bool = True,
        description: str = "training", on_epoch=None) -> dict:
    """Train ``model`` on ``train`` with the paper's protocol; validate on ``valid`` every epoch.

    Call :func:`set_seed` before building the model so that initial weights are seeded too
    (:func:`train_model` does both).

    Parameters
    ----------
    model : keras.Model
        Maps (N, L, 4) to sigmoid probabilities (N, T); not yet compiled.
    train, valid : Split
    config : TrainConfig
    progress : bool
        A tqdm bar over epochs with the latest loss and validation metrics.
    on_epoch : callable, optional
        Called as ``on_epoch(epoch, {"loss", "val_auroc", "val_aupr", "seconds"})`` after each epoch
        (the run workers use it to report progress to the parent process).

    Returns
    -------
    dict
        Per-epoch lists ``loss``, ``val_loss``, ``val_auroc``, ``val_aupr``, ``lr``, ``seconds``, ``grad_mean``
        and ``grad_std`` (first-layer kernel gradient, :func:`first_layer_gradient`; absent when
        ``config.grad_sequences`` is 0/None or the backend is not TensorFlow or JAX), plus ``best_epoch``
        (0-based) and ``stopped_epoch`` (epochs actually trained).

    Raises
    ------
    TrainingDivergedError
        The loss, a weight or a validation prediction became NaN/inf; the message names the epoch and
        the first-layer activation.
    """
    import keras

    # TensorFlow: a traced graph without XLA (XLA is ~17x slower on a CPU for these models). JAX and other
    # backends: Keras' "auto" compiles the step; without it JAX runs every op eagerly (~125x slower on a GPU).
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
                  loss=keras.losses.BinaryCrossentropy(), steps_per_execution=config.steps_per_execution,
                  jit_compile=compile_setting())
    history = {k: [] for k in ("loss", "val_loss", "val_auroc", "val_aupr", "lr", "seconds")}
    history["best_epoch"] = None
    bar = None
    if progress:
        from tqdm import tqdm  # text bars: no ipywidgets needed in notebooks
        bar = tqdm(total=config.epochs, desc=description, unit="epoch", leave=False)
    grad_data = None
    if config.grad_sequences:
        grad_data = (train.X[:config.grad_sequences], train.y[:config.grad_sequences])
    callback, state = _make_callback(model, valid, config, history, bar, on_epoch, grad_data)
    mode = MONITOR_MODES[config.monitor]
    callbacks = [callback]
    if config.lr_patience is not None:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor=config.monitor, factor=config.lr_factor,
                                                           patience=config.lr_patience, min_lr=config.min_lr,
                                                           mode=mode, verbose=0))
    if config.patience is not None:
        callbacks.append(keras.callbacks.EarlyStopping(monitor=config.monitor, patience=config.patience, mode=mode,
                                                       restore_best_weights=False, verbose=0))
    data = _dataset(train, config.batch_size, config.seed)
    try:
        if data is not None:
            model.fit(data, epochs=config.epochs, callbacks=callbacks, verbose=0, shuffle=False)
        else:
            model.fit(train.X, train.y, batch_size=config.batch_size, epochs=config.epochs, shuffle=True,
                      callbacks=callbacks, verbose=0)
    finally:
        if bar is not None:
            bar.close()
    if config.restore_best and state["best_weights"] is not None:
        model.set_weights(state["best_weights"])
    history["stopped_epoch"] = len(history["loss"])
    return history


def train_model(build, train: Split, valid: Split, config: TrainConfig = TrainConfig(), **kwargs):
    """Seed, build and train: ``build()`` must return a fresh keras.Model. Returns ``(model, history)``."""
    set_seed(config.seed)
    model = build()
    history = fit(model, train, valid, config, **kwargs)
    return model, history

