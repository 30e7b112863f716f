"""Bodies cut in the middle of gzip data, during a download and during load_geoparse.

A cut body is resumed (HTTP Range) or retried, never kept or parsed half: a final
file is always whole, and a ``.part`` is only ever a prefix the next run resumes.
"""

from __future__ import annotations

import gzip
import os
import random
from pathlib import Path

import pandas as pd
import pytest

import geo_nb
from geo_nb.accessions import ftp_dir
from geo_nb.errors import UnavailableError
from geo_nb.testing import FaultRule, NCBIEmulator, RequestRecord
from tests.faults._support import assert_no_half_files, family_soft
from tests.helpers import downloadable_series

FAMILY = "series/GSEnnn/GSE1/soft/GSE1_family.soft.gz"


def counts_table(seed: int, rows: int = 6000) -> bytes:
    """A gzip'ed counts table (~120 KB) whose bytes depend on ``seed``."""
    rng = random.Random(seed)
    lines = [
        f"gene{i}\t" + "\t".join(str(rng.randrange(10_000)) for _ in range(6)) for i in range(rows)
    ]
    return gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)


def gz_series(emu: NCBIEmulator, data: bytes) -> tuple[str, str]:
    """A downloadable series whose suppl/ folder also holds ``<series>_counts.txt.gz``.

    Only the folder listing names that file, so its size is approximate (``375K``)
    unless a HEAD sizes it: the download cannot lean on an exact size.
    """
    series, _ = downloadable_series(emu)
    name = f"{series}_counts.txt.gz"
    emu.store.add_ftp_file(f"{ftp_dir(series)}/suppl/{name}", data, mtime=1_600_000_000)
    return series, name


def gets(emu: NCBIEmulator, name: str) -> list[RequestRecord]:
    return [r for r in emu.requests if r.method == "GET" and r.path.endswith(name)]


def cached_family(settings: geo_nb.Settings) -> Path:
    return Path(settings.cache_dir) / "files" / FAMILY


def assert_same_geoparse(gse: object, ref: object) -> None:
    for attribute in ("gsms", "gpls"):
        mine, theirs = getattr(gse, attribute), getattr(ref, attribute)
        assert sorted(mine) == sorted(theirs) and mine
        for name, entity in theirs.items():
            assert mine[name].metadata == entity.metadata
            pd.testing.assert_frame_equal(mine[name].table, entity.table)


