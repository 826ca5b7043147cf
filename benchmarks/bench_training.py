"""Benchmark: CNN-deep training throughput on Task 1, plain ``model.fit`` vs seqlib's loop, side by side.

For each loop it trains CNN-deep (exponential first layer) on the full Task-1 training set (21,000
sequences, batch 100) with validation on 3,000 sequences every epoch, and reports the steady-state
epoch time (median of the epochs after the first, which pays for tracing; the best epoch is printed
too because this VM's epoch times vary by up to 2x), sequences per second and the achieved FLOP rate
as a fraction of the machine's float32 limit.

* FLOPs are counted from the model's layers: a Conv1D or Dense does ``2 × outputs × fan-in`` multiply-adds
  forward; training does the forward pass, the weight gradient (same cost) and the input gradient (same
  cost, not needed for the first layer). Validation adds one forward pass per validation sequence.
* The limit is 200 GFLOP/s (this 2-core machine, as stated in the issue); a compiled 4096² float32 matmul
  peak is also measured in the same run (≈ 240 GFLOP/s here) and the fraction of it is printed too.
* The model's own GEMMs bound what any loop can reach: every Conv1D/Dense forward, weight-gradient and
  input-gradient GEMM of a batch of 100 is timed alone in a compiled loop, and their FLOP-weighted rate is
  printed as the "GEMM ceiling", once with this process's threads (for the fit loops) and once in a
  single-thread process, times the number of workers (for run_grid); the fraction of it is printed too.
  The gap between the ceiling and a loop's rate is what the rest of a training step costs.
* "plain fit" is what the paper's scripts do: numpy arrays, batch 100, Keras metrics accuracy + AUC(ROC) +
  AUC(PR) on training and validation, ``validation_data`` each epoch, TensorFlow's default threads.
* "seqlib fit" is :func:`seqlib.training.fit` in the same process (tf.data pipeline, several steps per
  compiled call, exact validation metrics with large batches, no training-set AUC).
* "seqlib run_grid" is how the project trains: runs in worker processes pinned to 1 thread each, as many
  workers as cores, here two runs (two trials) at once; its rate is the sum over the concurrent runs.
* "breakdown": seqlib's fit, single-threaded in a fresh process like a run_grid worker, on copies of the
  model with its dropout and/or batch-norm layers replaced by the identity (same FLOP count), to show how
  much of an epoch goes to those memory-bound layers (dropout masks, BN statistics, their gradients).

    .venv/bin/python benchmarks/bench_training.py [--epochs 5] [--n-train 21000] [--breakdown-epochs 5]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

LIMIT_GFLOPS = 200.0


def layer_flops(model) -> tuple[float, float]:
    """Forward FLOPs per sequence and training FLOPs per sequence (fwd + weight grad + input grad)."""
    import keras

    forward = 0.0
    train = 0.0
    first = True
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv1D):
            _, length, filters = layer.output.shape
            kernel, channels_in = layer.kernel.shape[0], layer.kernel.shape[1]
            f = 2.0 * length * filters * kernel * channels_in
        elif isinstance(layer, keras.layers.Dense):
            f = 2.0 * layer.kernel.shape[0] * layer.kernel.shape[1]
        else:
            continue
        forward += f
        train += f * (2 if first else 3)
        first = False
    return forward, train


def _matmul_rate(m: int, k: int, n: int, repeats: int = 5, inner: int = 10) -> float:
    """Best rate (GFLOP/s) of a float32 ``(m, k) @ (k, n)`` through TensorFlow.

    The product runs ``inner`` times inside one compiled graph (a while loop whose next operand depends on
    the previous product, so nothing is hoisted or skipped) and only a scalar comes back, so neither
    Python's call overhead nor copying the result out is counted.
    """
    import tensorflow as tf

    a = tf.random.normal((m, k))
    b = tf.random.normal((k, n))

    @tf.function
    def loop(a, b):
        def body(i, total):
            c = tf.matmul(a + total * 0.0, b) if m * k <= k * n else tf.matmul(a, b + total * 0.0)
            return i + 1, total + c[0, 0]
        return tf.while_loop(lambda i, _: i < inner, body, (tf.constant(0), tf.constant(0.0)))[1]

    loop(a, b).numpy()
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        loop(a, b).numpy()
        best = max(best, inner * 2.0 * m * k * n / (time.perf_counter() - start) / 1e9)
    return best


def matmul_peak(n: int = 4096) -> float:
    """Best float32 square-matmul rate (GFLOP/s) through TensorFlow (compiled, so no eager overhead)."""
    return _matmul_rate(n, n, n, repeats=3, inner=3)


def gemm_ceiling(model, batch: int = 100) -> tuple[float, list[tuple[str, float, float]]]:
    """FLOP-weighted best rate of the model's own training GEMMs at this batch size.

    Each Conv1D is an im2col GEMM ``(batch * L_out, kernel * C_in) @ (kernel * C_in, filters)`` forward,
    ``(kernel * C_in, batch * L_out) @ (batch * L_out, filters)`` for the weight gradient and
    ``(batch * L_out, filters) @ (filters, kernel * C_in)`` for the input gradient (not for the first
    layer); a Dense layer likewise. Timing each GEMM alone, in a compiled loop with nothing else
    running, gives the rate the training step could reach if every other op (BN, activations, dropout,
    pooling, the optimizer, im2col itself) were free: an upper bound for this model on this machine.

    Returns
    -------
    rate : float
        Total training-GEMM FLOPs / total time of the GEMMs measured alone (GFLOP/s).
    per_gemm : list of (name, GFLOP per batch, GFLOP/s)
    """
    import keras

    per_gemm = []
    first = True
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv1D):
            _, length, filters = layer.output.shape
            m, k, n = batch * length, layer.kernel.shape[0] * layer.kernel.shape[1], filters
        elif isinstance(layer, keras.layers.Dense):
            m, k, n = batch, layer.kernel.shape[0], layer.kernel.shape[1]
        else:
            continue
        shapes = {"fwd": (m, k, n), "dW": (k, m, n)}
        if not first:
            shapes["dX"] = (m, n, k)
        first = False
        for kind, (a, b, c) in shapes.items():
            per_gemm.append((f"{layer.name} {kind} ({a}x{b} @ {b}x{c})", 2.0 * a * b * c / 1e9, _matmul_rate(a, b, c)))
    total_flops = sum(f for _, f, _ in per_gemm)
    total_time = sum(f / r for _, f, r in per_gemm)
    return total_flops / total_time, per_gemm


def without_layers(model, kinds: tuple):
    """A copy of ``model`` with every layer of the given classes replaced by the identity (fresh weights)."""
    import keras

    class Skip(keras.layers.Layer):
        def call(self, inputs, training=None, mask=None):
            return inputs

    def clone(layer):
        if isinstance(layer, kinds):
            return Skip(name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    return keras.models.clone_model(model, clone_function=clone)


def _worker_model(model_name: str, activation: str, threads: int = 1):
    """In a fresh worker process: pin TensorFlow to ``threads`` threads (as run_grid does), seed, build the model."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from seqlib.models import build_model
    from seqlib.training import pin_threads, set_seed

    pin_threads(threads)
    set_seed(0)
    return build_model(model_name, activation, input_length=200, n_outputs=12)


