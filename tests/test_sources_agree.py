"""The sources agree: acc.cgi and the FTP tree give the same series and samples frames.

Over every recorded series with an acc.cgi answer (all of them have a series matrix or a
family SOFT on the emulated FTP tree: real where recorded, generated from the records
otherwise, see geo_nb/testing/seriesfiles.py), the frames from ``metadata_source="acc"``
and ``metadata_source="ftp"`` are equal on every column both carry, except the cells
named in :data:`CANNOT_AGREE`, each with its reason (and each checked to differ, so the
list stays true). GSE211781, whose matrix and family file are both real captures, is
also compared through its family file. ``record_source`` differs by design.
"""

from __future__ import annotations

import pandas as pd
import pytest

import geo_nb
from geo_nb.testing import DataStore, NCBIEmulator

STORE = DataStore()
SERIES = sorted(a for a in STORE.accessions() if a.startswith("GSE"))


def _recorded(series: str, label: str) -> bool:
    record = STORE.record(series)
    return record is not None and any(STORE.record(a) for a in record.values(label))


SAMPLE_LESS = [s for s in SERIES if not _recorded(s, "Series_sample_id")]
NO_ORGANISM = [s for s in SAMPLE_LESS if not _recorded(s, "Series_platform_id")]
NO_SAMPLES_RECORDED = (
    "the recordings hold none of its samples nor its platforms; GEO's family SOFT has no "
    "series organism line (only taxids), so from the FTP tree the organism comes from the "
    "samples, and there are none here (GEO's real family file has them all)"
)
#: (series, frame, column) -> why the two sources cannot agree there.
CANNOT_AGREE: dict[tuple[str, str, str], str] = {
    ("GSE99709", "series", "last_updated"): (
        "two real captures a year apart: acc.cgi's record says May 15 2019, the matrix "
        "Oct 31 2018 (GEO updated the series in between)"
    ),
    **{(s, "series", "organism"): NO_SAMPLES_RECORDED for s in NO_ORGANISM},
}
#: Series whose matrix holds samples the acc.cgi recordings lack.
MORE_ON_THE_FTP_TREE = {
    "GSE99709": "its 12 samples are only in its real matrix (the acc.cgi capture is the "
    "series record alone, so acc.cgi's answer is 'incomplete')"
}


def _fetch(accession: str, source: str) -> geo_nb.GEOResult:
    # refresh: the memory cache holds records whatever source they came from.
    return geo_nb.fetch(
        accession, progress=False, files=False, metadata_source=source, refresh=True
    )


def _cells(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.drop(columns="record_source").set_index(keys).sort_index()


def _same(a: object, b: object) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        return list(a) == list(b)  # type: ignore[call-overload]
    if pd.isna(a) or pd.isna(b):  # type: ignore[call-overload]
        return bool(pd.isna(a) and pd.isna(b))  # type: ignore[call-overload]
    return bool(a == b)


def _differences(
    acc: geo_nb.GEOResult, ftp: geo_nb.GEOResult, series: str
) -> tuple[set[tuple[str, str, str]], set[str]]:
    """The (series, frame, column) cells that differ, and sample rows only one side has."""
    found: set[tuple[str, str, str]] = set()
    only: set[str] = set()
    for frame, keys in (("series", ["accession"]), ("samples", ["series_accession", "accession"])):
        a, f = _cells(getattr(acc, frame), keys), _cells(getattr(ftp, frame), keys)
        only |= {str(i) for i in a.index.symmetric_difference(f.index)}
        common = a.index.intersection(f.index)
        columns = [c for c in a.columns if c in f.columns]
        for column in columns:
            for index in common:
                if not _same(a.at[index, column], f.at[index, column]):
                    found.add((series, frame, column))
        # A characteristic only one side has must be empty on the rows both have.
        for column in set(a.columns) ^ set(f.columns):
            side = a if column in a.columns else f
            assert side.loc[common, column].isna().all(), (series, column)
    return found, only


@pytest.mark.parametrize("series", SERIES)
def test_acc_and_ftp_agree(geo_env: NCBIEmulator, series: str) -> None:
    acc = _fetch(series, "acc")
    geo_env.clear_log()
    ftp = _fetch(series, "ftp")
    assert set(acc.series.record_source) == {"acc"}
    matrix = series not in SAMPLE_LESS or series in MORE_ON_THE_FTP_TREE  # GSE99709's is real
    expected = "series_matrix" if matrix else "family_soft"
    assert set(ftp.series.record_source) == {expected}
    assert not any(r.service == "acc" for r in geo_env.requests)
    differing, only = _differences(acc, ftp, series)
    named = {cell for cell in CANNOT_AGREE if cell[0] == series}
    assert differing == named, {c: CANNOT_AGREE.get(c, "not named") for c in differing ^ named}
    if series in MORE_ON_THE_FTP_TREE:
        assert only and acc.errors.kind.tolist() == ["incomplete"] and ftp.errors.empty
    else:
        assert not only
        assert acc.errors.kind.tolist() == ftp.errors.kind.tolist()


def test_a_real_family_file_agrees_with_acc_and_with_the_real_matrix(
    geo_env: NCBIEmulator,
) -> None:
    acc, matrix = _fetch("GSE211781", "acc"), _fetch("GSE211781", "ftp")
    geo_env.store.remove_ftp_file(
        "series/GSE211nnn/GSE211781/matrix/GSE211781_series_matrix.txt.gz"
    )
    family = _fetch("GSE211781", "ftp")
    assert set(family.series.record_source) == {"family_soft"}
    assert set(matrix.series.record_source) == {"series_matrix"}
    for other in (matrix, family):
        assert _differences(acc, other, "GSE211781") == (set(), set())
    assert len(family.samples) == 16 and family.errors.empty
    # The family file also holds the platform record (the matrix has none).
    assert family.platforms.accession.tolist() == ["GPL16791"] and matrix.platforms.empty


def test_every_exception_is_a_recorded_series() -> None:
    assert {series for series, _, _ in CANNOT_AGREE} <= set(SERIES)
    assert set(MORE_ON_THE_FTP_TREE) <= set(SERIES)
    assert len(SERIES) >= 16 and "GSE211781" in SERIES
