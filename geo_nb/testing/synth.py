"""More series of real shapes: clones of recorded series under new accessions.

Benchmarks and load tests need more series than were ever recorded. A clone
is a recorded series and its recorded samples with every accession (and the
FTP bucket folders built from them) renumbered; the text is otherwise the
captured text, so its shape, sizes and vocabulary stay real.

Example:
    >>> from geo_nb.testing import DataStore
    >>> from geo_nb.testing.synth import clone_series
    >>> store = DataStore()
    >>> clone_series(store, "GSE146537", 2)
    ['GSE9000001', 'GSE9000002']
"""

from __future__ import annotations

import re

from ..accessions import bucket
from .store import DataStore

__all__ = ["clone_series"]


def _renumber(text: str, mapping: dict[str, str]) -> str:
    for old, new in mapping.items():
        text = text.replace(f"{bucket(old)}/{old}", f"{bucket(new)}/{new}")
    pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, mapping)) + r")(?![0-9])")
    return pattern.sub(lambda m: mapping[m.group(1)], text)


def clone_series(
    store: DataStore,
    template: str,
    copies: int,
    *,
    first_series: int = 9_000_001,
    first_sample: int = 90_000_001,
) -> list[str]:
    """Add ``copies`` clones of the recorded series ``template`` (with its samples).

    Returns the new series accessions. Only samples the store holds are cloned;
    sample numbers are allocated consecutively from ``first_sample``.
    """
    series = store.record(template)
    if series is None or series.kind != "SERIES":
        raise KeyError(f"{template} is not a recorded series")
    samples = [r for r in map(store.record, series.values("Series_sample_id")) if r is not None]
    created: list[str] = []
    sample_number = first_sample
    for n in range(copies):
        mapping = {template: f"GSE{first_series + n}"}
        for sample in samples:
            mapping[sample.accession] = f"GSM{sample_number}"
            sample_number += 1
        texts = [series.text, *(s.text for s in samples)]
        store.add_record("".join(_renumber(t, mapping) for t in texts))
        created.append(mapping[template])
    return created
