"""The book's layer: the paper's chapters' analysis, built on the :mod:`seqlib` library (which never imports it).

One module per part of the book:

* :mod:`~seqlib.book.profiles`: the compute profiles ``tiny``, ``quick`` and ``paper`` as data;
* :mod:`~seqlib.book.paper`: the paper's own numbers (``data/paper_numbers.csv``);
* :mod:`~seqlib.book.summary`: data-set statistics of chapter 01;
* :mod:`~seqlib.book.experiments`: the paper's training experiments and the analyses of chapters 02 and 03;
* :mod:`~seqlib.book.robustness`: the initialisation controls of chapter 04;
* :mod:`~seqlib.book.attribution_quality`: the Task-3 attribution scores of chapter 05;
* :mod:`~seqlib.book.invivo`: the in vivo analyses of chapter 06;
* :mod:`~seqlib.book.figures`: the figures that put our numbers beside the paper's;
* :mod:`~seqlib.book.verdict`: the one rule every claim is judged by, with its tolerances;
* :mod:`~seqlib.book.claims` and :mod:`~seqlib.book.status`: the generated Claims and Status pages;
* :mod:`~seqlib.book.notebooks`: executing the chapters with papermill (one profile, a sweep, a Dask cluster);
* :mod:`~seqlib.book.cli`: ``seqlib notebooks``, ``sweep``, ``status`` and ``claims``.
"""
