"""Exports: a result's frames as CSV, Parquet or Excel, a PEP project, an nf-core sample sheet.

Exploration in a notebook ends in a paper's methods or a pipeline's input sheet.
Every export writes the frames a :class:`~geo_nb.GEOResult` has (series, samples,
platforms, files, errors, and runs and publications when fetched):

* :func:`to_csv`: one ``<frame>.csv`` each; list columns are written as JSON
  arrays (``["a", "b"]``) so they read back unambiguously.
* :func:`to_parquet`: one ``<frame>.parquet`` each (pyarrow); list columns stay
  lists, counts stay nullable integers, dates stay dates. The hand-off for
  analysis at scale (DuckDB reads the folder directly).
* :func:`to_excel`: one workbook, a sheet per frame (openpyxl); lists joined
  with ``"; "``.
* :func:`to_pep`: a PEP 2.1 project (``project_config.yaml``, ``sample_table.csv``
  with one row per sample, ``subsample_table.csv`` with one row per file) whose
  ``file_path`` attribute is derived from where ``plan.download`` puts each file,
  and, when runs were fetched, a ``samplesheet.csv`` for nf-core/rnaseq and
  nf-core/fetchngs (:func:`to_samplesheet`).

pyarrow, openpyxl and PyYAML come with ``pip install "geo_nb[export]"``; without
them the export that needs one raises an ImportError naming the extra.

Example:
    >>> # res = geo_nb.fetch(["GSE211781"], runs=True)
    >>> # res.to_parquet("exports/")           # series.parquet, samples.parquet, ...
    >>> # res.to_pep("pep/", download_dir="data/")  # peppy.Project("pep/project_config.yaml")
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ._version import __version__

if TYPE_CHECKING:
    from .result import GEOResult

__all__ = [
    "FRAMES",
    "SAMPLESHEET_COLUMNS",
    "frames_of",
    "to_csv",
    "to_excel",
    "to_parquet",
    "to_pep",
    "to_samplesheet",
]

#: The frames an export writes, in order, when the result has them.
FRAMES = ("series", "samples", "platforms", "files", "runs", "publications", "errors")
#: nf-core/rnaseq's four required columns first (fetchngs writes the same with
#: ``--nf_core_pipeline rnaseq``), then the run's facts under ENA's field names.
SAMPLESHEET_COLUMNS = (
    "sample",
    "fastq_1",
    "fastq_2",
    "strandedness",
    "run_accession",
    "experiment_accession",
    "sample_accession",
    "study_accession",
    "library_layout",
    "library_strategy",
    "library_source",
    "instrument_model",
    "read_count",
    "base_count",
    "fastq_md5",
    "fastq_bytes",
    "geo_series",
    "geo_sample",
)
_EXTRA = 'pip install "geo_nb[export]"'
_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")


def _need(module: str, purpose: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(f"{purpose} needs {module}: {_EXTRA}") from None


def frames_of(result: GEOResult) -> Iterator[tuple[str, pd.DataFrame]]:
    """(name, frame) of every frame ``result`` has, in :data:`FRAMES` order."""
    for name in FRAMES:
        frame = getattr(result, name, None)
        if isinstance(frame, pd.DataFrame):
            yield name, frame


def _is_list_column(column: pd.Series) -> bool:
    return bool(column.map(lambda v: isinstance(v, list | tuple)).any())


def _flatten(frame: pd.DataFrame, join: str | None) -> pd.DataFrame:
    """List columns as JSON text (``join=None``) or joined text, for flat formats."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object and _is_list_column(out[name]):
            if join is None:
                out[name] = out[name].map(
                    lambda v: json.dumps(list(v)) if isinstance(v, list | tuple) else v
                )
            else:
                out[name] = out[name].map(
                    lambda v: join.join(map(str, v)) if isinstance(v, list | tuple) else v
                )
    return out


