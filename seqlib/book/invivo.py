"""In vivo analyses (Fig 3): relu vs exponential first layers on ChIP-seq (ZBED2, IRF1) and DNase-seq (Basset).

The paper shows these only as saliency logos. This module turns each of its qualitative claims into a number
per trained run, cached in the run's folder (:meth:`seqlib.runs.Run.cached`):

* which runs: ResidualBind (ZBED2, IRF1) or Basset, relu and exponential, seeded trials (:func:`invivo_configs`);
* which sequences: the first ``n`` positive test sequences on the forward strand (:func:`positive_sequences`);
* how sparse the saliency maps are: Gini coefficient and the share of attribution in the top 5 % of positions
  (:func:`gini`, :func:`top_mass`, :func:`sparsity_table`) and a paired test across trials (:func:`paired_test`);
* which JASPAR motifs the first-layer filters match, and whether the protein's own motif family is among them
  (:func:`filter_hits`, :func:`matched_tfs`);
* whether saliency peaks fall on scan hits of the protein's motif family (:func:`scan_hits`,
  :func:`peak_agreement`, :func:`agreement_table`);
* which examples to draw, by a rule (:func:`top_examples`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.stats import ttest_rel

from .._io import atomic_path
from .._validate import check_one_hot
from ..analyses import filter_analysis
from ..datasets import Dataset, load_invivo, save_dataset
from ..errors import ShapeError, UnknownNameError
from ..metrics import auroc
from ..motifs import Motif
from ..paths import invivo_h5, results_dir
from ..runs import RunConfig, array_digest, results_table
from ..scans import motif_scan
from ..tasks import register_hdf5
from ..tomtom import target_motifs
from ..training import set_seed
from .experiments import get_experiment, ttest_p
from .verdict import direction, judge, paired_trials

#: The shipped ChIP-seq tasks of Fig 3b,c.
INVIVO_TASKS = ("zbed2", "irf1")
#: The activations Fig 3 compares.
ACTIVATIONS = ("relu", "exponential")
#: The paper's Basset example class (4, fibroblasts) and plotted windows (Methods §8).
BASSET_CLASS = 4
PLOT_WINDOWS = {"zbed2": (50, 350), "irf1": (50, 350), "basset": (150, 450)}

__all__ = ["INVIVO_TASKS", "ACTIVATIONS", "BASSET_CLASS", "PLOT_WINDOWS", "MotifFamily", "FAMILIES", "default_model",
           "invivo_configs", "forward_rows", "positive_sequences", "position_scores", "gini", "top_mass",
           "run_position_saliency", "untrained_position_saliency", "map_table", "C9_STATISTICS", "c9_parts",
           "sparsity_table", "paired_test", "filter_hits", "matched_tfs", "family_motifs",
           "scan_hits", "scan_enrichment", "invivo_task", "base_task", "peak_agreement", "agreement_table",
           "top_examples"]


@dataclass(frozen=True)
class MotifFamily:
    """What counts as a protein's own motif in the Tomtom database (JASPAR names, matched by prefix).

    Attributes
    ----------
    protein : str
    own : tuple of str
        Name prefixes of the protein's own matrix (empty when the database has none).
    family : tuple of str
        Name prefixes of its motif family (the own matrix included).
    note : str
        Why the family is what it is.
    """

    protein: str
    own: tuple[str, ...]
    family: tuple[str, ...]
    note: str

    def is_own(self, name: str) -> bool:
        return any(str(name).upper().startswith(p) for p in self.own)

    def in_family(self, name: str) -> bool:
        return any(str(name).upper().startswith(p) for p in self.family)


#: The reference motif family of each shipped ChIP-seq task.
FAMILIES: dict[str, MotifFamily] = {
    "irf1": MotifFamily("IRF1", own=("IRF1",), family=("IRF",),
                        note="IRF1 (MA0050.2) and the other IRFs of JASPAR CORE 2016 (IRF2, IRF7, IRF8, IRF9), "
                             "which share IRF1's GAAA repeat"),
    "zbed2": MotifFamily("ZBED2", own=("ZBED2",), family=("IRF",),
                         note="JASPAR CORE 2016 has no ZBED2 matrix (ZBED1 is a different protein); ZBED2 is reported "
                              "to bind the IRF1-like interferon-stimulated response element, so the IRF family is "
                              "its reference family here"),
}


def default_model(task: str) -> str:
    """The paper's model for a task: ResidualBind for ZBED2/IRF1, Basset otherwise (Basset-format data)."""
    return "residualbind" if task in INVIVO_TASKS else "basset"


