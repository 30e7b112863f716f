"""Convert a GEO series matrix header into SOFT records as acc.cgi's ``form=text`` brief view.

What: :func:`convert_matrix` reads the header of a ``GSEx_series_matrix.txt.gz``
(everything before ``!series_matrix_table_begin``) and returns one SOFT text
per entity: the ``^SERIES`` and one ``^SAMPLE`` per column. A matrix line
``!Series_label<TAB>"value"`` becomes ``!Series_label = value``; a line
``!Sample_label<TAB>"v1"<TAB>"v2"...`` gives ``!Sample_label = vN`` to the Nth
sample, and a sample whose cell is empty (``""``, the matrix's padding when
samples have different numbers of e.g. characteristics) gets no line. The
series' ``!Series_sample_id`` cell (accessions separated by spaces) becomes one
line per sample, as acc.cgi writes it.

Why: public test data holds some sequencing series (the airway study GSE52778,
GSE64912) only as their real series matrix. A series matrix is GEO's own
tabulation of the same SOFT attributes, so this reproducible conversion lets
the NCBI emulator serve them through acc.cgi without inventing anything: every
value comes from the matrix, in the matrix's line order.

Derived from the matrix itself rather than copied: ``Series_sample_organism``
(the samples' ``organism_ch1`` values, written before ``Series_sample_taxid``)
and ``Sample_series_id`` (the series the matrix belongs to, written last).
Left out because a matrix does not carry them: ``Series_platform_organism``,
and any other series a sample belongs to (a SuperSeries lists its SubSeries'
samples under their own matrices). Data tables are not written (brief view);
``Sample_data_row_count`` is copied as the matrix gives it.

Example:
    >>> from geo_nb.testing.matrixsoft import convert_matrix
    >>> records = convert_matrix("GSE52778_series_matrix.txt.gz")  # doctest: +SKIP
    >>> records["GSM1275862"].splitlines()[:2]  # doctest: +SKIP
    ['^SAMPLE = GSM1275862', '!Sample_title = N61311_untreated']

Command line: ``python -m geo_nb.testing.matrixsoft MATRIX.txt.gz OUTDIR`` writes
``OUTDIR/<ACC>.soft`` for every entity.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

from .soft import convert_main, write_entities

__all__ = ["convert_matrix", "read_header", "write_records"]

TABLE_BEGIN = "!series_matrix_table_begin"
Lines = list[tuple[str, str]]


def _cell(text: str) -> str:
    """A matrix cell without its surrounding quotes (inner quotes are kept)."""
    text = text.rstrip("\r")
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def read_header(path: str | Path) -> list[tuple[str, list[str]]]:
    """The matrix's header lines as ``(label, cells)``, in order, up to the data table.

    ``label`` keeps its prefix (``Series_title``, ``Sample_title``); blank lines
    are skipped.
    """
    raw = Path(path).read_bytes()
    text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    header: list[tuple[str, list[str]]] = []
    for line in text.split("\n"):
        if line.strip().lower() == TABLE_BEGIN:
            break
        if not line.startswith("!"):
            continue
        label, _, rest = line[1:].partition("\t")
        header.append((label, [_cell(c) for c in rest.split("\t")]))
    return header


def _render(kind: str, accession: str, lines: Lines) -> str:
    return f"^{kind} = {accession}\n" + "".join(f"!{k} = {v}\n" for k, v in lines)


def convert_matrix(path: str | Path) -> dict[str, str]:
    """SOFT text per accession: the series, then its samples in column order."""
    header = read_header(path)
    series_lines = [(label, cells) for label, cells in header if label.startswith("Series_")]
    sample_lines = [(label, cells) for label, cells in header if label.startswith("Sample_")]
    accession = next(cells[0] for label, cells in series_lines if label == "Series_geo_accession")
    columns = next(cells for label, cells in sample_lines if label == "Sample_geo_accession")
    samples: dict[str, Lines] = {gsm: [] for gsm in columns}
    for label, cells in sample_lines:
        for gsm, value in zip(columns, cells, strict=True):
            if value != "":
                samples[gsm].append((label, value))
    organisms = list(
        dict.fromkeys(
            value
            for lines in samples.values()
            for label, value in lines
            if label == "Sample_organism_ch1"
        )
    )
    series: Lines = []
    for label, cells in series_lines:
        if label == "Series_sample_taxid":
            series += [("Series_sample_organism", organism) for organism in organisms]
        if label == "Series_sample_id":
            series += [(label, gsm) for cell in cells for gsm in cell.split()]
        else:
            series += [(label, value) for value in cells if value != ""]
    out = {accession: _render("SERIES", accession, series)}
    for gsm, lines in samples.items():
        out[gsm] = _render("SAMPLE", gsm, [*lines, ("Sample_series_id", accession)])
    return out


def write_records(path: str | Path, out_dir: str | Path) -> list[Path]:
    """Write ``<ACC>.soft`` (UTF-8, LF) for every entity of the matrix; returns the paths."""
    return write_entities(convert_matrix(path), out_dir)


def main(argv: list[str] | None = None) -> int:
    """``python -m geo_nb.testing.matrixsoft MATRIX.txt.gz OUTDIR``."""
    return convert_main(argv, convert_matrix, str(main.__doc__))


if __name__ == "__main__":
    sys.exit(main())
