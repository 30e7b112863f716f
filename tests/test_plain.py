"""Records stored as plain data and rebuilt without a second validation (geo_nb._plain)."""

from __future__ import annotations

import copy
import copyreg
import datetime as dt
import enum
import os
import pickle
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError, field_serializer

import geo_nb
from geo_nb import _plain, digests
from geo_nb._plain import SharedList, dumps, loads, rebuild, rebuilder, share_lists
from geo_nb.ncbi.cache import memory_cache
from geo_nb.parse.convert import convert_entities
from geo_nb.parse.soft import parse_soft
from geo_nb.records import (
    Channel,
    FetchError,
    Platform,
    Publication,
    Run,
    Sample,
    Series,
    SupplementaryFile,
)
from geo_nb.testing import NCBIEmulator

SOFT = Path(__file__).parent / "data" / "soft"
RECORD_TYPES = [Series, Sample, Platform, SupplementaryFile, Channel, FetchError]


def parsed_records() -> list[BaseModel]:
    """Every record converted from the real SOFT files of tests/data/soft (2001 to 2017:
    single and dual channel, families with platforms, a legacy organism label)."""
    records: list[BaseModel] = []
    for path in sorted(SOFT.glob("*")):
        if path.name == "PROVENANCE.tsv":
            continue
        series, samples, platforms = convert_entities(parse_soft(path.read_bytes()), str)
        records += [*series, *samples, *platforms]
        for entity in [*series, *samples, *platforms]:
            records += entity.supplementary_files
        for sample in samples:
            records += sample.channels
    return records


def assert_same(rebuilt: BaseModel, model: BaseModel) -> None:
    """Equal to ``model``, and to what validating its dump gives (the digests' old way)."""
    assert type(rebuilt) is type(model)
    assert rebuilt == model
    assert rebuilt.model_dump() == model.model_dump()
    assert repr(rebuilt) == repr(model)
    validated = type(model).model_validate_json(model.model_dump_json())
    assert rebuilt == validated
    assert rebuilt.model_fields_set == validated.model_fields_set


def full_sample() -> Sample:
    """A sample with every field away from its default."""
    file = SupplementaryFile(
        owner="GSM1",
        level="sample",
        name="GSM1_a.bed.gz",
        url="https://x/GSM1_a.bed.gz",
        source_url="ftp://x/GSM1_a.bed.gz",
        category="regions",
        format="BED",
        compression="gzip",
        size_bytes=12,
        size_source="listing",
        archive="GSE1_RAW.tar",
        series_accession="GSE1",
        md5="0" * 32,
    )
    return Sample(
        accession="GSM1",
        title="T cells, día 3 \u2013 rep 1",
        status="Public on Jan 02 2020",
        submitted=dt.date(2019, 12, 31),
        last_updated=dt.date(2021, 2, 28),
        published=dt.date(2020, 1, 2),
        supplementary_files=[file],
        attributes={"title": ["T cells"], "data_processing": ["a", "b"]},
        record_source="family_soft",
        type="SRA",
        platform="GPL1",
        series=["GSE1", "GSE2"],
        channels=[Channel(source="blood", organism="Homo sapiens", characteristics={"age": ["3"]})],
        description="",
        data_processing=["a", "b"],
        library_strategy="ATAC-seq",
        sra_experiment="SRX1",
        biosample="SAMN1",
        relations=["SRA: https://x"],
        data_row_count=0,
    )


def test_every_record_of_real_soft_files_is_rebuilt_equal() -> None:
    records = parsed_records()
    assert {type(r) for r in records} >= {Series, Sample, Platform, SupplementaryFile, Channel}
    for model in records:
        data = loads(dumps(model.model_dump()))
        assert_same(rebuild(type(model), data), model)


def test_a_record_with_every_field_set_is_rebuilt_as_pydantic_validates_it() -> None:
    sample = full_sample()
    dumped = sample.model_dump()
    validated = Sample.model_validate(loads(dumps(dumped)))
    rebuilt = rebuild(Sample, loads(dumps(dumped)))
    assert_same(rebuilt, sample)
    assert rebuilt == validated and rebuilt.model_fields_set == validated.model_fields_set
    assert isinstance(rebuilt.submitted, dt.date) and rebuilt.submitted == dt.date(2019, 12, 31)
    assert type(rebuilt.channels[0]) is Channel
    assert type(rebuilt.supplementary_files[0]) is SupplementaryFile


