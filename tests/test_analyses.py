"""Cached analyses of a trained run (seqlib.analyses): filter statistics and the ground truth they use."""

from dataclasses import replace

import numpy as np
import pytest

from seqlib import analyses
from seqlib.simulate import simulate_task1


def test_filter_analysis_is_cached_and_consistent(trained):
    r, data = trained
    first = analyses.filter_analysis(r, dataset=data)
    assert first["ppms"].shape == (32, 20, 4) and len(first["per_filter"]) == 32
    assert set(first["families"]) == set(data.meta["class_names"])
    assert 0 <= first["stats"]["match_fraction"] <= first["stats"]["match_any"] <= 1
    cached = sorted(p.name for p in (r.path / "analyses").iterdir())
    assert any(n.startswith("ppms_") for n in cached) and any(n.startswith("tomtom_") for n in cached)
    again = analyses.filter_analysis(r, dataset=data)
    np.testing.assert_array_equal(first["ppms"], again["ppms"])
    assert first["stats"] == again["stats"]
    table = analyses.filter_table([r], dataset=data)
    assert {"match_fraction", "match_any", "coverage", "test_auroc"} <= set(table.columns)


def test_every_argument_of_the_filter_analysis_keys_its_cache(trained, monkeypatch):
    import seqlib.runs as runs
    from seqlib.motifs import load_jaspar
    r, data = trained
    folder = r.path / "analyses"
    analyses.filter_analysis(r, dataset=data)
    seen = {p.name for p in folder.iterdir()}

    def computed(**kwargs):
        """The analyses a call computed (new files), by name."""
        out = analyses.filter_analysis(r, **{"dataset": data, **kwargs})
        new = {p.name for p in folder.iterdir()} - seen
        seen.update(new)
        return sorted(n.rsplit("_", 1)[0] for n in new), out

    assert computed()[0] == []                                            # same arguments: all loaded
    assert computed(evalue_threshold=0.01)[0] == ["filter_stats", "tomtom"]
    one, two = load_jaspar(["MAX", "SRF"]), load_jaspar(["YY1", "SP1", "GATA1"])
    assert computed(targets=one)[0] == ["filter_stats", "tomtom"]
    names, out = computed(targets=two)                                    # another custom set is not "custom" again
    assert names == ["filter_stats", "tomtom"] and set(out["tomtom"]["Target_ID"]) <= {m.id for m in two}
    assert computed(release="JASPAR2020")[0] == ["filter_stats", "tomtom"]
    assert computed(threshold=0.7)[0] == ["filter_stats", "ppms", "tomtom"]
    assert computed(window=24)[0] == ["filter_stats", "ppms", "tomtom"]
    other = simulate_task1(n_sequences=600, seed=12)                      # a dataset= override is other data
    assert computed(dataset=other)[0] == ["filter_stats", "ppms", "tomtom"]
    monkeypatch.setattr(runs, "ANALYSIS_VERSION", runs.ANALYSIS_VERSION + 1)
    assert computed()[0] == ["filter_stats", "ppms", "tomtom"]


def test_filter_analysis_without_ground_truth_scores_hits_only(trained):
    r, data = trained
    unknown = replace(data, meta={"task": "zbed2"})                         # no ground-truth motifs
    out = analyses.filter_analysis(r, dataset=unknown)
    assert out["families"] is None and np.isnan(out["stats"]["match_fraction"])
    assert 0 <= out["stats"]["match_any"] <= 1 and len(out["summary"]) == 32


def test_planted_motifs_per_task():
    ids, names = analyses.planted_motifs(simulate_task1(n_sequences=200))
    assert len(ids) == 12 and names[5] == "MAX"
    with pytest.raises(ValueError, match="no planted"):
        analyses.planted_motifs(type("D", (), {"meta": {"task": "zbed2"}})())


