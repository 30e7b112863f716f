"""res.design(): the experimental design of real series of different shapes."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

import geo_nb
from geo_nb.experiment import design, tag_key
from geo_nb.frames import samples_frame
from geo_nb.ncbi.cache import memory_cache
from geo_nb.parse.convert import convert_entities
from geo_nb.parse.soft import parse_soft
from geo_nb.records import GEORecords
from geo_nb.testing import NCBIEmulator

HERE = Path(__file__).parent / "data"


def family_samples(name: str) -> pd.DataFrame:
    """The samples frame of a real family SOFT in tests/data/design."""
    body = gzip.decompress((HERE / "design" / f"{name}_family.soft.gz").read_bytes())
    series, samples, platforms = convert_entities(parse_soft(body), lambda url: url)
    records = GEORecords(
        requested=[series[0].accession], series=series, samples=samples, platforms=platforms
    )
    return samples_frame(records)


@pytest.fixture(autouse=True)
def _fresh_memory_cache() -> None:
    memory_cache.clear()


def test_packed_values_are_split_when_every_sample_follows_the_pattern() -> None:
    # GSE10288's matrix packs a patient's record in one characteristic:
    # "Patient :T1; Sex:M; Age (years):73; Ethnicity:caucasian; ...".
    from geo_nb.parse.matrix import read_series_matrix

    _, matrix = read_series_matrix(HERE / "matrix" / "GSE10288_series_matrix.TRIMMED.txt.gz")
    d = design(matrix.samples)
    assert {"patient", "sex", "age (years)", "ethnicity", "tobacco"} <= set(d.factor_names)
    first = d.factors.set_index("accession").loc["GSM259768"]
    assert (first["patient"], first["sex"], first["age (years)"]) == ("T1", "M", "73")
    assert any("split the packed values of 'patient'" in n for n in d.notes["None"])
    assert "ch1.patient" in matrix.samples.columns  # the original column is untouched


def test_repeated_tags_stay_one_level(tmp_path: Path) -> None:
    # GSE235534 (real family SOFT): samples repeat "treatment:" (e.g. NPC media + Dox).
    samples = family_samples("GSE235534")
    joined = samples["ch1.treatment"].dropna()
    assert joined.str.contains("; ").any()
    d = design(samples)
    levels = set(d.summary.query("factor == 'treatment'").level)
    assert any("; " in level for level in levels)  # kept as one level, not split
    assert not any(n.startswith("split") for n in d.notes[samples.series_accession[0]])
    assert d.groups.n_samples.sum() == len(samples)


def test_treatment_groups_with_replicates() -> None:
    samples = family_samples("GSE211781")  # LNCaP, 8 treatments x 2 replicates
    d = design(samples)
    assert d.factor_names[:1] == ["treatment"] or "treatment" in d.factor_names
    assert set(d.constant.factor) >= {"cell line", "tissue"}
    counts = d.groups.set_index("treatment").n_samples
    assert len(counts) == 8 and (counts == 2).all()


def test_genotype_by_condition(geo_env: NCBIEmulator) -> None:
    # GSE146539: ChIP-seq, antibody x genotype, two replicates each.
    res = geo_nb.fetch("GSE146539", progress=False)
    d = res.design()
    assert {"chip antibody", "genotype"} <= set(d.factor_names)
    groups = d.groups.dropna(axis=1, how="all")
    assert set(groups.columns) == {"series_accession", "chip antibody", "genotype", "n_samples"}
    chip = groups[groups["chip antibody"] != "none"]
    assert (chip.n_samples == 2).all() and len(chip) == 12  # 6 marks x 2 genotypes, 2 each
    inputs = groups[groups["chip antibody"] == "none"]
    assert inputs.n_samples.tolist() == [1, 1]  # one input per genotype
    assert "cell line" in set(d.constant.factor)


def test_array_series_with_a_covariate(geo_env: NCBIEmulator) -> None:
    # GSE27011: asthma severity x sex, with age as a per-sample number.
    d = geo_nb.fetch("GSE27011", progress=False).design()
    assert d.covariates["GSE27011"] == ["age"]
    groups = d.groups.dropna(axis=1, how="all")
    assert set(groups.columns) == {"series_accession", "sex", "source", "n_samples"}
    assert groups.n_samples.sum() == 54 and len(groups) == 6


def test_several_series_and_one_of_them(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch(["GSE146539", "GSE27011", "GSE100494"], progress=False)
    d = res.design()
    assert set(d.factors.series_accession) == {"GSE146539", "GSE27011", "GSE100494"}
    assert len(d.factors) == len(res.samples)
    only = res.design("GSE27011")
    assert set(only.factors.series_accession) == {"GSE27011"}
    with pytest.raises(KeyError, match="GSE1"):
        res.design("GSE1")
    assert "Design(3 series" in repr(d) and "<table" in d._repr_html_()


def test_tag_spellings_merge_only_when_they_agree() -> None:
    assert tag_key("Cell_Line:") == tag_key("cell line") == tag_key("Cell-Line") == "cell line"
    frame = pd.DataFrame(
        {
            "series_accession": ["GSE1"] * 3,
            "accession": ["GSM1", "GSM2", "GSM3"],
            "ch1.cell_line": ["A", None, "B"],
            "ch1.cell line": [None, "A", "C"],  # GSM3 disagrees: kept apart
        }
    )
    d = design(frame)
    assert "cell line" in d.factor_names
    assert any("(ch1.cell line)" in name for name in d.factor_names)