def invivo_configs(task: str, *, epochs: int, patience: int | None, trials: int,
                   activations: Sequence[str] = ACTIVATIONS, model: str | None = None) -> list:
    """The Fig 3 grid of one task: ``model`` × activation × trial, monitored as the paper's Fig 3 script.

    Returns
    -------
    list of seqlib.runs.RunConfig
        Trial ``k`` is seed ``k`` for every activation, so trials are paired.
    """
    if trials < 1:
        raise ValueError(f"trials must be at least 1; got {trials}")
    monitor = get_experiment("fig3").monitor            # also for a user's Basset-format file
    return [RunConfig(task=task, model=model or default_model(task), activation=a, trial=t, epochs=int(epochs),
                      patience=patience, monitor=monitor) for a in activations for t in range(trials)]


def invivo_task(task: str, subsample: int | None = None, *, seed: int = 0) -> str:
    """The task name to train on: ``task`` itself, or a registered random subset of its data.

    ``subsample`` keeps at most that many sequences of each split (a seeded random subset, before the
    reverse-complement copies, which are appended as for the full data). The subset is written once to
    ``results/data/<task>_n<subsample>_s<seed>.h5`` and registered as a user data set, so its runs never share a
    cache entry with the full data's. It exists for the tests' tiny profile; the book trains on all sequences.

    Returns
    -------
    str
        ``task``, or the subset's task name (``<task>-n<subsample>@<digest>``).
    """
    if task not in INVIVO_TASKS:
        raise UnknownNameError(f"unknown in vivo task {task!r}; choose one of {', '.join(INVIVO_TASKS)}")
    if subsample is None:
        return task
    if subsample < 2:
        raise ValueError(f"subsample must be at least 2 sequences per split; got {subsample}")
    path = results_dir() / "data" / f"{task}_n{int(subsample)}_s{int(seed)}.h5"
    if not path.exists():
        full = load_invivo(invivo_h5(FAMILIES[task].protein))
        rng = np.random.default_rng(seed)
        parts = {}
        for name, split in full.splits():
            keep = np.sort(rng.permutation(len(split))[:int(subsample)])
            parts[name] = split.subset(keep)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path, suffix=".h5") as tmp:
            save_dataset(tmp, Dataset(**parts, meta={"subset_of": task, "subsample": int(subsample),
                                                     "seed": int(seed)}))
    return register_hdf5(path, name=f"{task}-n{int(subsample)}", reverse_complement=True).name


def base_task(name: str) -> str:
    """The shipped task a (possibly subsampled) task name stands for: ``"irf1-n400@1a2b..."`` → ``"irf1"``."""
    head = name.split("@")[0]
    for task in INVIVO_TASKS:
        if head == task or head.startswith(f"{task}-n"):
            return task
    return name


# ----------------------------------------------------------------------------- sequences

