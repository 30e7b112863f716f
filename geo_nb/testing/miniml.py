"""Convert a GEO MINiML family XML into SOFT records as acc.cgi's ``form=text`` brief view.

What: :func:`convert_family` reads a ``GSEx_family.xml`` (from GEO's
``miniml/GSEx_family.xml.tgz``) and returns one SOFT text per entity,
``^SERIES``, ``^PLATFORM`` and ``^SAMPLE``, with GEO's ``!Entity_label``
spelling and value formats (``Public on Dec 01 2011``, contributors as
``First,Middle,Last``, characteristics as ``tag: value``, one line per line of
multi-line text, ``!X = `` for a blank line). Data tables are not written
(brief view); ``data_row_count`` comes from the table's ``rows`` attribute.

Why: public test data sometimes holds a series only as MINiML ("effectively an
XML rendering of SOFT", GEO's MINiML page). This reproducible conversion lets
the NCBI emulator serve it as SOFT without inventing anything: every value
comes from the XML. Labels follow a real SOFT/MINiML pair of one sample
(GSM1684096) and the acc.cgi records in ``data/records/``. Supplementary files
use the unnumbered ``supplementary_file`` label of array records (GSM11805).
Not carried by MINiML, hence left out: a platform's full ``sample_id`` and
``series_id`` lists, its contact (no ``Contact-Ref`` in family files), and
``Relation`` comments (``Alternative to: GPL10063`` keeps only the target).
Derived from the family itself: ``Series_platform_id`` (the samples'
platforms), ``Series_platform_organism``/``taxid``, ``Series_sample_organism``/
``taxid`` and ``Sample_series_id`` (the family's series listing the sample).
Unknown elements are skipped and reported by :func:`unmapped_tags`.

Example:
    >>> from geo_nb.testing.miniml import convert_family
    >>> records = convert_family("GSE27011_family.xml")  # doctest: +SKIP
    >>> records["GSM665386"].splitlines()[:2]  # doctest: +SKIP
    ['^SAMPLE = GSM665386', '!Sample_title = ctrl_501']

Command line: ``python -m geo_nb.testing.miniml FAMILY.xml OUTDIR`` writes
``OUTDIR/<ACC>.soft`` for every entity.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from .soft import convert_main, write_entities

__all__ = ["NS", "convert_family", "unmapped_tags", "write_records"]

NS = "http://www.ncbi.nlm.nih.gov/geo/info/MINiML"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
Lines = list[tuple[str, str]]

# MINiML element -> SOFT label, in acc.cgi's order (Organism also gives taxid).
_CHANNEL = [
    ("Source", "source_name"), ("Organism", "organism"), ("Characteristics", "characteristics"),
    ("Biomaterial-Provider", "biomaterial_provider"), ("Treatment-Protocol", "treatment_protocol"),
    ("Growth-Protocol", "growth_protocol"), ("Molecule", "molecule"),
    ("Extract-Protocol", "extract_protocol"), ("Label", "label"),
    ("Label-Protocol", "label_protocol"),
]  # fmt: skip
_SAMPLE = [
    ("Hybridization-Protocol", "hyb_protocol"), ("Scan-Protocol", "scan_protocol"),
    ("Description", "description"), ("Data-Processing", "data_processing"),
]  # fmt: skip
_PLATFORM = [
    ("Technology", "technology"), ("Distribution", "distribution"), ("Organism", "organism"),
    ("Manufacturer", "manufacturer"), ("Manufacture-Protocol", "manufacture_protocol"),
    ("Catalog-Number", "catalog_number"), ("Description", "description"),
    ("Web-Link", "web_link"),
]  # fmt: skip
_SERIES = [("Pubmed-ID", "pubmed_id"), ("Summary", "summary"),
           ("Overall-Design", "overall_design"), ("Type", "type")]  # fmt: skip
_CONTACT = [
    ("Email", "email"), ("Phone", "phone"), ("Fax", "fax"), ("Laboratory", "laboratory"),
    ("Department", "department"), ("Organization", "institute"), ("Address/Line", "address"),
    ("Address/City", "city"), ("Address/State", "state"),
    ("Address/Zip-Code", "zip/postal_code"), ("Address/Country", "country"),
    ("Web-Link", "web_link"),
]  # fmt: skip
# Elements read by the code below rather than through the tables above.
_HANDLED = {"Status", "Title", "Accession", "Type", "Channel-Count", "Channel", "Platform-Ref",
            "Contact-Ref", "Contributor-Ref", "Sample-Ref", "Supplementary-Data", "Relation",
            "Data-Table"}  # fmt: skip


def _q(tag: str) -> str:
    return "/".join(f"{{{NS}}}{part}" for part in tag.split("/"))


def _lines(element: ET.Element | None) -> list[str]:
    """The text of an element as SOFT value lines: outer whitespace off, one entry per line."""
    text = "".join(element.itertext()).strip() if element is not None else ""
    return [line.rstrip() for line in text.split("\n")] if text else []


def _date(iso: str) -> str:
    """``2011-12-01`` -> ``Dec 01 2011`` (locale independent)."""
    year, month, day = iso.strip().split("-")
    return f"{_MONTHS[int(month) - 1]} {day} {year}"


def _common(element: ET.Element) -> Lines:
    """title, geo_accession, status, submission_date, last_update_date."""
    lines = [("title", line) for line in _lines(element.find(_q("Title")))]
    lines.append(("geo_accession", element.findtext(_q("Accession"), "").strip()))
    dates = [("Release-Date", "status", "Public on "), ("Submission-Date", "submission_date", ""),
             ("Last-Update-Date", "last_update_date", "")]  # fmt: skip
    for tag, label, prefix in dates:
        if value := element.findtext(_q("Status/" + tag), "").strip():
            lines.append((label, prefix + _date(value)))
    return lines


def _mapped(element: ET.Element, table: list[tuple[str, str]], suffix: str = "") -> Lines:
    """Elements of ``table`` in its order; ``Characteristics tag=`` gives ``tag: value``."""
    lines: Lines = []
    for tag, label in table:
        for child in element.findall(_q(tag)):
            values = _lines(child)
            if tag == "Characteristics" and child.get("tag") and values:
                values[0] = f"{child.get('tag')}: {values[0]}"
            lines += [(label + suffix, value) for value in values]
            if tag == "Organism" and child.get("taxid"):
                lines.append(("taxid" + suffix, child.get("taxid", "")))
    return lines


def _person(contributor: ET.Element) -> str:
    """``First,Middle,Last`` as GEO writes names."""
    names = [
        contributor.findtext(_q("Person/" + p), "").strip() for p in ("First", "Middle", "Last")
    ]
    return ",".join(names)


def _contact(element: ET.Element, contributors: dict[str, ET.Element]) -> Lines:
    lines: Lines = []
    for ref in element.findall(_q("Contact-Ref")):
        contributor = contributors[ref.get("ref", "")]
        lines.append(("contact_name", _person(contributor)))
        lines += _mapped(contributor, [(tag, "contact_" + label) for tag, label in _CONTACT])
    return lines


def _files(element: ET.Element) -> Lines:
    """Supplementary-Data URLs (``NONE`` kept, as GEO writes it)."""
    data = element.findall(_q("Supplementary-Data"))
    return [("supplementary_file", value) for item in data for value in _lines(item)]


def _relations(element: ET.Element) -> Lines:
    """``Relation type="BioProject" target="URL"`` -> ``BioProject: URL`` (comment dropped)."""
    found = element.findall(_q("Relation"))
    return [("relation", f"{r.get('type', '')}: {r.get('target', '')}") for r in found]


def _rows(element: ET.Element) -> Lines:
    """data_row_count from the ``rows`` attribute of the (external or internal) table."""
    table = element.find(_q("Data-Table"))
    if table is None:
        return [("data_row_count", "0")]
    data = table.find(_q("External-Data"))
    data = data if data is not None else table.find(_q("Internal-Data"))
    return [("data_row_count", data.get("rows", "0") if data is not None else "0")]


def _ref(element: ET.Element, tag: str) -> list[str]:
    return [ref.get("ref", "") for ref in element.findall(_q(tag))]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))


def _organisms(elements: list[ET.Element], kind: str) -> Lines:
    found = [o for element in elements for o in element.findall(_q("Organism"))]
    names = _unique([(o.text or "").strip() for o in found])
    taxids = _unique([o.get("taxid", "") for o in found])
    return [(f"{kind}_organism", n) for n in names] + [(f"{kind}_taxid", t) for t in taxids]


def _render(kind: str, prefix: str, lines: Lines) -> str:
    accession = next(value for label, value in lines if label == "geo_accession")
    body = "".join(f"!{prefix}_{label} = {value}\n" for label, value in lines)
    return f"^{kind} = {accession}\n{body}"


class _Family:
    """The parsed family file and the cross references between its entities."""

    def __init__(self, path: str | Path) -> None:
        self.root = ET.parse(path).getroot()
        self.contributors, self.platforms, self.samples, self.series = (
            {e.get("iid", ""): e for e in self.root.findall(_q(kind))}
            for kind in ("Contributor", "Platform", "Sample", "Series")
        )

    def series_text(self, series: ET.Element) -> str:
        lines = _common(series) + _mapped(series, _SERIES)
        found = series.findall(_q("Contributor-Ref"))
        refs = sorted(found, key=lambda r: int(r.get("position", "0")))
        lines += [("contributor", _person(self.contributors[r.get("ref", "")])) for r in refs]
        members = _ref(series, "Sample-Ref")
        lines += [("sample_id", accession) for accession in members]
        lines += _contact(series, self.contributors) + _files(series)
        ours = [self.samples[acc] for acc in members if acc in self.samples]
        gpls = _unique([gpl for sample in ours for gpl in _ref(sample, "Platform-Ref")])
        lines += [("platform_id", gpl) for gpl in gpls]
        lines += _organisms([self.platforms[g] for g in gpls if g in self.platforms], "platform")
        lines += _organisms([c for s in ours for c in s.findall(_q("Channel"))], "sample")
        lines += _relations(series)
        return _render("SERIES", "Series", lines)

    def platform_text(self, platform: ET.Element) -> str:
        lines = _common(platform) + _mapped(platform, _PLATFORM)
        lines += _contact(platform, self.contributors) + _files(platform)
        lines += _relations(platform) + _rows(platform)
        return _render("PLATFORM", "Platform", lines)

    def sample_text(self, sample: ET.Element) -> str:
        lines = _common(sample)
        lines += [("type", value) for value in _lines(sample.find(_q("Type")))]
        lines += [("channel_count", value) for value in _lines(sample.find(_q("Channel-Count")))]
        for channel in sample.findall(_q("Channel")):
            lines += _mapped(channel, _CHANNEL, suffix=f"_ch{channel.get('position', '1')}")
        lines += _mapped(sample, _SAMPLE)
        lines += [("platform_id", gpl) for gpl in _ref(sample, "Platform-Ref")]
        lines += _contact(sample, self.contributors) + _relations(sample) + _files(sample)
        accession = sample.get("iid", "")
        in_series = [gse for gse, s in self.series.items() if accession in _ref(s, "Sample-Ref")]
        lines += [("series_id", gse) for gse in in_series] + _rows(sample)
        return _render("SAMPLE", "Sample", lines)


def convert_family(path: str | Path) -> dict[str, str]:
    """SOFT text per accession: series, then platforms, then samples (acc.cgi's family order)."""
    family = _Family(path)
    out = {acc: family.series_text(e) for acc, e in family.series.items()}
    out |= {acc: family.platform_text(e) for acc, e in family.platforms.items()}
    out |= {acc: family.sample_text(e) for acc, e in family.samples.items()}
    return out


def unmapped_tags(path: str | Path) -> set[str]:
    """Child elements of series, platforms, samples and channels that the conversion skips."""
    known = _HANDLED | {tag for t in (_CHANNEL, _SAMPLE, _PLATFORM, _SERIES) for tag, _ in t}
    root = ET.parse(path).getroot()
    parents = [e for kind in ("Series", "Platform", "Sample", "Sample/Channel")
               for e in root.findall(_q(kind))]  # fmt: skip
    return {child.tag.split("}")[-1] for e in parents for child in e} - known


def write_records(path: str | Path, out_dir: str | Path) -> list[Path]:
    """Write ``<ACC>.soft`` (UTF-8, LF) for every entity of the family; returns the paths."""
    return write_entities(convert_family(path), out_dir)


def main(argv: list[str] | None = None) -> int:
    """``python -m geo_nb.testing.miniml FAMILY.xml OUTDIR``."""
    args = sys.argv[1:] if argv is None else argv
    if convert_main(args, convert_family, str(main.__doc__)):
        return 2
    if skipped := unmapped_tags(args[0]):
        print("not converted: " + ", ".join(sorted(skipped)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