def test_a_gz_file_cut_mid_body_is_resumed(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    data = counts_table(1)
    series, name = gz_series(geo_env, data)
    res = geo_nb.fetch(series, progress=False, exact_sizes=True)
    (row,) = res.files[res.files.name == name].itertuples()
    # Sized from the listing (rounded), so not HEADed: nothing exact to check against.
    assert row.size_source == "listing" and not row.size_exact
    geo_env.add_fault(FaultRule(match=f"{name}$", action="truncate", after_bytes=40_000))
    report = res.plan(pattern="_counts").download(tmp_path / "dest", progress=False)
    assert report.status.tolist() == ["resumed"]
    final = Path(report.path[0])
    assert final.read_bytes() == data and gzip.decompress(final.read_bytes())
    first, second = gets(geo_env, name)
    assert first.fault == "truncate" and first.bytes_sent == 40_000
    assert second.headers["Range"] == "bytes=40000-" and second.status == 206
    assert_no_half_files(tmp_path / "dest", {name: data})


def test_a_gz_file_cut_on_every_attempt_leaves_only_a_resumable_part(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    data = counts_table(2)
    series, name = gz_series(geo_env, data)
    res = geo_nb.fetch(series, progress=False)
    geo_env.add_fault(
        FaultRule(match=f"{name}$", action="truncate", after_bytes=30_000, times=None)
    )
    dest = tmp_path / "dest"
    failed = res.plan(pattern="_counts").download(dest, progress=False, max_attempts=2)
    assert failed.status.tolist() == ["failed"]
    assert "failed after 2 attempts" in failed.error[0] and "resume" in failed.error[0]
    final = Path(failed.path[0])
    assert not final.exists()
    # Each attempt resumed after the last: the part holds two cuts' worth, a prefix.
    assert final.with_name(name + ".part").stat().st_size == 60_000
    assert_no_half_files(dest, {name: data}, resumable=[name])
    geo_env.clear_faults()
    again = res.plan(pattern="_counts").download(dest, progress=False)
    assert again.status.tolist() == ["resumed"]
    assert gets(geo_env, name)[-1].headers["Range"] == "bytes=60000-"
    assert final.read_bytes() == data
    assert_no_half_files(dest, {name: data})


def test_load_geoparse_retries_a_family_soft_cut_mid_gzip(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    data = family_soft()
    geo_env.store.add_ftp_file(FAMILY, data)
    ref = geo_nb.load_geoparse("GSE1", cache_dir=tmp_path / "reference")
    geo_env.clear_log()
    geo_env.add_fault(
        FaultRule(match="GSE1_family", action="truncate", after_bytes=len(data) // 3, times=2)
    )
    gse = geo_nb.load_geoparse("GSE1")
    assert_same_geoparse(gse, ref)
    tries = gets(geo_env, "GSE1_family.soft.gz")
    assert [r.status for r in tries] == [200, 206, 206]
    assert [r.fault for r in tries] == ["truncate", "truncate", None]
    assert cached_family(geo_nb.Settings()).read_bytes() == data


def test_load_geoparse_never_parses_half_a_family_soft(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    data = family_soft()
    geo_env.store.add_ftp_file(FAMILY, data)
    ref = geo_nb.load_geoparse("GSE1", cache_dir=tmp_path / "reference")
    geo_env.add_fault(
        FaultRule(match="GSE1_family", action="truncate", after_bytes=20_000, times=None)
    )
    with pytest.raises(UnavailableError, match="failed after 2 attempts"):
        geo_nb.load_geoparse("GSE1", max_attempts=2)
    final = cached_family(geo_nb.Settings())
    assert not final.exists()
    assert data.startswith(final.with_name(final.name + ".part").read_bytes())
    geo_env.clear_faults()
    geo_env.clear_log()
    gse = geo_nb.load_geoparse("GSE1")
    assert_same_geoparse(gse, ref)
    (resumed,) = gets(geo_env, "GSE1_family.soft.gz")
    assert resumed.headers["Range"] == "bytes=40000-" and resumed.status == 206
    assert final.read_bytes() == data
    assert not final.with_name(final.name + ".part").exists()


@pytest.mark.parametrize("via", ["plan", "load_geoparse"])
def test_a_complete_part_of_unknown_size_is_finished_not_refused(
    geo_env: NCBIEmulator, tmp_path: Path, via: str
) -> None:
    if via == "plan":
        data = counts_table(3)
        series, name = gz_series(geo_env, data)
        res = geo_nb.fetch(series, progress=False)
        dest = tmp_path / "dest"
        (dest / series).mkdir(parents=True)
        (dest / series / f"{name}.part").write_bytes(data)
        report = res.plan(pattern="_counts").download(dest, progress=False)
        assert report.status.tolist()[0] in ("downloaded", "resumed"), report.error[0]
        assert (dest / series / name).read_bytes() == data
    else:
        data = family_soft()
        geo_env.store.add_ftp_file(FAMILY, data)
        final = cached_family(geo_nb.Settings())
        final.parent.mkdir(parents=True)
        final.with_name(final.name + ".part").write_bytes(data)
        assert len(geo_nb.load_geoparse("GSE1").gsms) == 3
        assert final.read_bytes() == data


@pytest.mark.parametrize("via", ["plan, cut download", "plan, bare part", "load_geoparse"])
def test_a_part_of_an_older_version_is_never_spliced_onto_the_new_one(
    geo_env: NCBIEmulator, tmp_path: Path, via: str
) -> None:
    if via.startswith("plan"):
        old, new = counts_table(4), counts_table(5)
        series, name = gz_series(geo_env, old)
        res = geo_nb.fetch(series, progress=False)
        dest = tmp_path / "dest"
        part = dest / series / f"{name}.part"
        if via == "plan, cut download":
            # A real interrupted run: a .part of the old version and the .part.meta that
            # records its Last-Modified.
            geo_env.add_fault(FaultRule(match=f"{name}$", action="truncate", after_bytes=50_000))
            cut = res.plan(pattern="_counts").download(dest, progress=False, max_attempts=1)
            assert cut.status.tolist() == ["failed"] and part.read_bytes() == old[:50_000]
            geo_env.clear_faults()
        else:
            # A .part with no .part.meta: nothing says what it is a part of.
            part.parent.mkdir(parents=True)
            part.write_bytes(old[:50_000])
        geo_env.clear_log()
        geo_env.store.add_ftp_file(f"{ftp_dir(series)}/suppl/{name}", new, mtime=1_700_000_000)
        report = res.plan(pattern="_counts").download(dest, progress=False)
        assert report.status.tolist() == ["downloaded"], report.error[0]
        assert (dest / series / name).read_bytes() == new
        assert_no_half_files(dest, {name: new})
        tries = gets(geo_env, name)
        assert tries[-1].status == 200 and "Range" not in tries[-1].headers
        if via == "plan, cut download":
            # The resume was tried only on condition that the file was still the old one
            # (the emulator ignores If-Range: its 206 of the new file was refused).
            asked = tries[0].headers
            assert asked["Range"] == "bytes=50000-"
            assert asked["If-Range"] == "Sun, 13 Sep 2020 12:26:40 GMT"  # old mtime 1.6e9
        else:
            assert len(tries) == 1  # the bare part was dropped unasked
    else:
        old, new = family_soft(seed=1), family_soft(seed=2)
        geo_env.store.add_ftp_file(FAMILY, new, mtime=1_700_000_000)
        final = cached_family(geo_nb.Settings())
        final.parent.mkdir(parents=True)
        final.with_name(final.name + ".part").write_bytes(old[: len(old) // 2])
        gse = geo_nb.load_geoparse("GSE1")
        assert final.read_bytes() == new and len(gse.gsms) == 3


def test_a_retry_before_the_first_byte_is_not_a_resume(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    series, contents = downloadable_series(geo_env)
    name = next(iter(contents))
    res = geo_nb.fetch(series, progress=False)
    geo_env.add_fault(FaultRule(match=f"{name}$", status=503, retry_after="0", times=1))
    report = res.plan(pattern=name).download(tmp_path / "dest", progress=False)
    assert "Range" not in gets(geo_env, name)[-1].headers
    assert Path(report.path[0]).read_bytes() == contents[name]
    assert report.status.tolist() == ["downloaded"]


def test_a_part_longer_than_the_exact_size_is_discarded_and_refetched(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    series, contents = downloadable_series(geo_env)
    name = next(iter(contents))
    res = geo_nb.fetch(series, progress=False)
    dest = tmp_path / "dest"
    (dest / series).mkdir(parents=True)
    (dest / series / f"{name}.part").write_bytes(contents[name] + os.urandom(10))
    report = res.plan(pattern=name).download(dest, progress=False)
    assert report.status.tolist() == ["downloaded"]
    assert (dest / series / name).read_bytes() == contents[name]
    assert "Range" not in gets(geo_env, name)[-1].headers
