"""10x matrices: the readers on small synthetic files, and res.to_anndata(source="10x").

The records are real (GSE211781 and its samples); the 10x files are synthetic test
data written here, and the sample records gain ``!Sample_supplementary_file`` lines
naming them at run time only (like other tests that edit records in the emulator).
"""

from __future__ import annotations

import gzip
import io
from importlib.util import find_spec

import numpy as np
import pytest
import scipy.io
import scipy.sparse

import geo_nb
from geo_nb.errors import AlignmentError, ParseError
from geo_nb.parse.tenx import classify_10x, read_10x_h5, read_mex
from geo_nb.testing import NCBIEmulator

SERIES = "GSE211781"
GENES = [("ENSG0001", "TP53"), ("ENSG0002", "AR"), ("ENSG0003", "KLK3"), ("ENSG0004", "AR")]


def _matrix(cells: int, seed: int) -> scipy.sparse.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = rng.poisson(1.0, size=(len(GENES), cells)) * (rng.random((len(GENES), cells)) > 0.4)
    return scipy.sparse.csr_matrix(dense.astype(np.int64))  # genes x cells, as 10x writes


def _gz(text: str) -> bytes:
    return gzip.compress(text.encode(), mtime=0)


def mex_files(prefix: str, cells: int, seed: int) -> dict[str, bytes]:
    buffer = io.BytesIO()
    scipy.io.mmwrite(buffer, _matrix(cells, seed), field="integer")
    features = "".join(f"{i}\t{n}\tGene Expression\n" for i, n in GENES)
    barcodes = "".join(f"AAAC{n:04d}-1\n" for n in range(cells))
    return {
        f"{prefix}_matrix.mtx.gz": gzip.compress(buffer.getvalue(), mtime=0),
        f"{prefix}_features.tsv.gz": _gz(features),
        f"{prefix}_barcodes.tsv.gz": _gz(barcodes),
    }


def h5_file(cells: int, seed: int) -> bytes:
    import h5py

    csc = _matrix(cells, seed).tocsc()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        group = h5.create_group("matrix")
        group["data"], group["indices"], group["indptr"] = csc.data, csc.indices, csc.indptr
        group["shape"] = np.array(csc.shape)
        group["barcodes"] = np.array([f"AAAC{n:04d}-1".encode() for n in range(cells)])
        features = group.create_group("features")
        features["id"] = np.array([i.encode() for i, _ in GENES])
        features["name"] = np.array([n.encode() for _, n in GENES])
        features["feature_type"] = np.array([b"Gene Expression"] * len(GENES))
    return buffer.getvalue()


def attach(emu: NCBIEmulator, sample: str, files: dict[str, bytes]) -> None:
    """Serve ``files`` in the sample's folder and name them in its record."""
    folder = f"samples/GSM6500nnn/{sample}/suppl"
    record = emu.store.record(sample)
    assert record is not None
    lines = "".join(
        f"!Sample_supplementary_file_{n} = ftp://ftp.ncbi.nlm.nih.gov/geo/{folder}/{name}\n"
        for n, name in enumerate(files, 2)
    )
    emu.store.add_record(record.text + lines)
    for name, data in files.items():
        emu.store.add_ftp_file(f"{folder}/{name}", data)


def test_classify_10x_names() -> None:
    assert classify_10x("GSM3562050_AJ17001_genes.tsv.gz") == "features"
    assert classify_10x("GSM1_raw_feature_bc_matrix.h5") == "h5"
    assert classify_10x("GSM1_counts.txt.gz") is None


