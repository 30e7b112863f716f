"""Sizes for people, and each byte counted once.

The one size formatter (:func:`human_size`, :func:`size_text`) and the rules
that keep a ``RAW.tar`` and the files inside it from being counted, or
downloaded, twice (:func:`unique_size`, :func:`resolve_archives`).

Example:
    >>> human_size(1536)
    '1.5 KiB'
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "NARROWING_FILTERS",
    "human_size",
    "inside_listed_archive",
    "resolve_archives",
    "size_text",
    "unique_size",
]


def human_size(size: float | None) -> str:
    """``1536`` -> ``'1.5 KiB'``; None -> ``'?'``.

    Example:
        >>> human_size(393216000)
        '375.0 MiB'
    """
    if size is None or pd.isna(size):
        return "?"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} PiB"


def size_text(total: int, unsized: int, n_files: int) -> str:
    """A total for people: the known bytes, and how many files have no known size.

    Unknown is never shown as ``0 B``: files whose size nobody knows are
    counted, not summed.

    Example:
        >>> size_text(1536, 0, 2), size_text(1536, 3, 5), size_text(0, 6, 6)
        ('1.5 KiB', '1.5 KiB + 3 of unknown size', 'size unknown')
    """
    if n_files and unsized >= n_files:
        return "size unknown"
    text = human_size(total)
    return f"{text} + {unsized} of unknown size" if unsized else text


def inside_listed_archive(files: pd.DataFrame) -> pd.Series:
    """True for rows that are members of an archive that is itself a row of ``files``.

    A ``RAW.tar`` and its members are the same bytes twice; a member counts
    only where its archive is not in the frame (same series, same name).
    """
    if files.empty:
        return pd.Series(False, index=files.index, dtype=bool)
    series = files["series_accession"].fillna("").astype(str)
    listed = set(zip(series, files["name"].astype(str), strict=True))
    inside = [
        isinstance(archive, str) and (s, archive) in listed
        for s, archive in zip(series, files["archive"].astype(object), strict=True)
    ]
    return pd.Series(inside, index=files.index, dtype=bool)


def unique_size(files: pd.DataFrame) -> tuple[int, int]:
    """(known bytes, files of unknown size) of ``files``, every byte counted once.

    Members of an archive that is also in ``files`` are left out (the archive
    holds their bytes), and a URL listed twice counts once.

    Example:
        >>> frame = pd.DataFrame({"series_accession": ["GSE1"] * 3,
        ...     "name": ["GSE1_RAW.tar", "a.bed", "b.txt"], "url": ["u1", None, "u3"],
        ...     "archive": [None, "GSE1_RAW.tar", None],
        ...     "size_bytes": pd.array([100, 90, None], dtype="Int64")})
        >>> unique_size(frame)
        (100, 1)
    """
    if files.empty:
        return 0, 0
    own = files[~inside_listed_archive(files)]
    own = own[~own["url"].duplicated() | own["url"].isna()]
    return int(own["size_bytes"].fillna(0).sum()), int(own["size_bytes"].isna().sum())


NARROWING_FILTERS = ("category", "format", "level", "pattern")


def resolve_archives(files: pd.DataFrame, *, narrowed: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Never plan an archive and its members together: (kept rows, dropped rows + ``reason``).

    When a chosen ``RAW.tar`` and some of its members are both chosen, the
    members win if the choice was narrowed by category, format, level or name
    pattern (the user asked for those files); otherwise the archive wins (one
    request for everything). Either way the same bytes are never planned twice.

    Example:
        >>> frame = pd.DataFrame({"series_accession": ["GSE1"] * 2,
        ...     "name": ["GSE1_RAW.tar", "a.bed"], "archive": [None, "GSE1_RAW.tar"]})
        >>> kept, dropped = resolve_archives(frame, narrowed=False)
        >>> kept.name.tolist(), dropped.name.tolist()
        (['GSE1_RAW.tar'], ['a.bed'])
    """
    inside = inside_listed_archive(files)
    if not inside.any():
        return files, files.iloc[0:0].assign(reason=pd.Series(dtype="string"))
    series = files["series_accession"].fillna("").astype(str)
    members = files[inside]
    if narrowed:
        wanted = set(zip(series[inside], members["archive"].astype(str), strict=True))
        is_tar = pd.Series(
            [(s, n) in wanted for s, n in zip(series, files["name"].astype(str), strict=True)],
            index=files.index,
            dtype=bool,
        )
        counts = members.groupby([series[inside], members["archive"]]).size()
        reasons = [
            f"its {counts[(s, n)]} chosen member(s) are planned on their own; "
            "plan category='raw_archive' alone to take the whole archive"
            for s, n in zip(series[is_tar], files.loc[is_tar, "name"], strict=True)
        ]
        dropped_mask = is_tar
    else:
        reasons = [
            f"inside {a}, which the plan downloads whole; filter by category, format "
            "or pattern to take single files"
            for a in members["archive"]
        ]
        dropped_mask = inside
    dropped = files[dropped_mask].assign(
        reason=pd.Series(reasons, index=files.index[dropped_mask], dtype="string")
    )
    return files[~dropped_mask], dropped
