"""Where things live. Notebooks and scripts ask this module instead of spelling out directories.

Two kinds of data:

* files seqlib itself needs at run time ship inside the package (``seqlib/data/``, see
  :func:`package_data_dir`): the paper's Tomtom targets and the paper's numbers. They are found
  wherever seqlib is installed; in the checkout ``data/`` holds symlinks to them, so
  ``data/paper_numbers.csv`` keeps working;
* users' data and generated data live in the project's ``data/`` folder (:func:`data_dir`).

``SEQLIB_HOME`` overrides the project root (default: the checkout that holds this package, or the
working directory for a non-editable install); ``SEQLIB_RESULTS`` overrides the results folder,
e.g. to share runs between a laptop and a cluster.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def project_root() -> Path:
    """The project folder: ``$SEQLIB_HOME``, else this checkout, else the working directory."""
    if os.environ.get("SEQLIB_HOME"):
        return Path(os.environ["SEQLIB_HOME"]).resolve()
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").exists() and (here / "data").is_dir():
        return here
    return Path.cwd().resolve()


def data_dir() -> Path:
    """The project's data folder (``data/``): users' data (ZBED2/IRF1 tasks, DeepSEA, Basset), generated data."""
    return project_root() / "data"


def package_data_dir() -> Path:
    """Data installed with seqlib (``seqlib/data/``): the paper's JASPAR 2016 Tomtom targets and numbers.

    Independent of the working directory and of ``$SEQLIB_HOME``.
    """
    return Path(str(resources.files("seqlib") / "data"))


def paper_numbers_csv() -> Path:
    """The paper's numbers as a table (shipped with seqlib; ``data/paper_numbers.csv`` in the checkout)."""
    return package_data_dir() / "paper_numbers.csv"


def results_dir() -> Path:
    """Finished runs (``results/``, or ``$SEQLIB_RESULTS``)."""
    if os.environ.get("SEQLIB_RESULTS"):
        return Path(os.environ["SEQLIB_RESULTS"]).resolve()
    return project_root() / "results"


def figures_dir() -> Path:
    """Saved figures (``results/figures/``)."""
    return results_dir() / "figures"


def jaspar2016_meme() -> Path:
    """The paper's Tomtom target database (518 motifs, JASPAR CORE 2016 vertebrates minus MA0615.1).

    Shipped with seqlib, so ``seqlib filters`` works from any folder.
    """
    return package_data_dir() / "JASPAR_CORE_2016_vertebrates.meme"


def jaspar2016_pfm() -> Path:
    """The paper's motif source: 519 JASPAR CORE 2016 vertebrate PFMs (``data/``; pyjaspar's JASPAR2016
    release holds the same motifs and is what seqlib reads at run time)."""
    return data_dir() / "pfm_vertebrates.txt"


def invivo_h5(name: str) -> Path:
    """A shipped in vivo task, ``"ZBED2"`` or ``"IRF1"``."""
    return data_dir() / f"{name.upper()}_400_h3k27ac.h5"