def test_every_record_type_of_a_digest_takes_the_fast_path() -> None:
    """A change that sends a record type through validation again is a slower warm start:
    it must be a decision, not an accident."""
    for cls in [*RECORD_TYPES, digests._Digest]:
        assert rebuilder(cls) != cls.model_validate, cls.__name__


def test_a_pydantic_whose_models_hold_more_state_gets_validation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_plain, "_STATE", {*_plain._STATE, "__pydantic_new_slot__"})
    _plain._rebuilder.cache_clear()
    try:
        assert rebuilder(Sample) == Sample.model_validate
        sample = full_sample()
        assert rebuild(Sample, loads(dumps(sample.model_dump()))) == sample
    finally:
        _plain._rebuilder.cache_clear()


def test_rebuilt_records_behave_like_validated_ones() -> None:
    rebuilt = rebuild(Sample, loads(dumps(full_sample().model_dump())))
    with pytest.raises(ValidationError, match="frozen"):
        rebuilt.title = "changed"  # type: ignore[misc]
    copy = rebuilt.model_copy(update={"title": "changed"})
    assert copy.title == "changed" and rebuilt.title.startswith("T cells")
    assert rebuilt.model_fields_set == set(Sample.model_fields)
    assert Sample.model_validate_json(rebuilt.model_dump_json()) == rebuilt


class _Open(BaseModel):
    """A model that is not frozen: pydantic adds a field's name to its fields set on assignment."""

    name: str = ""
    count: int = 0


def test_rebuilt_models_of_a_class_share_one_fields_set_that_nobody_can_change() -> None:
    first, second = (
        rebuild(_Open, {"name": "a", "count": 1}),
        rebuild(_Open, {"name": "b", "count": 2}),
    )
    shared = first.model_fields_set
    assert shared is second.model_fields_set and shared == {"name", "count"}
    first.count = 5  # pydantic adds "count": already there
    assert (first.count, second.count) == (5, 2) and shared == {"name", "count"}
    assert first.model_dump(exclude_unset=True) == {"name": "a", "count": 5}
    for change in (
        lambda: shared.discard("name"),
        lambda: shared.add("other"),
        lambda: shared.clear(),
        lambda: shared.update({"other"}),
        lambda: shared.__isub__({"name"}),
    ):
        with pytest.raises(TypeError, match="shared by the records"):
            change()
    assert shared == {"name", "count"}
    for made in (
        first.model_copy(update={"name": "c"}),
        copy.copy(first),
        copy.deepcopy(first),
        pickle.loads(pickle.dumps(first)),
    ):
        assert type(made.model_fields_set) is set and made.model_fields_set == shared
        made.model_fields_set.discard("name")  # a copy of its own
    assert repr(shared) in ("{'name', 'count'}", "{'count', 'name'}")


