"""The experimental design of a series: which characteristics vary, and the groups they make.

Biologists come to GEO to find the design of an experiment: which samples are
treated, which are controls, how many replicates. :func:`design` reads it from a
samples frame (``GEOResult.samples``, or the samples of a series matrix) by these
rules, applied per series:

1. **Candidates** are the characteristics (``ch1.<tag>``, ``ch2.<tag>``) and the
   descriptive columns GEO fills for every sample (source, organism, molecule,
   library strategy and source, platform, instrument, type). Titles and
   accessions are never factors.
2. **Spellings that mean the same tag are merged** (``cell line``, ``cell_line``,
   ``Cell-Line:``): tags are compared lower-cased with ``_``, ``-``, ``.`` and
   runs of spaces read as one space and a trailing colon dropped. Two columns
   merge only where no sample has different values in both.
3. **Packed values are split** (``"T1; Sex:M; Age (years):73"``): a column whose
   every value has the same ``;``-separated parts, with the same ``key:value``
   keys in the same order, becomes one column per part (a part without a key
   keeps the tag's name). A column where samples differ in shape is kept whole.
4. A **factor** is a candidate with more than one value across the series'
   samples (a missing value counts as a value); the others are **constant**.
5. Some factors describe samples one by one rather than group them, and are
   listed but left out of the groups: **identifiers** (every sample has its own
   value: a name, a donor code, a replicate number whose name says so) and
   **covariates** (numbers with more distinct values than half the samples,
   like ages).
6. **Groups** cross the remaining factors: each combination that occurs, with
   its number of samples (the replicates).

``res.samples`` itself is never changed: the design is a view of it.

Example:
    >>> import pandas as pd
    >>> samples = pd.DataFrame({"accession": ["GSM1", "GSM2", "GSM3", "GSM4"],
    ...     "ch1.genotype": ["WT", "WT", "KO", "KO"], "ch1.cell_line": ["A", "A", None, None],
    ...     "ch1.cell line": [None, None, "A", "A"], "ch1.treatment": ["x", "y", "x", "y"]})
    >>> d = design(samples)
    >>> d.factor_names, d.constant.factor.tolist()
    (['genotype', 'treatment'], ['cell line'])
    >>> d.groups.n_samples.tolist()
    [1, 1, 1, 1]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Design", "design"]

#: Descriptive columns a samples frame may have (GEOResult or series-matrix names).
DESCRIPTIVE = {
    "source": "source",
    "source_name_ch1": "source",
    "organism": "organism",
    "organism_ch1": "organism",
    "molecule": "molecule",
    "molecule_ch1": "molecule",
    "library_strategy": "library_strategy",
    "library_source": "library_source",
    "platform": "platform",
    "platform_id": "platform",
    "instrument": "instrument",
    "instrument_model": "instrument",
    "type": "type",
}
_IDENTIFYING = re.compile(
    r"\b(id|ids|individual|donor|patient|subject|animal|mouse|mice|rat|replicate|rep|"
    r"barcode|sample|specimen|code|number|no)\b",
    re.I,
)
_SEPARATORS = re.compile(r"[\s_\-.]+")
MISSING = "(missing)"


def tag_key(tag: str) -> str:
    """How tags are compared: ``'Cell_Line:'`` and ``'cell line'`` give ``'cell line'``."""
    return _SEPARATORS.sub(" ", tag.lower()).strip(" :")


def _parts(value: str) -> list[tuple[str | None, str]]:
    """``"T1; Sex:M"`` -> ``[(None, "T1"), ("sex", "M")]``."""
    out: list[tuple[str | None, str]] = []
    for part in value.split(";"):
        key, colon, rest = part.partition(":")
        if colon and key.strip() and not key.strip().isdigit():
            out.append((tag_key(key), rest.strip()))
        else:
            out.append((None, part.strip()))
    return out


def _split_packed(name: str, column: pd.Series) -> dict[str, pd.Series] | None:
    """The columns a packed column splits into, or None when it is not packed alike."""
    values = column.dropna().astype(str)
    if values.empty or not values.str.contains(";").all():
        return None
    parsed = [_parts(v) for v in values]
    shape = [k for k, _ in parsed[0]]
    if not any(shape) or any([k for k, _ in p] != shape for p in parsed):
        return None
    if len(set(shape)) != len(shape):
        return None
    out: dict[str, pd.Series] = {}
    for i, key in enumerate(shape):
        label = key or name
        data = pd.Series([p[i][1] for p in parsed], index=values.index, dtype="string")
        out[label] = data.reindex(column.index)
    return out


def _candidates(frame: pd.DataFrame) -> tuple[dict[str, pd.Series], list[str]]:
    """Candidate columns by design name (merged and split), and notes on what was done."""
    notes: list[str] = []
    by_key: dict[str, list[str]] = {}
    for column in frame.columns:
        if column.startswith(("ch1.", "ch2.")):
            channel, tag = column.split(".", 1)
            key = tag_key(tag) if channel == "ch1" else f"{channel}.{tag_key(tag)}"
            by_key.setdefault(key, []).append(column)
    out: dict[str, pd.Series] = {}
    for key, columns in by_key.items():
        merged = frame[columns[0]].astype("string")
        kept = [columns[0]]
        for other in columns[1:]:
            values = frame[other].astype("string")
            clash = merged.notna() & values.notna() & (merged != values)
            if bool(clash.any()):
                out[tag_key(other.split(".", 1)[1]) + f" ({other})"] = values
                continue
            merged = merged.fillna(values)
            kept.append(other)
        if len(kept) > 1:
            notes.append(f"merged {', '.join(repr(c) for c in kept)} as {key!r}")
        split = _split_packed(key, merged)
        if split is not None:
            notes.append(f"split the packed values of {key!r} into {', '.join(split)}")
            for label, series in split.items():
                out[label if label not in out else f"{key}.{label}"] = series
        else:
            out[key] = merged
    for column, name in DESCRIPTIVE.items():
        if column in frame.columns and name not in out:
            out[name] = frame[column].map(_text).astype("string")
    return out, notes


def _text(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return value


@dataclass
class Design:
    """The design of one or more series (see :func:`design` for the rules).

    ``factors``: one row per sample (``series_accession``, ``accession``) with only
    the varying factors; ``summary``: one row per (series, factor, level) with
    its number of samples; ``groups``: the combinations of the factors (without
    identifiers) that occur, with ``n_samples`` replicates; ``constant``: the
    characteristics every sample of a series shares; ``identifiers`` and
    ``covariates``: per series, the factors left out of the groups (they name or
    measure samples one by one); ``notes``: the merges and splits applied.
    """

    factors: pd.DataFrame
    summary: pd.DataFrame
    groups: pd.DataFrame
    constant: pd.DataFrame
    identifiers: dict[str, list[str]] = field(default_factory=dict)
    covariates: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def factor_names(self) -> list[str]:
        """The factors of every series, in order of appearance."""
        return [c for c in self.factors.columns if c not in ("series_accession", "accession")]

    def __repr__(self) -> str:
        series = self.factors["series_accession"].nunique(dropna=False) if len(self.factors) else 0
        return (
            f"Design({series} series, {len(self.factors)} samples, factors: "
            f"{', '.join(self.factor_names) or 'none'}; {len(self.groups)} groups)"
        )

    def _repr_html_(self) -> str:
        import html

        parts = [f"<div><strong>{html.escape(repr(self))}</strong></div>"]
        if len(self.groups):
            parts.append(self.groups.to_html(index=False, escape=True))
        if len(self.constant):
            parts.append("<div>Constant in each series:</div>")
            parts.append(self.constant.to_html(index=False, escape=True))
        return "\n".join(parts)


def _one(series: str | None, frame: pd.DataFrame) -> tuple[pd.DataFrame, ...]:
    columns, notes = _candidates(frame)
    n = len(frame)
    factors: dict[str, pd.Series] = {}
    constant: list[dict[str, Any]] = []
    identifiers: list[str] = []
    covariates: list[str] = []
    for name, values in columns.items():
        filled = values.fillna(MISSING)
        levels = filled.nunique()
        if levels > 1:
            factors[name] = values
            numeric = pd.to_numeric(values.dropna(), errors="coerce").notna().all()
            if levels == n and n > 2 and (_IDENTIFYING.search(name) or not numeric):
                identifiers.append(name)
            elif numeric and levels > n / 2 and n > 2:
                covariates.append(name)
        elif values.notna().any():
            constant.append({"series_accession": series, "factor": name, "value": values.iloc[0]})
    accessions = frame["accession"] if "accession" in frame.columns else frame.index.to_series()
    table = pd.DataFrame(
        {"series_accession": series, "accession": accessions.to_numpy()}, index=frame.index
    )
    for name, values in factors.items():
        table[name] = values
    summary = [
        {"series_accession": series, "factor": name, "level": level, "n_samples": int(count)}
        for name, values in factors.items()
        for level, count in values.fillna(MISSING).value_counts(sort=False).items()
    ]
    crossed = [name for name in factors if name not in identifiers and name not in covariates]
    if crossed:
        groups = (
            table[crossed]
            .fillna(MISSING)
            .groupby(crossed, sort=True)
            .size()
            .rename("n_samples")
            .reset_index()
        )
    else:
        groups = pd.DataFrame({"n_samples": [n]})
    groups.insert(0, "series_accession", series)
    meta = pd.DataFrame(
        {"identifiers": [identifiers], "covariates": [covariates], "notes": [notes]}
    )
    return (
        table.reset_index(drop=True),
        pd.DataFrame(summary),
        groups,
        pd.DataFrame(constant),
        meta,
    )


def design(samples: pd.DataFrame, series: str | list[str] | None = None) -> Design:
    """The design of each series in ``samples`` (or only of ``series``).

    ``samples`` is a samples frame: ``GEOResult.samples`` (one series per
    ``series_accession``), or a series matrix's samples (one series). See the
    module documentation for the rules.

    Example:
        >>> # d = geo_nb.fetch("GSE211781").design()   # or geo_nb.design(samples_frame)
        >>> # d.groups          # treatment groups and their replicates
        >>> # d.factors         # one row per sample, only what varies
    """
    frame = samples
    if "series_accession" in frame.columns:
        if series is not None:
            wanted = [series] if isinstance(series, str) else list(series)
            frame = frame[frame["series_accession"].isin(wanted)]
            missing = sorted(set(wanted) - set(frame["series_accession"]))
            if missing:
                raise KeyError(f"no samples of {', '.join(missing)} in this result.")
        pieces = [(str(s), g) for s, g in frame.groupby("series_accession", sort=False)]
    else:
        pieces = [(series if isinstance(series, str) else None, frame)]  # type: ignore[list-item]
    outputs = [_one(s, g) for s, g in pieces]
    if not outputs:
        empty = pd.DataFrame(columns=["series_accession", "accession"])
        return Design(empty, pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    tables, summaries, groups, constants, metas = zip(*outputs, strict=True)
    names = [s for s, _ in pieces]
    crossed = pd.concat(groups, ignore_index=True)
    crossed = crossed[[c for c in crossed.columns if c != "n_samples"] + ["n_samples"]]
    return Design(
        factors=pd.concat(tables, ignore_index=True),
        summary=pd.concat(summaries, ignore_index=True),
        groups=crossed,
        constant=pd.concat(constants, ignore_index=True)
        if any(len(c) for c in constants)
        else pd.DataFrame(columns=["series_accession", "factor", "value"]),
        identifiers={str(n): list(m["identifiers"][0]) for n, m in zip(names, metas, strict=True)},
        covariates={str(n): list(m["covariates"][0]) for n, m in zip(names, metas, strict=True)},
        notes={str(n): list(m["notes"][0]) for n, m in zip(names, metas, strict=True)},
    )
