"""Download plans against the emulator: resume, verification, safe paths, extraction."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from pathlib import Path

import pytest

import geo_nb
from geo_nb.errors import UnsafePathError
from geo_nb.files.download import DownloadJob, download_file, safe_destination
from geo_nb.ncbi.cache import memory_cache
from geo_nb.ncbi.http import HttpClient
from geo_nb.settings import Settings
from geo_nb.testing import FaultRule, NCBIEmulator
from tests.helpers import downloadable_series


@pytest.fixture(autouse=True)
def _fresh_memory_cache() -> None:
    memory_cache.clear()


def gets(emu: NCBIEmulator, contains: str) -> list:  # type: ignore[type-arg]
    return [r for r in emu.requests if r.method == "GET" and contains in r.path]


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".part")]


def test_plan_downloads_verifies_and_skips_complete_files(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    series, contents = downloadable_series(geo_env)
    res = geo_nb.fetch(series, progress=False)
    plan = res.plan(category="genome_track")
    assert len(plan) == 6 and plan.total_bytes == sum(len(b) for b in contents.values())
    report = plan.download(tmp_path, progress=False)
    assert report.status.tolist() == ["downloaded"] * 6
    for row in report.itertuples():
        path = Path(row.path)
        assert path.parent == tmp_path / series
        assert path.read_bytes() == contents[row.name]
    assert leftovers(tmp_path) == []
    served = len(gets(geo_env, "/samples/"))
    again = plan.download(tmp_path, progress=False)
    assert again.status.tolist() == ["skipped"] * 6
    assert len(gets(geo_env, "/samples/")) == served


def test_resume_after_a_connection_dropped_mid_file(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    series, contents = downloadable_series(geo_env)
    name = next(n for n in contents if "rescue_rep1" in n)
    geo_env.add_fault(
        FaultRule(match=f"/samples/.*{name}$", action="truncate", after_bytes=50_000, times=1)
    )
    res = geo_nb.fetch(series, progress=False)
    report = res.plan(pattern="rescue_rep1").download(tmp_path, progress=False)
    assert report.status.tolist() == ["resumed"]
    assert Path(report.path[0]).read_bytes() == contents[name]
    first, second = gets(geo_env, name)
    assert first.fault == "truncate" and 0 < first.bytes_sent < len(contents[name])
    assert second.headers.get("Range") == f"bytes={first.bytes_sent}-"
    assert second.status == 206


def test_interrupted_part_file_is_resumed_by_the_next_run(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    series, contents = downloadable_series(geo_env)
    name = next(n for n in contents if "mut_rep2" in n)
    geo_env.add_fault(
        FaultRule(match=f"{name}$", action="truncate", after_bytes=30_000, times=None)
    )
    res = geo_nb.fetch(series, progress=False)
    failed = res.plan(pattern="mut_rep2").download(tmp_path, progress=False, max_attempts=1)
    assert failed.status.tolist() == ["failed"] and "resume" in failed.error[0]
    part = Path(failed.path[0] + ".part")
    assert 0 < part.stat().st_size < len(contents[name])
    geo_env.clear_faults()
    report = res.plan(pattern="mut_rep2").download(tmp_path, progress=False)
    assert report.status.tolist() == ["resumed"]
    assert Path(report.path[0]).read_bytes() == contents[name]


def test_size_mismatch_is_detected(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    series, contents = downloadable_series(geo_env)
    name = next(iter(contents))
    folder = f"series/GSE{series[3:-3]}nnn/{series}/suppl"
    filelist = geo_env.store.ftp_file(f"{folder}/filelist.txt")
    assert filelist is not None and filelist.data is not None
    wrong = filelist.data.decode().replace(
        f"{name}\t02/02/2011 10:15:29\t{len(contents[name])}",
        f"{name}\t02/02/2011 10:15:29\t{len(contents[name]) + 7}",
    )
    geo_env.store.add_ftp_file(f"{folder}/filelist.txt", wrong.encode())
    res = geo_nb.fetch(series, progress=False)
    report = res.plan(pattern=name).download(tmp_path, progress=False)
    assert report.status.tolist() == ["failed"]
    assert f"GEO lists {len(contents[name]) + 7} bytes" in report.error[0]
    assert not list(tmp_path.rglob(name)) and leftovers(tmp_path) == []


def test_md5_published_by_geo_is_checked(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    series, contents = downloadable_series(geo_env, with_md5=True)
    res = geo_nb.fetch(series, progress=False)
    good = res.plan(category="genome_track").download(tmp_path / "good", progress=False)
    assert good.status.eq("downloaded").all()
    name = next(iter(contents))
    corrupted = bytes([contents[name][0] ^ 1]) + contents[name][1:]
    sample = next(r.accession for r in res.files.itertuples() if r.name == name)
    from geo_nb.accessions import ftp_dir

    geo_env.store.add_ftp_file(f"{ftp_dir(sample)}/suppl/{name}", corrupted)
    bad = res.plan(pattern=name).download(tmp_path / "bad", progress=False)
    assert bad.status.tolist() == ["failed"] and "MD5" in bad.error[0]
    assert not (tmp_path / "bad" / series / name).exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "name",
    [
        "..",
        ".",
        "",
        "../evil.txt",
        "a/../../evil",
        "/etc/passwd",
        "C:evil",
        "evil\x00.txt",
        "evil\n.txt",
        "bell\x07",
        "dir\\evil",
        " lead",
        "trail ",
        "...",
        "CON",
        "nul.txt",
        "\u202eexe.txt",
        "x" * 300,
    ],
)
def test_unsafe_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(UnsafePathError):
        safe_destination(tmp_path, "GSE1", name)
    with pytest.raises(UnsafePathError):
        safe_destination(tmp_path, name, "ok.txt")


def test_record_with_hostile_names_writes_nothing_outside(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    series, _ = downloadable_series(geo_env)
    record = geo_env.store.record(series)
    assert record is not None
    base = "ftp://ftp.ncbi.nlm.nih.gov/geo/series/x/"
    hostile = [
        "%2E%2E",
        "evil%0Aname.txt",
        "nul.txt",
        "%E2%80%AEexe.txt",
        "%00zero",
        "..%2F..%2F..%2Fescaped.txt",
    ]
    lines = "".join(f"!Series_supplementary_file = {base}{h}\n" for h in hostile)
    geo_env.store.add_record(
        record.text.replace("!Series_platform_id", lines + "!Series_platform_id", 1)
    )
    res = geo_nb.fetch(series, progress=False, files=False)
    plan = res.plan(level="series", pattern="^(?!GSE)")
    assert len(plan) == len(hostile)
    sandbox = tmp_path / "sandbox"
    dest = sandbox / "dest"
    report = plan.download(dest, progress=False).set_index("name")
    # Names that are not plain file names are refused before any request...
    refused = report[report.status == "refused"]
    assert len(refused) == 5
    assert all("Refusing to write" in e for e in refused.error)
    # ...and a path that tried to climb out is only ever its last part, inside dest.
    assert report.loc["escaped.txt", "path"] == str(dest / series / "escaped.txt")
    assert all(Path(p).resolve().is_relative_to(dest.resolve()) for p in report.path.dropna())
    outside = [p for p in sandbox.rglob("*") if not p.resolve().is_relative_to(dest.resolve())]
    assert outside == []
    assert not gets(geo_env, "evil") and not gets(geo_env, "zero")


def test_selective_extraction_streams_the_archive_once(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    series, contents = downloadable_series(geo_env)
    res = geo_nb.fetch(series, progress=False)
    plan = res.plan(pattern="rescue")
    assert len(plan) == 3 and plan.files.archive.eq(f"{series}_RAW.tar").all()
    report = plan.download(tmp_path, progress=False, extract=True)
    assert report.status.tolist() == ["extracted"] * 3
    written = sorted(p.name for p in (tmp_path / series).iterdir())
    assert written == sorted(n for n in contents if "rescue" in n)
    for path in (tmp_path / series).iterdir():
        assert path.read_bytes() == contents[path.name]
    assert len(gets(geo_env, "_RAW.tar")) == 1
    assert not gets(geo_env, "/samples/")


def test_extraction_resumes_at_a_member_boundary(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    series, contents = downloadable_series(geo_env)
    geo_env.add_fault(FaultRule(match="_RAW.tar$", action="truncate", after_bytes=250_000, times=1))
    res = geo_nb.fetch(series, progress=False)
    report = res.plan(category="genome_track").download(tmp_path, progress=False, extract=True)
    assert report.status.tolist() == ["extracted"] * 6
    for row in report.itertuples():
        assert Path(row.path).read_bytes() == contents[row.name]
    first, second = gets(geo_env, "_RAW.tar")
    start = int(second.headers["Range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < start <= first.bytes_sent and start % 512 == 0
    assert leftovers(tmp_path) == []


def test_download_progress_counts_bytes(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    series, contents = downloadable_series(geo_env)
    res = geo_nb.fetch(series, progress=False)
    events: list[geo_nb.ProgressEvent] = []
    res.plan(category="genome_track").download(tmp_path, progress=False, on_progress=events.append)
    assert {e.stage for e in events} == {"download"}
    assert events[-1].done == events[-1].total == sum(len(b) for b in contents.values())


async def test_verifying_a_large_complete_file_leaves_the_event_loop_free(
    tmp_path: Path,
) -> None:
    # 256 MiB, sparse: instant to write, and its MD5 still takes about half a second.
    size = 256 << 20
    path = tmp_path / "GSE1" / "big.bin"
    path.parent.mkdir()
    with path.open("wb") as handle:
        handle.truncate(size)
    zeros, digest = bytes(1 << 20), hashlib.md5(usedforsecurity=False)
    for _ in range(size >> 20):
        digest.update(zeros)
    job = DownloadJob("http://127.0.0.1:9/big.bin", path, size, digest.hexdigest(), "GSE1")
    loop = asyncio.get_running_loop()
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(loop.time())
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    async with HttpClient(Settings(cache_dir=tmp_path / "cache")) as http:
        # Already complete: verified by size and MD5, skipped without a request.
        assert await download_file(http, job) == "skipped"
    await asyncio.sleep(0.05)
    ticking.cancel()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    # Hashing on the loop blocks it for the whole MD5 (~0.7 s here); in a thread, the
    # ticker keeps its 10 ms beat.
    assert max(gaps) < 0.15, max(gaps)