def _folder(directory: str | Path) -> Path:
    path = Path(directory).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def to_csv(result: GEOResult, directory: str | Path) -> list[Path]:
    """Write ``<frame>.csv`` for every frame; list columns as JSON arrays. Returns the paths.

    Example:
        >>> # res.to_csv("exports/")
    """
    folder = _folder(directory)
    written = []
    for name, frame in frames_of(result):
        path = folder / f"{name}.csv"
        _flatten(frame, None).to_csv(path, index=False)
        written.append(path)
    return written


def to_parquet(result: GEOResult, directory: str | Path) -> list[Path]:
    """Write ``<frame>.parquet`` for every frame (pyarrow); list columns stay lists.

    ``pd.read_parquet(path)`` gives the frame back, dtypes included.

    Example:
        >>> # res.to_parquet("exports/"); pd.read_parquet("exports/samples.parquet")
    """
    _need("pyarrow", "to_parquet")
    folder = _folder(directory)
    written = []
    for name, frame in frames_of(result):
        path = folder / f"{name}.parquet"
        plain = frame.copy()
        plain.attrs = {}  # attrs hold Python objects; Parquet keeps only the table
        plain.to_parquet(path, engine="pyarrow", index=False)
        written.append(path)
    return written


def to_excel(result: GEOResult, path: str | Path) -> Path:
    """Write one workbook with a sheet per frame (openpyxl); lists joined with ``"; "``.

    Example:
        >>> # res.to_excel("GSE211781.xlsx")
    """
    _need("openpyxl", "to_excel")
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for name, frame in frames_of(result):
            flat = _flatten(frame, "; ")
            for column in flat.select_dtypes(include=["datetimetz"]).columns:
                flat[column] = flat[column].dt.tz_localize(None)
            flat.to_excel(writer, sheet_name=name[:31], index=False)
    return target


def _attribute(name: str) -> str:
    """A column name as a PEP attribute: letters, digits and ``_`` (``ch1.cell line`` ->
    ``ch1_cell_line``)."""
    return _UNSAFE.sub("_", name).strip("_") or "attribute"


def to_samplesheet(
    result: GEOResult,
    path: str | Path,
    *,
    fastq_dir: str | Path | None = None,
    strandedness: str = "auto",
) -> Path:
    """An nf-core/rnaseq (and fetchngs-style) ``samplesheet.csv``: one row per run.

    ``sample`` is the GEO sample (runs of one sample are merged by the pipeline),
    ``fastq_1``/``fastq_2`` the FASTQ files: their URLs, or with ``fastq_dir``
    the paths ``plan.download(fastq_dir)`` puts them at
    (``<fastq_dir>/<series>/<file>``). Needs a result fetched with ``runs=True``.

    Example:
        >>> # res.to_samplesheet("samplesheet.csv", fastq_dir="reads/")
    """
    runs = getattr(result, "runs", None)
    if not isinstance(runs, pd.DataFrame):
        raise ValueError("a sample sheet needs runs: fetch with runs=True first.")
    rows = []
    base = Path(fastq_dir).expanduser().resolve() if fastq_dir is not None else None
    for run in runs.to_dict("records"):
        urls = [str(u) for u in (run.get("fastq_urls") or [])]
        if base is not None:
            where = [str(base / str(run["series_accession"]) / u.rsplit("/", 1)[-1]) for u in urls]
        else:
            where = urls
        md5 = run.get("fastq_md5") or []
        sizes = run.get("fastq_bytes") or []
        rows.append(
            {
                "sample": run.get("sample_accession") or run.get("experiment"),
                "fastq_1": where[0] if where else "",
                "fastq_2": where[1] if len(where) > 1 else "",
                "strandedness": strandedness,
                "run_accession": run.get("run"),
                "experiment_accession": run.get("experiment"),
                "sample_accession": run.get("biosample"),
                "study_accession": run.get("study"),
                "library_layout": run.get("library_layout"),
                "library_strategy": run.get("library_strategy"),
                "library_source": run.get("library_source"),
                "instrument_model": run.get("instrument"),
                "read_count": run.get("spots"),
                "base_count": run.get("bases"),
                "fastq_md5": ";".join(map(str, md5)),
                "fastq_bytes": ";".join(map(str, sizes)),
                "geo_series": run.get("series_accession"),
                "geo_sample": run.get("sample_accession"),
            }
        )
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows, columns=list(SAMPLESHEET_COLUMNS))
    frame.to_csv(target, index=False)
    bare = frame.loc[frame["fastq_1"] == "", "run_accession"].tolist()
    if bare:
        warnings.warn(
            f"{len(bare)} of {len(frame)} runs have no FASTQ file at ENA ({', '.join(bare[:3])}"
            f"{' ...' if len(bare) > 3 else ''}): their rows in {target.name} have an empty "
            "fastq_1, which nf-core/rnaseq refuses. Drop those rows, or give nf-core/fetchngs "
            "their run accessions to fetch from SRA.",
            UserWarning,
            stacklevel=3,
        )
    return target


