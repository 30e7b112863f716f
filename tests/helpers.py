"""Test scaffolding: a series whose files really exist on the emulator.

The recordings list real files but not their bytes. For download tests we clone
a recorded series (GSE146537: 6 samples, one bigWig each) and give its files
random bytes: each sample's file in its folder, the same files in a real
``RAW.tar`` in the series folder, and a ``filelist.txt`` describing the tar.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

from geo_nb.accessions import ftp_dir
from geo_nb.testing import NCBIEmulator
from geo_nb.testing.synth import clone_series

_clones = iter(range(9_100_001, 9_200_000))


def emulator_urls(emulator: NCBIEmulator) -> dict[str, str]:
    """The Settings fields that point geo_nb at ``emulator`` (for ``check_connection(**...)``)."""
    return {
        "eutils_url": emulator.eutils_url,
        "acc_url": emulator.acc_url,
        "ftp_url": emulator.ftp_url,
    }


def is_digest(entry: Path) -> bool:
    """True for a digest entry (records digested from answers), by its header's URL."""
    data = entry.read_bytes()
    if data[:2] == b"\x1f\x8b":  # answers are gzip members; digests are stored plain
        data = gzip.decompress(data)
    header = json.loads(data.partition(b"\n")[0])
    return str(header.get("url", "")).endswith("#digest")


def cache_entries(cache_dir: Path, *, digests: bool = False) -> list[Path]:
    """Entry files under ``<cache_dir>/responses-v1``: NCBI's answers, or the digests."""
    every = sorted((Path(cache_dir) / "responses-v1").rglob("*.gz"))
    return [entry for entry in every if is_digest(entry) == digests]


def downloadable_series(
    emu: NCBIEmulator,
    *,
    with_filelist: bool = True,
    with_md5: bool = False,
    sizes: tuple[int, ...] = (41_000, 87_000, 130_000, 55_555, 99_999, 64_000),
) -> tuple[str, dict[str, bytes]]:
    """Clone GSE146537 with real files; return (series accession, name -> bytes)."""
    number = next(_clones)
    (series,) = clone_series(
        emu.store, "GSE146537", 1, first_series=number, first_sample=number * 10
    )
    record = emu.store.record(series)
    assert record is not None
    contents: dict[str, bytes] = {}
    for sample_id, size in zip(record.values("Series_sample_id"), sizes, strict=False):
        sample = emu.store.record(sample_id)
        assert sample is not None
        for _, url in sample.matching("Sample_supplementary_file"):
            name = url.rsplit("/", 1)[-1]
            data = os.urandom(size)
            contents[name] = data
            emu.store.add_ftp_file(f"{ftp_dir(sample_id)}/suppl/{name}", data)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    tar_name = f"{series}_RAW.tar"
    folder = f"{ftp_dir(series)}/suppl"
    emu.store.add_ftp_file(f"{folder}/{tar_name}", buffer.getvalue())
    if with_filelist:
        lines = [
            "#Archive/File\tName\tTime\tSize\tType",
            f"Archive\t{tar_name}\t01/17/2013 15:00:01\t{len(buffer.getvalue())}\tTAR",
        ]
        lines += [f"File\t{n}\t02/02/2011 10:15:29\t{len(d)}\tBW" for n, d in contents.items()]
        emu.store.add_ftp_file(f"{folder}/filelist.txt", ("\n".join(lines) + "\n").encode())
    if with_md5:
        sums = "".join(f"{hashlib.md5(d).hexdigest()}  {n}\n" for n, d in contents.items())
        emu.store.add_ftp_file(f"{folder}/{series}_md5sums.txt", sums.encode())
    return series, contents
