"""Helpers shared by the fault-injection suite: series mixes, reference comparisons,
cache and download-folder audits, subprocesses."""

from __future__ import annotations

import gzip
import itertools
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from geo_nb import GEOResult
from geo_nb.files.receipt import RECEIPT_NAME, read_receipt
from geo_nb.ncbi.cache import DiskCache
from geo_nb.testing import DataStore, RequestRecord
from geo_nb.testing.synth import clone_series
from tests.helpers import cache_entries

ROOT = Path(__file__).resolve().parents[2]
SOFT_DATA = ROOT / "tests" / "data" / "soft"

# Kinds a transient network fault may leave behind once every retry is spent.
TRANSIENT_KINDS = frozenset({"unavailable", "rate_limited"})

# (template, copies, first series number, first sample number): 30 series of three real
# shapes: 14 samples + RAW.tar + filelist.txt, 2 samples + RAW.tar + filelist.txt, and
# 6 samples without a suppl/ folder (the listing answers 404).
MIX = (
    ("GSE101512", 10, 9_300_001, 93_000_001),
    ("GSE100494", 10, 9_310_001, 93_100_001),
    ("GSE146537", 10, 9_320_001, 93_200_001),
)


def clone_mix(store: DataStore, copies: int | None = None) -> list[str]:
    """Clone the three templates of :data:`MIX` (``copies`` each; default 10)."""
    accessions: list[str] = []
    for template, default, first_series, first_sample in MIX:
        accessions += clone_series(
            store,
            template,
            copies or default,
            first_series=first_series,
            first_sample=first_sample,
        )
    return accessions


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


CHARACTERISTIC = re.compile(r"^ch\d+\.")
FRAME_KEYS = {
    "series": ["accession"],
    "samples": ["series_accession", "accession"],
    "platforms": ["accession"],
    "files": ["series_accession", "accession", "level", "name", "url"],
}


def failed_accessions(res: GEOResult) -> set[str]:
    """Accessions with an error row."""
    return {e.accession for e in res.records.errors}


def assert_typed_errors(res: GEOResult, allowed: Iterable[str] = TRANSIENT_KINDS) -> None:
    """Every error row has an allowed kind, the accession it concerns and a message."""
    allowed = set(allowed)
    for error in res.records.errors:
        assert error.kind in allowed, error
        assert error.accession in res.records.requested, error
        assert error.message.strip(), error


def assert_matches_reference(res: GEOResult, ref: GEOResult) -> None:
    """The accessions without an error row are exactly what the fault-free run got.

    Records are compared as model dumps; the four DataFrames after sorting. With no
    error rows the whole results must be equal.
    """
    bad = failed_accessions(res)
    if not bad:
        assert res.records.model_dump() == ref.records.model_dump()
    good_series = {s.accession for s in ref.records.series} - bad
    mine = {s.accession: s for s in res.records.series}
    for series in ref.records.series:
        if series.accession in good_series:
            assert mine.get(series.accession) == series, series.accession
    theirs_samples = {s.accession: s for s in ref.records.samples}
    mine_samples = {s.accession: s for s in res.records.samples}
    for series in ref.records.series:
        if series.accession in good_series:
            for sample in series.sample_ids:
                assert mine_samples.get(sample) == theirs_samples.get(sample), sample
    for name, keys in FRAME_KEYS.items():
        frame, expected = getattr(res, name), getattr(ref, name)
        for column in ("series_accession", "accession"):
            if column in frame.columns:
                frame = frame[~frame[column].isin(bad)]
                expected = expected[~expected[column].isin(bad)]
        # Characteristic columns (ch1.<tag>) exist only where some kept sample has the tag.
        frame, expected = (
            _without_empty_characteristics(frame),
            _without_empty_characteristics(expected),
        )
        pd.testing.assert_frame_equal(_sorted(frame, keys), _sorted(expected, keys))


def _without_empty_characteristics(frame: pd.DataFrame) -> pd.DataFrame:
    empty = [c for c in frame.columns if CHARACTERISTIC.match(c) and frame[c].isna().all()]
    return frame.drop(columns=empty)


def temp_leftovers(cache_dir: Path) -> list[Path]:
    """Temporary files of interrupted cache writes."""
    return sorted((Path(cache_dir) / "responses-v1").rglob(".tmp-*.part"))


def assert_cache_sound(cache_dir: Path) -> int:
    """Every cache entry (digests too) is where its key says and passes ``DiskCache.get``;
    returns how many of NCBI's answers it holds.

    ``DiskCache.get`` deletes a corrupt entry and logs a warning; both would fail here.
    """
    cache = DiskCache(Path(cache_dir), ttl_days=7)
    answers = cache_entries(cache_dir)
    for entry in answers + cache_entries(cache_dir, digests=True):
        key = entry.name.removesuffix(".gz")
        assert len(key) == 64 and entry.parent.name == key[:2], entry
        assert cache.get(key) is not None, f"corrupt or unreadable cache entry {entry}"
        assert entry.exists(), f"DiskCache.get discarded {entry}"
    return len(answers)


def assert_no_half_files(
    dest: Path, contents: dict[str, bytes], *, resumable: Iterable[str] = ()
) -> None:
    """Final files are whole; ``.part`` files exist only for ``resumable`` names and
    hold a prefix of the file (so the next run can resume after them), each with the
    ``.part.meta`` that records what it is a part of."""
    allowed = set(resumable)
    for path in Path(dest).rglob("*"):
        if path.is_dir():
            continue
        if path.name == RECEIPT_NAME:
            # The receipt never claims a file that is not whole on disk.
            for key, entry in read_receipt(dest)["files"].items():
                if entry.get("sha256"):
                    assert (Path(dest) / key).read_bytes() == contents[Path(key).name], key
            continue
        if path.name.endswith(".part.meta"):
            assert path.with_name(path.name.removesuffix(".meta")).exists(), f"orphan {path}"
            continue
        if path.name.endswith(".part"):
            name = path.name.removesuffix(".part")
            assert name in allowed, f"unexpected partial file {path}"
            assert contents[name].startswith(path.read_bytes()), f"{path} is not a prefix"
        else:
            assert path.read_bytes() == contents[path.name], f"{path} is not the whole file"


def gaps_after(records: list[RequestRecord]) -> list[float]:
    """Seconds between the end of each answer and the arrival of the next request."""
    return [b.time - a.end_time for a, b in itertools.pairwise(records)]


def family_soft(rows: int = 3000, seed: int = 0) -> bytes:
    """GEO's example family SOFT with ``rows`` extra platform rows, gzip-compressed.

    Random probe sequences keep it from compressing to nothing, so a bandwidth
    limit or a truncation lands in the middle of real gzip data.
    """
    text = (SOFT_DATA / "soft_ex_family.txt").read_text(encoding="utf-8")
    rng = random.Random(seed)
    extra = "".join(
        f"{10_000 + i}\tNM_{i}\tprobe {i}\tG{i}\t\t{''.join(rng.choices('ACGT', k=70))}\n"
        for i in range(rows)
    )
    head, end, tail = text.partition("!platform_table_end")
    return gzip.compress((head + extra + end + tail).encode(), mtime=0)


def run_python(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``python -c code args...`` with the current environment (plus ``env``)."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
