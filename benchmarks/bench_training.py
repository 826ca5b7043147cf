"""Benchmark: CNN-deep training throughput on Task 1, plain ``model.fit`` vs seqlib's loop, side by side.

For each loop it trains CNN-deep (exponential first layer) on the full Task-1 training set (21,000
sequences, batch 100) with validation on 3,000 sequences every epoch, and reports the steady-state
epoch time (median of the epochs after the first, which pays for tracing; the best epoch is printed
too because this VM's epoch times vary by up to 2x), sequences per second and the achieved FLOP rate
as a fraction of the machine's float32 limit.

* FLOPs are counted from the model's layers: a Conv1D or Dense does ``2 × outputs × fan-in`` multiply-adds
  forward; training does the forward pass, the weight gradient (same cost) and the input gradient (same
  cost, not needed for the first layer). Validation adds one forward pass per validation sequence.
* The limit is 200 GFLOP/s (this 2-core machine, as stated in the issue); a float32 matmul peak is also
  measured in the same run and the fraction of it is printed too.
* "plain fit" is what the paper's scripts do: numpy arrays, batch 100, Keras metrics accuracy + AUC(ROC) +
  AUC(PR) on training and validation, ``validation_data`` each epoch, TensorFlow's default threads.
* "seqlib fit" is :func:`seqlib.training.fit` in the same process (tf.data pipeline, several steps per
  compiled call, exact validation metrics with large batches, no training-set AUC).
* "seqlib run_grid" is how the project trains: runs in worker processes pinned to 1 thread each, as many
  workers as cores, here two runs (two trials) at once; its rate is the sum over the concurrent runs.

    .venv/bin/python benchmarks/bench_training.py [--epochs 4] [--n-train 21000]
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


def matmul_peak(n: int = 2048, repeats: int = 10) -> float:
    """Best float32 matmul rate (GFLOP/s) through TensorFlow."""
    import tensorflow as tf

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    (a @ b).numpy()
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        (a @ b).numpy()
        best = max(best, 2 * n ** 3 / (time.perf_counter() - start) / 1e9)
    return best


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
    work = len(train) * trn + len(valid) * fwd
    print(f"{args.model} ({args.activation}): {fwd / 1e6:.2f} MFLOP forward, {trn / 1e6:.2f} MFLOP per training "
          f"sequence; epoch = {len(train):,} training + {len(valid):,} validation sequences = {work / 1e9:.1f} GFLOP")
    print(f"limit: {LIMIT_GFLOPS:.0f} GFLOP/s (issue); float32 matmul peak measured now: {peak:.0f} GFLOP/s\n")

    loops = [("plain model.fit (paper)", lambda: plain_fit(build, train, valid, args.epochs)),
             (f"seqlib fit (steps/exec {TrainConfig().steps_per_execution})",
              lambda: seqlib_fit(build, train, valid, args.epochs))]
    for spe in args.steps_per_execution or []:
        loops.append((f"seqlib fit (steps/exec {spe})",
                      lambda spe=spe: seqlib_fit(build, train, valid, args.epochs, steps_per_execution=spe)))

    print(f"{'loop':32s} {'epoch s':>8s} {'seq/s':>8s} {'GFLOP/s':>8s} {'of 200':>7s} {'of peak':>8s}"
          f" {'best-epoch GFLOP/s':>19s}")
    rates, best_rates = {}, {}
    for name, fn in loops:
        times = fn()
        steady = float(np.median(times[1:])) if len(times) > 1 else times[0]
        gflops = work / steady / 1e9
        rates[name] = gflops
        best_rates[name] = work / min(times[1:] or times) / 1e9
        print(f"{name:32s} {steady:8.2f} {len(train) / steady:8.0f} {gflops:8.1f} {gflops / LIMIT_GFLOPS:7.1%} "
              f"{gflops / peak:8.1%} {best_rates[name]:19.1f}   (epochs: {', '.join(f'{t:.1f}' for t in times)})")
    # the project's loop: concurrent single-threaded worker runs
    import tempfile

    from seqlib.runs import RunConfig, default_workers, run_grid

    workers = default_workers()
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
          f"{gflops / LIMIT_GFLOPS:7.1%} {gflops / peak:8.1%} {best_rates[name]:19.1f}   (epochs per run: "
          + "; ".join(", ".join(f"{t:.1f}" for t in r.history["seconds"]) for r in done) + "; rates summed over runs)")
    names = list(rates)
    for name in names[1:]:
        print(f"speed-up of {name} over {names[0]}: {rates[name] / rates[names[0]]:.2f}x median epochs, "
              f"{best_rates[name] / best_rates[names[0]]:.2f}x best epochs")


if __name__ == "__main__":
    main()
