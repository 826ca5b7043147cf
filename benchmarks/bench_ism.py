"""Benchmark: in-silico mutagenesis of CNN-dist (Task 3, L = 200), four ways, timed in one run.

1. **authors' code**: the loop of the paper's ``tfomics.explain.mutagenesis``, re-typed: per sequence, one
   ``predict`` of the wild type, a Python loop that copies the sequence 4 L = 800 times with one base set,
   one ``model.predict`` of those 800 (Keras' default batch of 32), and a Python loop that reshapes.
2. **per mutant**: one forward pass per mutant (800 per sequence, as Methods §8 counts them), each a compiled
   call on a batch of one; timed on fewer sequences because it is slow.
2b. **predict per mutant**: the same 800 passes, each through ``model.predict`` as a reader re-typing Methods §8
   literally would write it (Keras' per-call overhead included); timed on one sequence.
3. **tangermeme-style**: per sequence, the 3 L mutants built with array indexing and one batched forward pass.
4. **seqlib**: :func:`seqlib.attribution.mutagenesis`, the 3 L mutants of many sequences per forward pass.

All four give the same output changes (checked here). The model is untrained (timing does not depend on the
weights). Times are per sequence; ratios are taken against seqlib within this one run.

    .venv/bin/python benchmarks/bench_ism.py [--sequences 40] [--loop-sequences 4] [--mutant-sequences 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from seqlib.attribution import _forward_fn, mutagenesis
from seqlib.models import build_model


def authors_loop(model, X):
    """The paper's per-sequence loop (tfomics ``mutagenesis``, class 0 of the output layer), re-typed."""
    N, L, A = X.shape
    scores = []
    for x in X:
        wt = model.predict(x[None], verbose=0)[:, 0]
        mutants = []
        for i in range(L):
            for a in range(A):
                new = np.copy(x)
                new[i, :] = 0
                new[i, a] = 1
                mutants.append(new)
        pred = model.predict(np.array(mutants), verbose=0)[:, 0]
        out = np.zeros((L, A))
        k = 0
        for i in range(L):
            for a in range(A):
                out[i, a] = pred[k]
                k += 1
        scores.append(out - wt)
    return np.array(scores)


def per_mutant(model, X):
    """One compiled forward pass per mutant (4 L per sequence)."""
    f = _forward_fn(model, 0, False)
    N, L, A = X.shape
    out = np.zeros((N, L, A))
    for n, x in enumerate(X):
        wt = f(x[None])[0]
        for i in range(L):
            for a in range(A):
                new = x.copy()
                new[i] = 0
                new[i, a] = 1
                out[n, i, a] = f(new[None])[0] - wt
    return out


def predict_per_mutant(model, X):
    """One ``model.predict`` per mutant (4 L per sequence): Methods §8's "800 forward passes" taken literally."""
    N, L, A = X.shape
    out = np.zeros((N, L, A))
    for n, x in enumerate(X):
        wt = model.predict(x[None], verbose=0)[0, 0]
        for i in range(L):
            for a in range(A):
                new = x.copy()
                new[i] = 0
                new[i, a] = 1
                out[n, i, a] = model.predict(new[None], verbose=0)[0, 0] - wt
    return out


def per_sequence_batch(model, X):
    """One batched forward pass of the 3 L mutants per sequence (the approach of tangermeme's ISM)."""
    f = _forward_fn(model, 0, False)
    N, L, A = X.shape
    out = np.zeros((N, L, A))
    positions = np.repeat(np.arange(L), 3)
    for n, x in enumerate(X):
        obs = x.argmax(-1)
        alt = ((obs[:, None] + np.arange(1, 4)) % 4).ravel()
        mutants = np.repeat(x[None], 3 * L, axis=0)
        mutants[np.arange(3 * L), positions] = np.eye(A, dtype=x.dtype)[alt]
        pred = f(np.concatenate([x[None], mutants]))
        out[n, positions, alt] = pred[1:] - pred[0]
    return out


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=40, help="sequences for seqlib and the tangermeme-style loop")
    parser.add_argument("--loop-sequences", type=int, default=4, help="sequences for the authors' loop")
    parser.add_argument("--mutant-sequences", type=int, default=1, help="sequences for one pass per mutant")
    parser.add_argument("--predict-sequences", type=int, default=1, help="sequences for one model.predict per mutant")
    parser.add_argument("--batch", type=int, default=1024, help="seqlib's mutants per forward pass")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    model = build_model("cnn-dist", activation="exponential")
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (args.sequences, 200))]
    mutagenesis(model, X[:2])                                   # compile outside the timings
    per_sequence_batch(model, X[:1])
    model.predict(X[:1], verbose=0)

    t_ours, d_ours = timed(lambda: mutagenesis(model, X, batch_size=args.batch))
    t_tm, d_tm = timed(lambda: per_sequence_batch(model, X))
    t_loop, d_loop = timed(lambda: authors_loop(model, X[:args.loop_sequences]))
    t_mut, d_mut = timed(lambda: per_mutant(model, X[:args.mutant_sequences]))
    t_pred, d_pred = timed(lambda: predict_per_mutant(model, X[:args.predict_sequences]))

    for name, d in (("tangermeme-style", d_tm), ("authors' loop", d_loop), ("per mutant", d_mut),
                    ("predict per mutant", d_pred)):
        err = np.abs(d - d_ours[:len(d)]).max()
        assert err < 1e-4, f"{name} disagrees with seqlib by {err}"
    per_seq = {"seqlib (batched over sequences)": t_ours / args.sequences,
               "tangermeme-style (one pass per sequence)": t_tm / args.sequences,
               "authors' loop (tfomics, predict per sequence)": t_loop / args.loop_sequences,
               "one forward pass per mutant": t_mut / args.mutant_sequences,
               "one model.predict per mutant": t_pred / args.predict_sequences}
    ours = per_seq["seqlib (batched over sequences)"]
    print(f"CNN-dist, L = 200, seqlib batch {args.batch} mutants, {args.sequences} sequences (authors' loop: {args.loop_sequences}, per mutant: "
          f"{args.mutant_sequences}, predict per mutant: {args.predict_sequences}); all outputs agree within 1e-4")
    for name, sec in per_seq.items():
        print(f"  {name:48s} {1000 * sec:9.1f} ms per sequence   {sec / ours:8.1f} x seqlib's time")


if __name__ == "__main__":
    main()
