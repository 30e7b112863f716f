"""NCBI-computed RNA-seq counts against the emulator: probe, files, counts, alignment, AnnData."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import httpx
import pandas as pd
import pytest

import geo_nb
from geo_nb.analysis import align_samples, load_ncbi_counts
from geo_nb.errors import AlignmentError, NotFoundError
from geo_nb.ncbi.eutils import build_term
from geo_nb.testing import FaultRule, NCBIEmulator

DATA = Path(geo_nb.testing.__file__).parent / "data"
HUMAN = "GSE211781"
HUMAN_SAMPLES = [f"GSM{n}" for n in range(6500910, 6500926)]
RAW = f"{HUMAN}_raw_counts_GRCh38.p13_NCBI.tsv.gz"


def requests(emu: NCBIEmulator, service: str) -> list:  # type: ignore[type-arg]
    return [r for r in emu.requests if r.service == service]


def test_fetch_lists_ncbi_counts_as_their_own_sized_rows(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch([HUMAN, "GSE99709", "GSE146540"], progress=False)
    ncbi = res.files[res.files["level"] == "ncbi"]
    assert set(ncbi["category"]) == {"ncbi_counts"}
    assert sorted(ncbi.loc[ncbi.series_accession == HUMAN, "name"]) == sorted(
        f"{HUMAN}_{k}_GRCh38.p13_NCBI.tsv.gz"
        for k in ("raw_counts", "norm_counts_TPM", "norm_counts_FPKM")
    )
    raw = ncbi[ncbi["name"] == RAW].iloc[0]
    assert raw["size_bytes"] == (DATA / "rnaseq_counts" / HUMAN / RAW).stat().st_size
    assert raw["size_exact"] and raw["url"].startswith(geo_env.download_url + "/?")
    assert list(ncbi.loc[ncbi.series_accession == "GSE99709", "name"]) == [
        "GSE99709_raw_counts_GRCm39_NCBI.tsv.gz"
    ]
    # The submitter's files are still there, and never mixed with NCBI's.
    assert "GSE146540_All_gene_counts.txt.gz" in set(res.files["name"])
    assert res.has_ncbi_counts().to_dict() == {HUMAN: True, "GSE99709": True, "GSE146540": False}
    assert res.has_ncbi_counts(HUMAN) is True
    assert len(res.plan(level="ncbi", accessions=HUMAN)) == 3
    # One esearch (and one esummary) for all three series; a HEAD per candidate file.
    eutils = requests(geo_env, "eutils")
    assert [r.path.rsplit("/", 1)[-1] for r in eutils] == ["esearch.fcgi", "esummary.fcgi"]
    assert '"rnaseq counts"[Filter]' in eutils[0].query["term"][0]
    heads = requests(geo_env, "download")
    assert {r.method for r in heads} == {"HEAD"} and len(heads) == 3 + 3  # human, mouse


def test_probe_is_cached_and_its_failures_are_error_rows(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(FaultRule(match="esearch", status=400, times=None))
    res = geo_nb.fetch(HUMAN, progress=False)
    assert list(res.errors["kind"]) == ["query"]
    assert "NCBI-computed RNA-seq counts" in res.errors["message"].iloc[0]
    assert len(res.files) == 1 and not res.has_ncbi_counts(HUMAN)
    geo_env.clear_faults()
    assert geo_nb.fetch(HUMAN, progress=False).has_ncbi_counts(HUMAN)
    geo_env.clear_log()
    assert geo_nb.fetch(HUMAN, progress=False).has_ncbi_counts(HUMAN)
    assert requests(geo_env, "eutils") == [] and requests(geo_env, "download") == []


def test_human_counts(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch(HUMAN, progress=False)
    counts = res.counts(HUMAN, progress=False)
    assert counts.shape == (39376, 17)
    assert list(counts.columns) == ["symbol", *HUMAN_SAMPLES]
    assert counts.index.name == "GeneID" and str(counts.index.dtype) == "int64"
    assert {str(t) for t in counts.dtypes.iloc[1:]} == {"Int64"}
    assert counts.loc[653635, "symbol"] == "WASH7P"
    assert counts.loc[653635, "GSM6500910"] == 2339
    with gzip.open(DATA / "rnaseq_counts" / HUMAN / RAW, "rt") as handle:
        assert int(sum(int(line.split("\t")[1]) for line in list(handle)[1:])) == int(
            counts["GSM6500910"].sum()
        )
    assert counts.attrs["genome"] == "GRCh38.p13" and counts.attrs["file"] == RAW
    assert counts.attrs["symbol_source"].endswith(
        "/gene/DATA/GENE_INFO/Mammalia/Homo_sapiens.gene_info.gz"
    )
    downloads = [r for r in requests(geo_env, "download") if r.method == "GET"]
    assert downloads[0].query == {
        "type": ["rnaseq_counts"],
        "acc": [HUMAN],
        "format": ["file"],
        "file": [RAW],
    }
    tpm = res.counts(HUMAN, kind="tpm", progress=False)
    assert str(tpm["GSM6500910"].dtype) == "float64"
    assert tpm.loc[100287102, "GSM6500910"] == pytest.approx(0.6946)
    # gene_info is downloaded once and reused; the counts file too.
    geo_env.clear_log()
    assert res.counts(HUMAN, progress=False).equals(counts)
    assert [r.method for r in geo_env.requests] == []


def test_mouse_counts(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch("GSE99709", progress=False)
    counts = res.counts("GSE99709", progress=False)
    assert counts.attrs["genome"] == "GRCm39" and counts.attrs["organism"] == "Mus musculus"
    assert counts.shape == (44321, 13)
    assert counts.loc[11298, "symbol"] == "Aanat"
    assert str(counts["GSM2650749"].dtype) == "Int64"
    with pytest.raises(NotFoundError, match="no NCBI-computed tpm counts"):
        res.counts("GSE99709", kind="tpm", progress=False)


def test_series_without_counts_is_a_404(geo_env: NCBIEmulator) -> None:
    url = f"{geo_env.download_url}/"
    params = {"type": "rnaseq_counts", "acc": "GSE146540", "format": "file"}
    name = "GSE146540_raw_counts_GRCh38.p13_NCBI.tsv.gz"
    assert httpx.get(url, params={**params, "file": name}).status_code == 404
    res = geo_nb.fetch("GSE146540", progress=False)
    with pytest.raises(NotFoundError, match="has no NCBI-computed raw counts"):
        res.counts("GSE146540", progress=False)
    with pytest.raises(NotFoundError, match="NCBI has no raw counts for GSE146540"):
        load_ncbi_counts("GSE146540", progress=False)


def test_load_ncbi_counts_without_a_record(geo_env: NCBIEmulator) -> None:
    airway = load_ncbi_counts("GSE52778", symbols=False, progress=False)
    assert airway.shape == (39376, 16) and "symbol" not in airway
    assert airway.attrs["symbol_source"] is None and airway.attrs["organism"] == "Homo sapiens"


def test_alignment_names_extra_and_missing_columns() -> None:
    table = pd.DataFrame({"series_accession": ["GSE1"] * 3, "accession": ["GSM1", "GSM2", "GSM3"]})
    aligned = align_samples(table, ["GSM3", "GSM1", "GSM2"], "GSE1", what="counts")
    assert list(aligned.index) == ["GSM3", "GSM1", "GSM2"]
    with pytest.raises(AlignmentError, match=r"1 sample\(s\) of GSE1 have no column \(GSM2\)"):
        align_samples(table, ["GSM1", "GSM3"], "GSE1", what="counts")
    with pytest.raises(AlignmentError, match=r"1 column\(s\) of counts match no sample.*GSM9"):
        align_samples(table, ["GSM1", "GSM2", "GSM3", "GSM9"], "GSE1", what="counts")


def _rewrite_counts(emu: NCBIEmulator, change: str) -> None:
    text = gzip.decompress((DATA / "rnaseq_counts" / HUMAN / RAW).read_bytes()).decode()
    rows = [line.split("\t") for line in text.splitlines()]
    if change == "drop":
        rows = [r[:-1] for r in rows]
    else:
        rows = [[*r, "GSM9999999" if i == 0 else "1"] for i, r in enumerate(rows)]
    emu.downloads.add_counts(
        HUMAN, RAW, gzip.compress(("\n".join("\t".join(r) for r in rows) + "\n").encode())
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("drop", r"1 sample\(s\) of GSE211781 have no column \(GSM6500925\)"),
        ("add", r"1 column\(s\) of NCBI's counts match no sample of GSE211781.*GSM9999999"),
    ],
)
def test_to_anndata_refuses_misaligned_counts(
    geo_env: NCBIEmulator, change: str, message: str
) -> None:
    _rewrite_counts(geo_env, change)
    res = geo_nb.fetch(HUMAN, progress=False)
    res.plan(level="ncbi")  # the HEAD size matches the rewritten file
    with pytest.raises(AlignmentError, match=message):
        res.to_anndata(HUMAN, progress=False)


def test_to_anndata_from_counts(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch(HUMAN, progress=False)
    adata = res.to_anndata(HUMAN, progress=False)
    assert adata.shape == (16, 39376)
    assert list(adata.obs_names) == HUMAN_SAMPLES
    assert adata.obs.loc["GSM6500910", "ch1.treatment"] == "DHT+Apalutamide"
    assert adata.var.loc["653635", "symbol"] == "WASH7P"
    assert adata.X.dtype == "int64" and adata.X[0, 1] == 2339
    assert adata.uns["geo_nb"]["kind"] == "raw"
    assert adata.var.attrs["symbol_source"].endswith("Homo_sapiens.gene_info.gz")
    tpm = res.to_anndata(HUMAN, kind="tpm", progress=False)
    assert tpm.X.dtype == "float64"


def test_to_anndata_from_series_matrix(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch(["GSE10288", HUMAN], progress=False)
    assert "GSE10288" in set(res.errors["accession"])  # no record: obs comes from the matrix
    adata = res.to_anndata("GSE10288", source="series_matrix")
    assert adata.shape[1] == 20 and adata.uns["geo_nb"]["obs_source"] == "series_matrix"
    assert list(adata.var_names[:1]) == list(adata.var["ID_REF"][:1])
    assert adata.obs_names[0] == "GSM259768"
    with pytest.raises(NotFoundError, match="no value table"):
        res.to_anndata(HUMAN, source="series_matrix")


def test_to_anndata_without_anndata_names_the_extra(
    geo_env: NCBIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = geo_nb.fetch(HUMAN, progress=False)
    monkeypatch.setitem(sys.modules, "anndata", None)
    with pytest.raises(ImportError, match=r'pip install "geo_nb\[analysis\]"'):
        res.to_anndata(HUMAN, progress=False)
    assert res.counts(HUMAN, progress=False).shape == (39376, 17)  # pandas only


def test_ncbi_counts_search_filter(geo_env: NCBIEmulator) -> None:
    assert build_term("liver", ncbi_counts=True) == (
        '(liver) AND "rnaseq counts"[Filter] AND gse[ETYP]'
    )
    assert '"rnaseq counts"' not in build_term("liver", ncbi_counts=False)
    hits = geo_nb.search(ncbi_counts=True, progress=False)
    assert set(hits["accession"]) == {HUMAN, "GSE52778", "GSE99709"}
    assert '"rnaseq counts"[Filter]' in hits.attrs["query_translation"]
    assert hits.attrs["warnings"] == []
    mouse = geo_nb.search("Stat3", ncbi_counts=True, progress=False)
    assert list(mouse["accession"]) == ["GSE99709"]
