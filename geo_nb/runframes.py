"""Runs and publications as pandas DataFrames (``res.runs``, ``res.publications``).

Same conventions as :mod:`geo_nb.frames`: counts are ``Int64``, dates
``datetime64``, lists stay lists, and the columns are there even without rows.

Example:
    >>> from geo_nb.records import Run
    >>> frame = runs_frame([Run(run="SRR1", spots=10, fastq_bytes=[5, 6])])
    >>> str(frame.spots.dtype), frame.fastq_bytes[0]
    ('Int64', [5, 6])
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .frames import ColumnKind, make_frame
from .records import Publication, Run

__all__ = ["PUBLICATION_COLUMNS", "RUN_COLUMNS", "publications_frame", "runs_frame"]

RUN_COLUMNS: dict[str, ColumnKind] = {
    "series_accession": "str",
    "sample_accession": "str",
    "experiment": "str",
    "run": "str",
    "study": "str",
    "bioproject": "str",
    "biosample": "str",
    "library_layout": "str",
    "library_strategy": "str",
    "library_source": "str",
    "instrument": "str",
    "spots": "int",
    "bases": "int",
    "size_bytes": "int",
    "fastq_urls": "list",
    "fastq_bytes": "list",
    "fastq_md5": "list",
    "sra_url": "str",
    "published": "date",
    "source": "str",
}
PUBLICATION_COLUMNS: dict[str, ColumnKind] = {
    "pmid": "str",
    "series_accessions": "list",
    "title": "str",
    "journal": "str",
    "year": "int",
    "doi": "str",
    "first_author": "str",
    "last_author": "str",
}


def runs_frame(runs: Iterable[Run]) -> pd.DataFrame:
    """One row per (series, sample, run); a sample with several runs has several rows."""
    return make_frame((r.model_dump() for r in runs), RUN_COLUMNS)


def publications_frame(publications: Iterable[Publication]) -> pd.DataFrame:
    """One row per PubMed article, with the fetched series that cite it."""
    return make_frame((p.model_dump() for p in publications), PUBLICATION_COLUMNS)