def test_readers_agree_with_what_was_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name, data in mex_files("s", 7, seed=1).items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "s.h5").write_bytes(h5_file(7, seed=1))
    expected = _matrix(7, seed=1).T.toarray()
    readers = ["scipy"] + (["fast_matrix_market"] if find_spec("fast_matrix_market") else [])
    for reader in readers:
        mex = read_mex(
            tmp_path / "s_matrix.mtx.gz",
            tmp_path / "s_features.tsv.gz",
            tmp_path / "s_barcodes.tsv.gz",
            reader=reader,
        )
        assert (mex.matrix.toarray() == expected).all()
    h5 = read_10x_h5(tmp_path / "s.h5")
    assert (h5.matrix.toarray() == expected).all()
    assert (
        list(h5.features["gene_symbols"])
        == [n for _, n in GENES]
        == list(mex.features["gene_symbols"])
    )
    assert h5.barcodes == mex.barcodes
    (tmp_path / "short_barcodes.tsv.gz").write_bytes(_gz("AAAC-1\n"))
    with pytest.raises(ParseError, match="7 cells but its features file lists 4"):
        read_mex(
            tmp_path / "s_matrix.mtx.gz",
            tmp_path / "s_features.tsv.gz",
            tmp_path / "short_barcodes.tsv.gz",
        )


def test_to_anndata_10x_mtx_and_h5(geo_env: NCBIEmulator) -> None:
    attach(geo_env, "GSM6500910", mex_files("GSM6500910_A", 5, seed=2))
    attach(
        geo_env, "GSM6500911", {"GSM6500911_B_filtered_feature_bc_matrix.h5": h5_file(3, seed=3)}
    )
    res = geo_nb.fetch(SERIES, progress=False)
    tenx = res.files[res.files["category"] == "single_cell"]
    assert len(tenx) == 4
    cells = res.to_anndata(SERIES, source="10x", progress=False)
    assert cells.shape == (8, len(GENES))
    assert cells.obs_names.is_unique
    assert list(cells.obs["sample"]) == ["GSM6500910"] * 5 + ["GSM6500911"] * 3
    assert cells.obs_names[0] == "GSM6500910_AAAC0000-1"
    assert cells.obs.loc["GSM6500911_AAAC0002-1", "ch1.treatment"] == "DHT+Apalutamide"
    assert list(cells.var_names) == [i for i, _ in GENES]
    assert (cells.X[:5].toarray() == _matrix(5, seed=2).T.toarray()).all()
    assert (cells.X[5:].toarray() == _matrix(3, seed=3).T.toarray()).all()
    assert len(cells.uns["geo_nb"]["samples_without_10x_files"]) == 14
    downloads = [r.path for r in geo_env.requests if r.method == "GET" and "/samples/" in r.path]
    assert len(downloads) == 4


def test_10x_files_of_a_stranger_are_refused(geo_env: NCBIEmulator) -> None:
    attach(geo_env, "GSM6500910", mex_files("GSM1234567_X", 2, seed=4))
    res = geo_nb.fetch(SERIES, progress=False)
    assert set(res.files.loc[res.files.category == "single_cell", "accession"]) == {"GSM6500910"}
    # Owners come from the records: files a sample names are that sample's.
    assert res.to_anndata(SERIES, source="10x", progress=False).n_obs == 2
    rows = res.files.copy()
    rows.loc[rows.category == "single_cell", "accession"] = "GSM1234567"
    from geo_nb.anndata_io import ato_anndata
    from geo_nb.settings import Settings

    with pytest.raises(AlignmentError, match="GSM1234567, which are not samples of GSE211781"):
        geo_nb._sync.run_sync(
            ato_anndata(rows, res.samples, [SERIES], SERIES, Settings(), source="10x")
        )


def test_list_files_shows_the_single_cell_demo_series(geo_env: NCBIEmulator) -> None:
    """GSE125065: GEO's real filelist.txt of a 10x series (no record of it is bundled)."""
    files = geo_nb.list_files("GSE125065")
    assert [r.service for r in geo_env.requests] == ["ftp", "ftp"]  # listing + filelist.txt
    tar = files[files["name"] == "GSE125065_RAW.tar"].iloc[0]
    assert tar["size_bytes"] == 61061120 and tar["size_source"] == "filelist"
    cells = files[files["category"] == "single_cell"]
    assert len(cells) == 6 and set(cells["accession"]) == {"GSM3562050", "GSM3562051"}
    assert cells["size_exact"].all() and int(cells["size_bytes"].sum()) == 61046787
    assert cells.loc[cells["name"].str.endswith("matrix.mtx.gz"), "format"].tolist() == ["MTX"] * 2
    assert geo_nb.list_files("GSE146540").empty  # no folder recorded: no rows, no error
