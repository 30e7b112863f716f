"""``read_counts`` through both engines: the same frames, the same typed errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from geo_nb.errors import ParseError
from geo_nb.parse import counts


@pytest.fixture(params=["pyarrow", "c"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(counts, "csv_engine", lambda: request.param)
    return str(request.param)


def write(tmp_path: Path, text: str, name: str = "t.tsv.gz") -> Path:
    path = tmp_path / name
    data = text.encode()
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


def test_raw_counts_are_int64_indexed_by_gene(engine: str, tmp_path: Path) -> None:
    path = write(tmp_path, "GeneID\tGSM1\tGSM2\n1\t5\t0\n2\t7\t3\n100287102\t0\t12\n")
    frame = counts.read_counts(path)
    assert frame.index.name == "GeneID" and str(frame.index.dtype) == "int64"
    assert [str(t) for t in frame.dtypes] == ["Int64", "Int64"]
    assert frame.loc[100287102].tolist() == [0, 12] and list(frame.columns) == ["GSM1", "GSM2"]


def test_a_gap_stays_missing(engine: str, tmp_path: Path) -> None:
    frame = counts.read_counts(write(tmp_path, "GeneID\tGSM1\tGSM2\n1\t5\t\n2\t7\t3\n"))
    assert frame["GSM2"].isna().tolist() == [True, False] and str(frame["GSM2"].dtype) == "Int64"


def test_tpm_is_float(engine: str, tmp_path: Path) -> None:
    path = write(tmp_path, "GeneID\tGSM1\n1\t0.6946\n2\t12\n", name="t.tsv")
    frame = counts.read_counts(path, kind="tpm")
    assert str(frame["GSM1"].dtype) == "float64" and frame.loc[1, "GSM1"] == 0.6946


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Gene\tGSM1\n1\t5\n", "first column is 'Gene'"),
        ("GeneID\tGSM1\n1\tfive\n", "not numbers"),
        ("GeneID\tGSM1\n1\t5\n1\t6\n", "lists genes twice"),
        ("", "not a readable counts table"),
    ],
)
def test_what_is_not_a_counts_table(engine: str, tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        counts.read_counts(write(tmp_path, text))


def test_a_sample_column_twice_is_refused_not_merged(engine: str, tmp_path: Path) -> None:
    # pyarrow keeps both names and a dict would keep one; pandas' C engine renames the second.
    with pytest.raises(ParseError, match=r"column twice: \['GSM1'\]"):
        counts.read_counts(write(tmp_path, "GeneID\tGSM1\tGSM1\n1\t5\t6\n"))


def test_both_engines_agree_on_a_real_shaped_table(tmp_path: Path) -> None:
    rows = "\n".join(f"{g}\t{g % 7}\t{g % 11}\t{g % 3}" for g in range(1, 2000))
    path = write(tmp_path, "GeneID\tGSM1\tGSM2\tGSM3\n" + rows + "\n")
    pytest.importorskip("pyarrow")
    fast = counts.read_counts(path)
    original = counts.csv_engine
    try:
        counts.csv_engine = lambda: "c"  # type: ignore[assignment]
        slow = counts.read_counts(path)
    finally:
        counts.csv_engine = original  # type: ignore[assignment]
    pd.testing.assert_frame_equal(fast, slow)
