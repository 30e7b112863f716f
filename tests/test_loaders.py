"""Full records through geo_nb's fetcher: GEOparse objects and series matrices."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import geo_nb
from geo_nb.errors import InvalidAccessionError, NotFoundError, QueryError
from geo_nb.parse.soft import parse_soft
from geo_nb.testing import FaultRule, NCBIEmulator

DATA = Path(__file__).parent / "data"


def serve(emu: NCBIEmulator, path: str, source: Path, *, compress: bool) -> bytes:
    data = source.read_bytes()
    if compress:
        data = gzip.compress(data)
    emu.store.add_ftp_file(path, data)
    return data


def test_family_soft_round_trip_through_geoparse(geo_env: NCBIEmulator) -> None:
    # GEO's documentation example of a family SOFT: 1 platform, 3 two-channel samples, tables.
    source = DATA / "soft" / "soft_ex_family.txt"
    serve(geo_env, "series/GSEnnn/GSE1/soft/GSE1_family.soft.gz", source, compress=True)
    gse = geo_nb.load_geoparse("GSE1")
    ours = {e.accession: e for e in parse_soft(source.read_bytes())}
    assert set(gse.gsms) == {k for k, e in ours.items() if e.kind == "SAMPLE"}
    for name, gsm in gse.gsms.items():
        assert gsm.metadata == ours[name].attributes
        assert len(gsm.table) == ours[name].table_lines - 1 > 0
    assert set(gse.gpls) == {k for k, e in ours.items() if e.kind == "PLATFORM"}
    pivot = gse.pivot_samples("VALUE")
    assert pivot.shape[1] == 3
    cached = Path(geo_nb.Settings().cache_dir) / "files" / "series/GSEnnn/GSE1/soft"
    assert [p.name for p in cached.iterdir()] == ["GSE1_family.soft.gz"]
    served = len(geo_env.requests)
    geo_nb.load_geoparse("GSE1")
    assert len(geo_env.requests) == served
    geo_nb.load_geoparse("GSE1", refresh=True)
    assert len(geo_env.requests) == served + 1


def test_sample_full_record_through_geoparse(geo_env: NCBIEmulator) -> None:
    gsm = geo_nb.load_geoparse("GSM11805")
    assert gsm.name == "GSM11805"
    assert len(gsm.table) == 22283
    assert list(gsm.table.columns) == ["ID_REF", "VALUE", "ABS_CALL"]
    (request,) = [r for r in geo_env.requests if r.service == "acc"]
    assert request.query["view"] == ["full"] and request.query["targ"] == ["self"]


def test_geoparse_loader_errors(geo_env: NCBIEmulator) -> None:
    with pytest.raises(InvalidAccessionError):
        geo_nb.load_geoparse("GSE12x")
    with pytest.raises(NotFoundError):
        geo_nb.load_geoparse("GSE999999")
    geo_env.add_fault(FaultRule(match="acc=GSM11805", action="challenge"))
    with pytest.raises(geo_nb.errors.UnexpectedResponseError, match="bot-challenge"):
        geo_nb.load_geoparse("GSM11805")


def test_truncated_family_soft_is_retried_and_verified(geo_env: NCBIEmulator) -> None:
    source = DATA / "soft" / "soft_ex_family.txt"
    serve(geo_env, "series/GSEnnn/GSE2/soft/GSE2_family.soft.gz", source, compress=True)
    geo_env.add_fault(FaultRule(match="GSE2_family", action="truncate", after_bytes=2000))
    gse = geo_nb.load_geoparse("GSE2")
    assert len(gse.gsms) == 3
    tries = [r for r in geo_env.requests if "GSE2_family" in r.path]
    assert [r.status for r in tries][-1] == 206


def test_series_matrix_single_platform(geo_env: NCBIEmulator) -> None:
    samples, expression = geo_nb.load_series_matrix("GSE99709")
    assert len(samples) == 12 and samples.index.name == "accession"
    assert expression.empty and list(expression.columns) == list(samples.index)


def test_series_matrix_with_an_expression_table(geo_env: NCBIEmulator) -> None:
    serve(
        geo_env,
        "series/GSE10nnn/GSE10288/matrix/GSE10288_series_matrix.txt.gz",
        DATA / "matrix" / "GSE10288_series_matrix.TRIMMED.txt.gz",
        compress=False,
    )
    samples, expression = geo_nb.load_series_matrix("GSE10288")
    assert expression.shape == (20, len(samples)) and len(samples) > 10
    assert str(expression.dtypes.iloc[0]) == "float64"


def test_series_matrices_per_platform(geo_env: NCBIEmulator) -> None:
    folder = "series/GSE10nnn/GSE10288/matrix"
    serve(
        geo_env,
        f"{folder}/GSE10288-GPL6426_series_matrix.txt.gz",
        DATA / "matrix" / "GSE10288_series_matrix.TRIMMED.txt.gz",
        compress=False,
    )
    serve(
        geo_env,
        f"{folder}/GSE10288-GPL17021_series_matrix.txt.gz",
        DATA / "matrix" / "GSE99709_series_matrix.txt.gz",
        compress=False,
    )
    matrices = geo_nb.load_series_matrices("GSE10288")
    assert sorted(matrices) == ["GPL17021", "GPL6426"]
    with pytest.raises(QueryError, match="one matrix per platform"):
        geo_nb.load_series_matrix("GSE10288")
    samples, _ = geo_nb.load_series_matrix("GSE10288", platform="gpl17021")
    assert len(samples) == 12


def test_series_without_matrix(geo_env: NCBIEmulator) -> None:
    with pytest.raises(NotFoundError, match="no series matrix"):
        geo_nb.load_series_matrix("GSE105845")  # no sample is recorded: no matrix
