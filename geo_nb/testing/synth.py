"""More series of real shapes: clones of recorded series under new accessions.

Benchmarks and load tests need more series than were ever recorded. A clone
is a recorded series and its recorded samples with every accession (and the
FTP bucket folders built from them) renumbered; the text is otherwise the
captured text, so its shape, sizes and vocabulary stay real. The files of the
series' and samples' FTP folders are cloned too (``filelist.txt`` renumbered,
big files as generated content of the same size).

Example:
    >>> from geo_nb.testing import DataStore
    >>> from geo_nb.testing.synth import clone_series
    >>> store = DataStore()
    >>> clone_series(store, "GSE146537", 2)
    ['GSE9000001', 'GSE9000002']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from .geopaths import bucket, ftp_dir
from .store import DataStore

__all__ = ["clone_series", "renumber"]


def renumber(text: str, mapping: Mapping[str, str]) -> str:
    """``text`` with every accession of ``mapping`` replaced (also in FTP bucket paths)."""
    return _renumber(text, mapping)


def _renumber(text: str, mapping: Mapping[str, str]) -> str:
    for old, new in mapping.items():
        if old[:3] in ("GSE", "GSM", "GPL"):  # GEO's FTP buckets; SRA accessions have none
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
    extra: Callable[[int], Mapping[str, str]] | None = None,
    on_clone: Callable[[Mapping[str, str]], None] | None = None,
) -> list[str]:
    """Add ``copies`` clones of the recorded series ``template`` (with its samples).

    Returns the new series accessions. Only samples the store holds are cloned;
    sample numbers are allocated consecutively from ``first_sample``. ``extra(n)``
    adds renamings for copy ``n`` (say, its SRA accessions); ``on_clone(mapping)``
    is called with each copy's whole mapping (to clone data kept elsewhere).
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
        mapping.update(extra(n) if extra is not None else {})
        texts = [series.text, *(s.text for s in samples)]
        store.add_record("".join(_renumber(t, mapping) for t in texts))
        for old, new in mapping.items():
            if old[:3] in ("GSE", "GSM"):
                _clone_folder(store, ftp_dir(old), ftp_dir(new), mapping)
        if on_clone is not None:
            on_clone(mapping)
        created.append(mapping[template])
    return created


def _clone_folder(store: DataStore, old: str, new: str, mapping: Mapping[str, str]) -> None:
    for entry in store.listing(old) or []:
        source, target = f"{old}/{entry.name}", f"{new}/{_renumber(entry.name, mapping)}"
        if entry.is_dir:
            _clone_folder(store, source, target, mapping)
            continue
        file = store.ftp_file(source)
        if file is None:
            continue
        if file.virtual:
            store.add_virtual_file(target, file.size, file.mtime)
        else:
            text = b"".join(file.read()).decode("latin-1")
            store.add_ftp_file(target, _renumber(text, mapping).encode("latin-1"), file.mtime)