def test_data_that_is_not_a_full_dump_is_validated() -> None:
    assert rebuild(FetchError, {"accession": "GSE1", "kind": "k", "message": "m"}) == FetchError(
        accession="GSE1", kind="k", message="m"
    )
    partial = rebuild(Sample, {"accession": "GSM1", "title": "t"})
    assert partial == Sample(accession="GSM1", title="t")
    assert partial.model_fields_set == {"accession", "title"}
    with pytest.raises(ValidationError):
        rebuild(Sample, {"accession": 3})
    with pytest.raises(ValidationError):
        rebuild(Sample, ["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        rebuild(Series, {**Series(accession="GSE1").model_dump(), "extra": 1})


class _Odd(BaseModel):
    model_config = ConfigDict(frozen=True)
    tags: set[str]
    when: dt.datetime | None = None


class _Serialised(BaseModel):
    size: int

    @field_serializer("size")
    def _as_text(self, size: int) -> str:
        return f"{size} bytes"


class _Colour(enum.Enum):
    RED = "red"


class _Dated(BaseModel):
    days: list[dt.date | None]
    parts: list[Channel | None] = []


class _Constrained(BaseModel):
    name: Annotated[str, StringConstraints(to_upper=True)]


class _Enumerated(BaseModel):
    colour: Literal[_Colour.RED]


class _Tree(BaseModel):
    name: str
    children: list[_Tree] = []


def test_fields_the_fast_path_cannot_rebuild_exactly_are_validated() -> None:
    odd = _Odd(tags={"a", "b"}, when=dt.datetime(2020, 1, 2, 3, 4, tzinfo=dt.UTC))
    rebuilt = rebuild(_Odd, odd.model_dump())
    assert rebuilt == odd and isinstance(rebuilt.tags, set)
    for cls in (_Odd, _Serialised, _Constrained, _Enumerated, Run):
        assert rebuilder(cls) == cls.model_validate, cls.__name__
    with pytest.raises(ValidationError):  # never a model holding "red" for the member
        rebuild(_Enumerated, {"colour": "red"})
    assert rebuild(_Constrained, {"name": "abc"}).name == "ABC"
    run = Run.model_validate(
        {"run": "SRR1", "published": "2020-01-02T03:04:05Z", "fastq_bytes": [1, None]}
    )
    assert rebuild(Run, run.model_dump()) == run
    with pytest.raises(pickle.PicklingError, match="plain data and dates only"):
        dumps(run.model_dump())  # a datetime: never written, as it could not be read back


def test_lists_with_gaps_and_recursive_models_are_rebuilt_equal() -> None:
    dated = _Dated(days=[dt.date(2020, 1, 2), None], parts=[None, Channel(source="x")])
    assert rebuilder(_Dated) != _Dated.model_validate
    assert rebuild(_Dated, loads(dumps(dated.model_dump()))) == dated
    tree = _Tree(name="a", children=[_Tree(name="b", children=[_Tree(name="c")])])
    assert rebuild(_Tree, loads(dumps(tree.model_dump()))) == tree
    publication = Publication.model_validate(
        {field: "x" for field, info in Publication.model_fields.items() if info.is_required()}
    )
    assert rebuilder(Publication) != Publication.model_validate
    assert_same(rebuild(Publication, publication.model_dump()), publication)


class _Boom:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def test_the_reader_refuses_anything_but_plain_data(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    stamp = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    for hostile in (_Boom(marker), {"series": [_Boom(marker)]}, stamp, _Colour.RED):
        with pytest.raises(pickle.UnpicklingError, match="plain data and dates only"):
            loads(pickle.dumps(hostile, protocol=5))
        for protocol in (0, 2):
            with pytest.raises(pickle.UnpicklingError):
                loads(pickle.dumps(hostile, protocol=protocol))
    assert not marker.exists()
    plain = {"a": [1, 2.5, None, True, "x", b"y"], "b": {"c": [dt.date(2020, 1, 2)]}}
    assert loads(dumps(plain)) == plain
    for unwritable in (stamp, _Colour.RED, Path("x"), [dt.date.today]):
        with pytest.raises(pickle.PicklingError, match="plain data and dates only"):
            dumps({"x": [unwritable]})


def test_nothing_is_read_while_copyreg_extensions_are_registered(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An EXT opcode takes an object from copyreg's extension cache without asking
    find_class: with one there, no digest is read at all."""
    marker = tmp_path / "ran"
    cache: dict[int, Any] = copyreg._extension_cache  # type: ignore[attr-defined]
    monkeypatch.setitem(cache, 240, os.mkdir)
    args = pickle.dumps((str(marker),), protocol=2)[2:-1]  # the tuple, no header or STOP
    hostile = b"\x80\x02\x82\xf0" + args + b"R."  # EXT1 240, the tuple, REDUCE
    with pytest.raises(pickle.UnpicklingError, match="extension registry"):
        loads(hostile)
    assert not marker.exists()
    monkeypatch.delitem(cache, 240)
    assert loads(dumps(["plain"])) == ["plain"]


def test_one_parse_keeps_one_string_for_a_repeated_value() -> None:
    """Samples repeat protocols word for word; their records (and digests) hold it once."""
    text = "\n".join(
        f"^SAMPLE = GSM{i}\n!Sample_title = s{i}\n!Sample_data_processing = aligned with bowtie2"
        for i in (1, 2)
    ).encode()
    first, second = parse_soft(text)
    (a,), (b,) = first.attributes["data_processing"], second.attributes["data_processing"]
    assert a == b == "aligned with bowtie2" and a is b


def test_a_digest_that_would_run_code_is_refused_and_rebuilt(
    geo_env: NCBIEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = geo_nb.fetch("GSE100494", progress=False)
    client = geo_nb.GEOClient()
    key = client.digests.key("GSE100494")
    (body, _) = client.cache.read(key) or (b"", 0.0)
    assert body[:2] == b"\x80\x05"  # a protocol-5 pickle
    marker = tmp_path / "ran"
    client.cache.put(key, pickle.dumps(_Boom(marker), protocol=5), url="x#digest", compress=False)
    memory_cache.clear()
    digests.forget_known()
    asked = len(geo_env.requests)
    with caplog.at_level("WARNING", logger="geo_nb.cache"):
        again = geo_nb.fetch("GSE100494", progress=False)
    assert again.records == first.records and len(geo_env.requests) == asked
    assert not marker.exists()
    assert any("unreadable digest of GSE100494" in r.getMessage() for r in caplog.records)
    assert _plain.loads(client.cache.read(key)[0])["series"]  # type: ignore[index]


def test_a_dump_stores_each_distinct_list_of_strings_once_and_reads_it_back_read_only() -> None:
    dump = {
        "a": {"organism": ["Homo sapiens"], "title": ["s1"], "none": []},
        "b": {"organism": ["Homo sapiens"], "title": ["s2"], "none": []},
        "numbers": [[1, 2], [1, 2]],
        "rows": [{"name": "x"}, {"name": "x"}],
    }
    read = loads(dumps(share_lists(copy.deepcopy(dump))))
    assert read == dump
    a, b = read["a"], read["b"]
    assert a["organism"] is b["organism"] and a["none"] is b["none"]
    assert a["title"] is not b["title"]
    assert all(type(v) is SharedList for v in (*a.values(), *b.values()))
    # Only lists of strings: others stay plain lists of their own.
    assert type(read["numbers"][0]) is list and read["numbers"][0] is not read["numbers"][1]
    assert type(read["rows"]) is list
    shared = a["organism"]
    for change in (
        lambda: shared.append("Mus musculus"),
        lambda: shared.extend(["x"]),
        lambda: shared.insert(0, "x"),
        lambda: shared.remove("Homo sapiens"),
        lambda: shared.pop(),
        lambda: shared.clear(),
        lambda: shared.sort(),
        lambda: shared.reverse(),
        lambda: shared.__setitem__(0, "x"),
        lambda: shared.__delitem__(0),
        lambda: shared.__iadd__(["x"]),
        lambda: shared.__imul__(2),
    ):
        with pytest.raises(TypeError, match="shared by the records"):
            change()
    assert b["organism"] == ["Homo sapiens"]
    for made in (
        list(shared),
        shared.copy(),
        shared + ["x"],  # noqa: RUF005 (what list.__add__ gives)
        copy.copy(shared),
        copy.deepcopy(shared),
        pickle.loads(pickle.dumps(shared)),
    ):
        assert type(made) is list
        made.append("Mus musculus")  # a list of its own
    assert repr(shared) == "['Homo sapiens']" and shared == ["Homo sapiens"]
    assert b["organism"] == ["Homo sapiens"]


def test_a_record_holding_shared_lists_dumps_and_validates_as_plain_lists() -> None:
    dump = Sample(accession="GSM1", series=["GSE1"], attributes={"x": ["1", "2"]}).model_dump()
    sample = rebuild(Sample, loads(dumps(share_lists(dump))))
    assert type(sample.series) is SharedList and type(sample.attributes["x"]) is SharedList
    assert sample == Sample(accession="GSM1", series=["GSE1"], attributes={"x": ["1", "2"]})
    again = sample.model_dump()
    assert type(again["series"]) is list and type(again["attributes"]["x"]) is list
    assert type(Sample.model_validate(sample.model_dump()).series) is list
    assert type(copy.deepcopy(sample).series) is list
    assert type(pickle.loads(pickle.dumps(sample)).series) is list