def _gemm_ceiling_worker(model_name: str, activation: str, threads: int):
    """:func:`gemm_ceiling` in a fresh process pinned to ``threads`` threads (as the run_grid workers are)."""
    return gemm_ceiling(_worker_model(model_name, activation, threads))


def in_fresh_process(fn, *args):
    """``fn(*args)`` in a fresh spawned process (its own TensorFlow thread pools)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


class EpochTimer:
    def __init__(self):
        import keras

        class _T(keras.callbacks.Callback):
            def on_epoch_begin(cb, epoch, logs=None):
                cb.start = time.perf_counter()

            def on_epoch_end(cb, epoch, logs=None):
                self.times.append(time.perf_counter() - cb.start)

        self.times: list[float] = []
        self.callback = _T()


def plain_fit(build, train, valid, epochs: int) -> list[float]:
    import keras

    model = build()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.AUC(curve="ROC", name="auroc"),
                           keras.metrics.AUC(curve="PR", name="aupr")])
    timer = EpochTimer()
    model.fit(train.X, train.y, batch_size=100, epochs=epochs, validation_data=(valid.X, valid.y), shuffle=True,
              callbacks=[timer.callback], verbose=0)
    return timer.times


def seqlib_fit(build, train, valid, epochs: int, **overrides) -> list[float]:
    from seqlib.training import TrainConfig, fit

    model = build()
    history = fit(model, train, valid, TrainConfig(epochs=epochs, patience=None, lr_patience=None, **overrides),
                  progress=False)
    return history["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs per loop (the first is excluded)")
    parser.add_argument("--n-train", type=int, default=21_000)
    parser.add_argument("--model", default="cnn-deep")
    parser.add_argument("--activation", default="exponential")
    parser.add_argument("--breakdown-n-train", type=int, default=5_000)
    parser.add_argument("--breakdown-epochs", type=int, default=5,
                        help="epochs per variant of the breakdown (model without dropout / BN); 0 skips it")
    parser.add_argument("--steps-per-execution", type=int, nargs="*", default=None,
                        help="also try these steps_per_execution values for seqlib's loop")
    args = parser.parse_args()

    from seqlib.models import build_model
    from seqlib.simulate import simulate_task1
    from seqlib.training import TrainConfig, set_seed

    ds = simulate_task1()
    train = ds.train.subset(slice(0, args.n_train))
    valid = ds.valid

    def build():
        set_seed(0)
        return build_model(args.model, args.activation, input_length=200, n_outputs=12)

    fwd, trn = layer_flops(build())
    peak = matmul_peak()
    ceiling, per_gemm = gemm_ceiling(build())
    from seqlib.runs import default_workers

    workers = default_workers()
    ceiling_1, per_gemm_1 = in_fresh_process(_gemm_ceiling_worker, args.model, args.activation, 1)
    grid_ceiling = workers * ceiling_1
    work = len(train) * trn + len(valid) * fwd
    print(f"{args.model} ({args.activation}): {fwd / 1e6:.2f} MFLOP forward, {trn / 1e6:.2f} MFLOP per training "
          f"sequence; epoch = {len(train):,} training + {len(valid):,} validation sequences = {work / 1e9:.1f} GFLOP")
    print(f"limit: {LIMIT_GFLOPS:.0f} GFLOP/s (issue); float32 4096^2 matmul peak measured now: {peak:.0f} GFLOP/s")
    print("the model's own training GEMMs at batch 100, each timed alone (an upper bound for any loop):")
    print(f"    {'GEMM':42s} {'MFLOP':>7s}  {'GFLOP/s (this process)':>22s} {'GFLOP/s (1 thread)':>19s}")
    for (gemm, gflop, rate), (_, _, rate_1) in zip(per_gemm, per_gemm_1):
        print(f"    {gemm:42s} {gflop * 1e3:7.1f}  {rate:22.1f} {rate_1:19.1f}")
    print(f"  FLOP-weighted GEMM ceiling of one process with TensorFlow's threads: {ceiling:.1f} GFLOP/s "
          f"= {ceiling / LIMIT_GFLOPS:.1%} of {LIMIT_GFLOPS:.0f}")
    print(f"  ... of {workers} single-thread processes (run_grid): {workers} x {ceiling_1:.1f} = {grid_ceiling:.1f} GFLOP/s "
          f"= {grid_ceiling / LIMIT_GFLOPS:.1%} of {LIMIT_GFLOPS:.0f}\n")

    loops = [("plain model.fit (paper)", lambda: plain_fit(build, train, valid, args.epochs)),
             (f"seqlib fit (steps/exec {TrainConfig().steps_per_execution})",
              lambda: seqlib_fit(build, train, valid, args.epochs))]
    for spe in args.steps_per_execution or []:
        loops.append((f"seqlib fit (steps/exec {spe})",
                      lambda spe=spe: seqlib_fit(build, train, valid, args.epochs, steps_per_execution=spe)))

    print(f"{'loop':32s} {'epoch s':>8s} {'seq/s':>8s} {'GFLOP/s':>8s} {'of 200':>7s} {'of peak':>8s}"
          f" {'of ceil':>8s} {'best-epoch GFLOP/s':>19s}")
    rates, best_rates = {}, {}
    for name, fn in loops:
        times = fn()
        steady = float(np.median(times[1:])) if len(times) > 1 else times[0]
        gflops = work / steady / 1e9
        rates[name] = gflops
        best_rates[name] = work / min(times[1:] or times) / 1e9
        print(f"{name:32s} {steady:8.2f} {len(train) / steady:8.0f} {gflops:8.1f} {gflops / LIMIT_GFLOPS:7.1%} "
              f"{gflops / peak:8.1%} {gflops / ceiling:8.1%} {best_rates[name]:19.1f}   (epochs: {', '.join(f'{t:.1f}' for t in times)})")
    # the project's loop: concurrent single-threaded worker runs
    import tempfile

    from seqlib.runs import RunConfig, run_grid

    subset = simulate_task1().subsample(n_train=args.n_train)
    base = dict(task="task1", model=args.model, activation=args.activation, epochs=args.epochs, patience=None,
                lr_patience=None)
    with tempfile.TemporaryDirectory() as root:
        done = run_grid([RunConfig(trial=t, **base) for t in range(workers)], root=root, workers=workers,
                        progress=False, dataset=subset)
    per_run = [float(np.median(r.history["seconds"][1:])) for r in done]
    best_run = [min(r.history["seconds"][1:]) for r in done]
    gflops = sum(work / t for t in per_run) / 1e9
    name = f"seqlib run_grid ({workers} x 1 thread)"
    rates[name] = gflops
    best_rates[name] = sum(work / t for t in best_run) / 1e9
    print(f"{name:32s} {np.mean(per_run):8.2f} {sum(len(train) / t for t in per_run):8.0f} {gflops:8.1f} "
          f"{gflops / LIMIT_GFLOPS:7.1%} {gflops / peak:8.1%} {gflops / grid_ceiling:8.1%} {best_rates[name]:19.1f}   (epochs per run: "
          + "; ".join(", ".join(f"{t:.1f}" for t in r.history["seconds"]) for r in done) + "; rates summed over runs)")
    names = list(rates)
    for name in names[1:]:
        print(f"speed-up of {name} over {names[0]}: {rates[name] / rates[names[0]]:.2f}x median epochs, "
              f"{best_rates[name] / best_rates[names[0]]:.2f}x best epochs")
    if args.breakdown_epochs > 0:
        breakdown(args.model, args.activation, args.breakdown_n_train, args.breakdown_epochs, fwd, trn, len(valid),
                  workers)


_VARIANTS = {"full model": (), "without dropout": ("Dropout",), "without batch norm": ("BatchNormalization",),
             "without dropout and batch norm": ("Dropout", "BatchNormalization")}


def _breakdown_worker(model_name: str, activation: str, removed: tuple, n_train: int, epochs: int) -> list[float]:
    """In a fresh single-threaded process (like a run_grid worker): epoch times of one model variant."""
    model = _worker_model(model_name, activation)
    import keras

    from seqlib.simulate import simulate_task1

    data = simulate_task1().subsample(n_train=n_train)
    kinds = tuple(getattr(keras.layers, name) for name in removed)
    return seqlib_fit(lambda: without_layers(model, kinds) if kinds else model, data.train, data.valid, epochs)


def breakdown(model_name: str, activation: str, n_train: int, epochs: int, fwd: float, trn: float,
              n_valid: int, workers: int) -> None:
    """Where the time goes besides the GEMMs: seqlib's fit with dropout and/or batch norm removed.

    Each variant trains in its own fresh process pinned to one thread, as the run_grid workers do. The
    FLOP count stays that of the full model, so a variant's rate says how fast the same GEMM work runs
    once the memory-bound layers around it are gone.
    """
    work = n_train * trn + n_valid * fwd
    print(f"\nbreakdown (seqlib fit, 1 thread, {n_train:,} training sequences, best of {epochs - 1} epochs after the "
          f"first):")
    base = None
    for name, removed in _VARIANTS.items():
        times = in_fresh_process(_breakdown_worker, model_name, activation, removed, n_train, epochs)
        best = min(times[1:] or times)
        rate = work / best / 1e9
        base = base or best
        print(f"    {name:32s} best epoch {best:6.2f} s  {rate:6.1f} GFLOP/s per process; x {workers} workers = "
              f"{workers * rate / LIMIT_GFLOPS:6.1%} of 200  ({best / base - 1:+.0%} time vs full)")


if __name__ == "__main__":
    main()