def forward_rows(X) -> int:
    """How many leading rows of ``X`` (N, L, 4) are forward-strand originals: N/2 when the second half is the
    reverse complement of the first (the paper's augmentation appends RC copies), else N."""
    X = np.asarray(X)
    n = len(X)
    if n % 2 == 0 and n and np.array_equal(X[n // 2:], X[:n // 2, ::-1, ::-1]):
        return n // 2
    return n


def positive_sequences(split, n: int, output: int = 0, *, only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` positive sequences of a split for output ``output``, forward strand only.

    Parameters
    ----------
    split : seqlib.datasets.Split
        ``X`` (N, L, 4), ``y`` (N, T).
    n : int
    output : int
        Label column (Basset: a cell type).
    only : bool
        Keep sequences positive for ``output`` alone and free of N bases (the paper's Basset selection).

    Returns
    -------
    index : numpy.ndarray, shape=(n,)
        Rows of the split.
    X : numpy.ndarray, shape=(n, L, 4)

    Raises
    ------
    ShapeError
        ``output`` is not a label column, or no sequence qualifies.
    """
    y = np.asarray(split.y)
    if y.ndim != 2 or not 0 <= output < y.shape[1]:
        raise ShapeError(f"output {output} is not a label column of y with shape {y.shape}")
    forward = forward_rows(split.X)
    keep = y[:forward, output] > 0.5
    if only:
        keep &= (y[:forward] > 0.5).sum(1) == 1
        keep &= (np.asarray(split.X[:forward]).max(-1) == 1).all(1)
    index = np.flatnonzero(keep)[:int(n)]
    if not len(index):
        raise ShapeError(f"no forward-strand test sequence is positive for output {output}"
                         + (" alone and free of N" if only else ""))
    return index, np.asarray(split.X[index], dtype=np.float32)


# ----------------------------------------------------------------------------- sparsity

def position_scores(scores) -> np.ndarray:
    """Attribution magnitude per position, ``|Σ_bases score|`` (for grad × input: the observed base's score).

    Parameters
    ----------
    scores : array_like, shape=(N, L, 4)

    Returns
    -------
    numpy.ndarray, shape=(N, L)
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 3 or scores.shape[-1] != 4:
        raise ShapeError(f"scores must have shape (N, L, 4); got {scores.shape}")
    return np.abs(scores.sum(-1))


def _check_values(values) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] == 0:
        raise ShapeError(f"values must have shape (N, L) with L > 0; got {values.shape}")
    if (values < 0).any():
        raise ValueError("values must be non-negative magnitudes (use position_scores)")
    return values


def gini(values) -> np.ndarray:
    """Gini coefficient of each row: 0 when attribution is spread evenly, → 1 when one position holds it all.

    Parameters
    ----------
    values : array_like, shape=(N, L), non-negative

    Returns
    -------
    numpy.ndarray, shape=(N,)
        NaN for an all-zero row.
    """
    values = np.sort(_check_values(values), axis=1)
    n = values.shape[1]
    total = values.sum(1)
    rank = np.arange(1, n + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = (2.0 * (values * rank).sum(1) / (n * total)) - (n + 1.0) / n
    return np.where(total > 0, g, np.nan)


def top_mass(values, fraction: float = 0.05) -> np.ndarray:
    """Share of each row's attribution mass held by its top ``fraction`` of positions (at least one).

    Parameters
    ----------
    values : array_like, shape=(N, L), non-negative
    fraction : float in (0, 1]

    Returns
    -------
    numpy.ndarray, shape=(N,)
        ``fraction`` when spread evenly, 1 when the top positions hold everything; NaN for an all-zero row.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1]; got {fraction}")
    values = _check_values(values)
    k = max(1, int(np.ceil(fraction * values.shape[1])))
    top = -np.sort(-values, axis=1)[:, :k].sum(1)
    total = values.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, top / total, np.nan)


def run_position_saliency(run, X, output: int = 0, *, model=None) -> np.ndarray:
    """Saliency (gradient × input of the sigmoid output, as the paper) per position of a run, cached.

    Parameters
    ----------
    run : seqlib.runs.Run
    X : array_like, shape=(N, L, 4)
    output : int
    model : keras.Model, optional
        The run's loaded model.

    Returns
    -------
    numpy.ndarray, shape=(N, L)
        :func:`position_scores` of the map.
    """
    from ..attribution import saliency

    X = check_one_hot(X, allow_n=True)

    def compute():
        m = model if model is not None else run.load_model()
        return position_scores(saliency(m, X, output=output)).astype(np.float32)

    return run.cached("position_saliency", compute, "npy", data=array_digest(X), output=int(output))


def untrained_position_saliency(run, X, output: int = 0) -> np.ndarray:
    """:func:`run_position_saliency` of the run's model before training (the same seed, so the weights it started
    from), cached in the run's folder: the baseline a trained map is compared with.

    Returns
    -------
    numpy.ndarray, shape=(N, L)
    """
    from ..attribution import saliency  # deliberately lazy: it imports Keras

    X = check_one_hot(X, allow_n=True)

    def compute():
        set_seed(run.config.trial)
        model = run.config.build(X.shape[1], int(run.load_model().output_shape[-1]))
        return position_scores(saliency(model, X, output=output)).astype(np.float32)

    return run.cached("position_saliency_untrained", compute, "npy", data=array_digest(X), output=int(output))


def map_table(runs: Sequence, X, hits, output: int = 0, *, untrained: bool = False, fraction: float = 0.05,
              flank: int = 0) -> pd.DataFrame:
    """Claim C9's statistics of every run's saliency maps: how concentrated (``gini``, ``top_mass``) and how well
    their peaks sit on the protein's motif (:func:`peak_agreement`: ``peak_on_hit``, ``chance``, and ``hit_auroc``,
    the per-sequence AUROC of the magnitudes against the hit positions), one row per run, with the adequacy columns
    of :func:`seqlib.runs.results_table`.

    Parameters
    ----------
    runs : sequence of seqlib.runs.Run
    X : array_like, shape=(N, L, 4)
    hits : array_like, shape=(N, L), bool
        Motif-hit positions (:func:`scan_hits`).
    untrained : bool
        Measure each run's model before training instead (:func:`untrained_position_saliency`).

    Returns
    -------
    DataFrame: task, model, activation, trial, key, trained, test_auroc, epochs_trained, late_gain, gini, top_mass,
    peak_on_hit, chance, hit_auroc, n_with_hits
    """
    runs = list(runs)
    meta = results_table(runs).set_index("key") if runs else None
    rows = []
    for run in runs:
        values = (untrained_position_saliency if untrained else run_position_saliency)(run, X, output)
        agree = peak_agreement(values, hits, flank=flank)
        c, m = run.config, meta.loc[run.config.key]
        rows.append({"task": base_task(c.task), "model": c.model, "activation": c.activation, "trial": c.trial,
                     "key": c.key, "trained": not untrained, "test_auroc": m["test_auroc"],
                     "epochs_trained": m["epochs_trained"], "late_gain": m["late_gain"],
                     "gini": float(np.nanmedian(gini(values))), "top_mass": float(np.nanmedian(top_mass(values,
                                                                                                         fraction))),
                     "peak_on_hit": agree["peak_on_hit"], "chance": agree["chance"], "hit_auroc": agree["auroc"],
                     "n_with_hits": agree["n_with_hits"]})
    return pd.DataFrame(rows)


#: The two statistics claim C9 is judged on: concentration of the map and agreement of its peaks with the motif.
C9_STATISTICS = {"gini": "saliency Gini coefficient (concentration)",
                 "hit_auroc": "saliency AUROC against motif-scan hits (peaks on the motif)"}


def c9_parts(table: pd.DataFrame) -> list[dict]:
    """Claim C9 ("exponential saliency maps are sparser and cleaner") judged per task on both
    :data:`C9_STATISTICS` (:func:`seqlib.book.verdict.judge`; the paper gives no number, so the direction decides).

    Parameters
    ----------
    table : DataFrame
        :func:`map_table` rows of the trained runs.
    """
    parts = []
    for task in dict.fromkeys(table["task"]):
        for value, label in C9_STATISTICS.items():
            parts.append(judge(table, claim=f"{task}: {label}, exponential > relu", value=value, group="activation",
                               higher="exponential", lower="relu", where={"task": task}, claim_id="C9",
                               not_run="no relu/exponential pair on this task; `seqlib notebooks 06 --profile paper` "
                                       "runs it"))
    return parts


def sparsity_table(runs: Sequence, X, output: int = 0, *, fraction: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Saliency sparsity of every run on the same sequences.

    Returns
    -------
    per_run : DataFrame
        task, model, activation, trial, key, test_auroc, test_aupr and the medians over sequences of ``gini``
        and ``top_mass`` (share in the top ``fraction`` of positions).
    per_sequence : DataFrame
        The same two statistics per run and sequence (long format, column ``sequence``).
    """
    rows, long = [], []
    for run in runs:
        values = run_position_saliency(run, X, output)
        g, t = gini(values), top_mass(values, fraction)
        c = run.config
        meta = {"task": base_task(c.task), "model": c.model, "activation": c.activation, "trial": c.trial, "key": c.key}
        rows.append({**meta, "test_auroc": run.metrics["auroc"], "test_aupr": run.metrics["aupr"],
                     "gini": float(np.nanmedian(g)), "top_mass": float(np.nanmedian(t))})
        long.append(pd.DataFrame({**meta, "sequence": np.arange(len(g)), "gini": g, "top_mass": t}))
    return pd.DataFrame(rows), pd.concat(long, ignore_index=True) if long else pd.DataFrame()


def paired_test(table: pd.DataFrame, value: str, *, a: str = "relu", b: str = "exponential",
                by: str = "task") -> pd.DataFrame:
    """``b`` vs ``a`` per group of ``by``, trials paired by seed: medians, paired t-test and Student t-test.

    Parameters
    ----------
    table : DataFrame
        One row per run with columns ``by``, ``activation``, ``trial`` and ``value``.

    Returns
    -------
    DataFrame
        ``by``, ``a_median``, ``b_median``, ``median_difference`` (b − a over paired trials), ``b_higher``
        (share of paired trials with b > a), ``n_pairs``, ``p_paired`` (two-sided paired t-test) and
        ``p_student`` (two-sided Student t-test, as the paper's comparisons); p is NaN below 2 pairs.
    """
    rows = []
    for group, sub in table.groupby(by, sort=False):
        pa = sub.loc[sub["activation"] == a, value]
        pb = sub.loc[sub["activation"] == b, value]
        db, da = paired_trials(sub, value=value, group="activation", higher=b, lower=a)
        paired = direction(db, da)
        p_paired = float("nan")
        if paired["n_pairs"] >= 2:
            with np.errstate(all="ignore"):
                p_paired = float(ttest_rel(db, da).pvalue)
        rows.append({by: group, f"{a}_median": float(pa.median()) if len(pa) else np.nan,
                     f"{b}_median": float(pb.median()) if len(pb) else np.nan,
                     "median_difference": paired["median_difference"], f"{b}_higher": paired["fraction"],
                     "n_pairs": paired["n_pairs"], "p_paired": p_paired, "p_student": ttest_p(pb, pa)})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- filters → JASPAR

def filter_hits(runs: Sequence, *, evalue_threshold: float = 0.1) -> pd.DataFrame:
    """Best Tomtom hit (JASPAR CORE 2016 vertebrates, E ≤ ``evalue_threshold``) of every first-layer filter.

    The filter pipeline of the rest of the book (:func:`seqlib.analyses.filter_analysis`: activation-aligned
    PPMs on the run's test set, clipped, Tomtom), cached in each run's folder.

    Returns
    -------
    DataFrame
        One row per run × filter: task, model, activation, trial, filter, sites, best_target, best_name,
        best_E ("" / NaN without a hit).
    """
    frames = []
    for run in runs:
        summary = filter_analysis(run, evalue_threshold=evalue_threshold)["summary"]
        c = run.config
        frames.append(summary[["filter", "sites", "best_target", "best_name", "best_E"]]
                      .assign(task=base_task(c.task), model=c.model, activation=c.activation, trial=c.trial))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    cols = ["task", "model", "activation", "trial", "filter", "sites", "best_target", "best_name", "best_E"]
    return table[cols] if len(table) else pd.DataFrame(columns=cols)


def matched_tfs(hits: pd.DataFrame, families: dict | None = None, *, top: int = 6) -> pd.DataFrame:
    """Per task × activation: which TFs the filters match, and whether the protein's own family is among them.

    Parameters
    ----------
    hits : DataFrame
        :func:`filter_hits`.
    families : dict task -> MotifFamily, optional
        Default :data:`FAMILIES` (tasks without an entry get NaN family columns).
    top : int
        How many TF names to list (most filters first).

    Returns
    -------
    DataFrame
        task, activation, trials, ``matched`` (share of filters with any JASPAR hit, mean over trials),
        ``family`` (share of filters whose best hit is in the family), ``family_trials`` (share of trials with
        at least one such filter), ``own_trials`` (the same for the own matrix), ``tfs`` (names with filter counts).
    """
    families = FAMILIES if families is None else families
    rows = []
    for (task, act), sub in hits.groupby(["task", "activation"], sort=False):
        fam = families.get(task)
        names = sub["best_name"].fillna("").astype(str)
        has = names != ""
        per_trial = sub.assign(hit=has, fam=names.map(fam.in_family) if fam else False,
                               own=names.map(fam.is_own) if fam else False).groupby("trial")
        counts = names[has].value_counts()
        rows.append({"task": task, "activation": act, "trials": int(sub["trial"].nunique()),
                     "matched": float(per_trial["hit"].mean().mean()),
                     "family": float(per_trial["fam"].mean().mean()) if fam else np.nan,
                     "family_trials": float(per_trial["fam"].any().mean()) if fam else np.nan,
                     "own_trials": float(per_trial["own"].any().mean()) if fam else np.nan,
                     "tfs": ", ".join(f"{n} ({k})" for n, k in counts.head(top).items()) or "none"})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- attribution peaks vs motif scans

def family_motifs(task: str, targets=None) -> list[Motif]:
    """The Tomtom database's motifs of a task's reference family (:data:`FAMILIES`), e.g. the IRFs.

    Raises
    ------
    UnknownNameError
        The task has no reference family (e.g. Basset: 164 cell types, no single motif).
    """
    if task not in FAMILIES:
        raise UnknownNameError(f"task {task!r} has no reference motif family; known: {', '.join(FAMILIES)}")
    fam = FAMILIES[task]
    return [m for m in target_motifs(targets) if fam.in_family(m.name)]


def scan_hits(X, motifs: Sequence[Motif], *, relative: float = 0.9) -> np.ndarray:
    """Positions covered by a motif match on either strand (log-odds relative score ≥ ``relative``).

    The relative score of a window is ``(s − min) / (max − min)`` of the motif's log-odds scores, the usual
    JASPAR convention; every position of a window that passes is marked.

    Parameters
    ----------
    X : array_like, shape=(N, L, 4)
    motifs : sequence of Motif
        Forward strand; reverse complements are added here.
    relative : float in (0, 1]

    Returns
    -------
    numpy.ndarray, shape=(N, L), bool
    """
    X = check_one_hot(X, allow_n=True)
    if not 0 < relative <= 1:
        raise ValueError(f"relative must be in (0, 1]; got {relative}")
    if not motifs:
        raise ValueError("scan_hits needs at least one motif")
    n, length, _ = X.shape
    hits = np.zeros((n, length), bool)
    for motif in motifs:
        for m in (motif, motif.reverse_complement()):
            w = np.log2(m.ppm / 0.25 + 1e-10)
            lo, hi = w.min(1).sum(), w.max(1).sum()
            score = motif_scan(X, [m], log_odds=True)
            centre = (score - lo) / (hi - lo) >= relative
            width, left = m.length, m.length // 2
            for j in range(width):                        # mark the whole window of each passing centre
                shift = j - left
                src = centre[:, max(0, -shift):length - max(0, shift)]
                hits[:, max(0, shift):max(0, shift) + src.shape[1]] |= src
    return hits


def scan_enrichment(split, motifs: Sequence[Motif], *, n: int = 500, relative: float = 0.9) -> dict:
    """Is the reference family the data's motif? Scan hits in positive vs negative forward-strand sequences.

    Parameters
    ----------
    split : seqlib.datasets.Split
        A binary task's test split.
    n : int
        First positives and first negatives scanned.

    Returns
    -------
    dict
        ``positive_coverage`` / ``negative_coverage`` (share of positions on a hit), ``positive_with_hit`` /
        ``negative_with_hit`` (share of sequences with at least one hit) and ``coverage_ratio`` (positive over
        negative coverage; above 1 when the motif marks the bound sequences).
    """
    y = np.asarray(split.y)
    forward = forward_rows(split.X)
    out = {}
    for label, name in ((1, "positive"), (0, "negative")):
        rows = np.flatnonzero((y[:forward, 0] > 0.5) == bool(label))[:int(n)]
        if not len(rows):
            raise ShapeError(f"the split has no {name} forward-strand sequence")
        hits = scan_hits(split.X[rows], motifs, relative=relative)
        out[f"{name}_coverage"] = float(hits.mean())
        out[f"{name}_with_hit"] = float(hits.any(1).mean())
    out["coverage_ratio"] = out["positive_coverage"] / out["negative_coverage"] if out["negative_coverage"] \
        else float("nan")
    return out


def peak_agreement(values, hits, *, flank: int = 0) -> dict:
    """How often a sequence's attribution peak lies on a motif hit, against chance.

    Parameters
    ----------
    values : array_like, shape=(N, L)
        Attribution magnitude per position (:func:`position_scores`).
    hits : array_like, shape=(N, L), bool
        Motif-hit positions (:func:`scan_hits`).
    flank : int
        Count a peak within ``flank`` positions of a hit as on it.

    Returns
    -------
    dict
        ``n_with_hits`` (sequences with at least one hit; the others are skipped), ``peak_on_hit`` (share whose
        peak is on a hit), ``chance`` (mean share of positions on a hit, the rate of a random peak),
        ``enrichment`` (peak_on_hit / chance) and ``auroc`` (mean per-sequence AUROC of the magnitudes against
        the hit positions).
    """
    values, hits = _check_values(values), np.asarray(hits, bool)
    if hits.shape != values.shape:
        raise ShapeError(f"hits {hits.shape} and values {values.shape} must have the same shape")
    if flank:
        grown = hits.copy()
        for s in range(1, flank + 1):
            grown[:, s:] |= hits[:, :-s]
            grown[:, :-s] |= hits[:, s:]
        hits = grown
    rows = np.flatnonzero(hits.any(1) & ~hits.all(1))
    if not len(rows):
        return {"n_with_hits": 0, "peak_on_hit": np.nan, "chance": np.nan, "enrichment": np.nan, "auroc": np.nan}
    peaks = values[rows].argmax(1)
    on = hits[rows, peaks].mean()
    chance = hits[rows].mean()
    return {"n_with_hits": int(len(rows)), "peak_on_hit": float(on), "chance": float(chance),
            "enrichment": float(on / chance), "auroc": float(np.mean([auroc(hits[i], values[i]) for i in rows]))}


def agreement_table(runs: Sequence, X, hits, output: int = 0, *, flank: int = 0) -> pd.DataFrame:
    """:func:`peak_agreement` of every run's saliency on ``X`` against the same motif hits.

    Returns
    -------
    DataFrame
        task, activation, trial, key and the statistics of :func:`peak_agreement`.
    """
    rows = []
    for run in runs:
        c = run.config
        stats = peak_agreement(run_position_saliency(run, X, output), hits, flank=flank)
        rows.append({"task": base_task(c.task), "activation": c.activation, "trial": c.trial, "key": c.key,
                     **stats})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- examples

def top_examples(runs: Sequence, X, k: int = 2, output: int = 0) -> np.ndarray:
    """The rule for the logo examples: the ``k`` sequences of ``X`` with the highest predicted probability,
    averaged over ``runs`` (e.g. the relu and exponential models of trial 0), best first.

    Parameters
    ----------
    runs : sequence of seqlib.runs.Run or keras.Model
        Runs, or their already loaded models.
    X : array_like, shape=(N, L, 4)

    Returns
    -------
    numpy.ndarray, shape=(k,)
        Indices into ``X``.
    """
    from ..attribution import predict_output

    if not runs:
        raise ValueError("top_examples needs at least one run")
    X = check_one_hot(X, allow_n=True)
    models = [r.load_model() if hasattr(r, "load_model") else r for r in runs]
    mean = np.mean([predict_output(m, X, output=output) for m in models], axis=0)
    return np.argsort(-mean, kind="stable")[:int(k)]