def to_pep(
    result: GEOResult,
    directory: str | Path,
    *,
    download_dir: str | Path = "geo_data",
    name: str | None = None,
) -> Path:
    """A PEP 2.1 project of the result's samples and their files; returns its config path.

    ``sample_table.csv`` has one row per sample (``sample_name`` is the GSM;
    characteristics become attributes like ``ch1_cell_line``),
    ``subsample_table.csv`` one row per supplementary file (and per FASTQ file
    when runs were fetched), and the derived attribute ``file_path`` says where
    ``plan.download(download_dir)`` puts each file. With runs, a
    ``samplesheet.csv`` for nf-core is written beside it (:func:`to_samplesheet`).

    Example:
        >>> # config = res.to_pep("pep/", download_dir="data/")
        >>> # peppy.Project(str(config)).samples[0].file_path
    """
    yaml = _need("yaml", "to_pep")
    folder = _folder(directory)
    samples = result.samples.drop_duplicates("accession")
    table = pd.DataFrame({"sample_name": samples["accession"].to_numpy()})
    for column in samples.columns:
        if column != "accession":
            table[_attribute(column)] = _flatten(samples[[column]], "; ")[column].to_numpy()
    table.to_csv(folder / "sample_table.csv", index=False)

    known = set(table["sample_name"])
    files = result.files
    rows = [
        {
            "sample_name": f["accession"],
            "file_series": f["series_accession"],
            "file_name": f["name"],
            "url": f["url"],
            "size_bytes": f["size_bytes"],
            "category": f["category"],
        }
        for f in files.to_dict("records")
        if f["accession"] in known and f["level"] in ("sample", "run")
    ]
    subsamples = pd.DataFrame(
        rows, columns=["sample_name", "file_series", "file_name", "url", "size_bytes", "category"]
    )
    subsamples.insert(1, "subsample_name", subsamples.groupby("sample_name").cumcount() + 1)
    subsamples.to_csv(folder / "subsample_table.csv", index=False)

    where = Path(download_dir).expanduser().resolve()
    config: dict[str, Any] = {
        "pep_version": "2.1.0",
        "name": name or "_".join(sorted(set(result.series["accession"])))[:100] or "geo_nb",
        "description": f"GEO samples exported by geo_nb {__version__}",
        "sample_table": "sample_table.csv",
        "subsample_table": "subsample_table.csv",
        "sample_modifiers": {
            "append": {"file_path": "downloaded"},
            "derive": {
                "attributes": ["file_path"],
                "sources": {"downloaded": f"{where}/{{file_series}}/{{file_name}}"},
            },
        },
    }
    path = folder / "project_config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    runs = getattr(result, "runs", None)
    if isinstance(runs, pd.DataFrame) and len(runs):
        to_samplesheet(result, folder / "samplesheet.csv", fastq_dir=download_dir)
    return path
