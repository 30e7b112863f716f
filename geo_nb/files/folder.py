"""A series' ``suppl/`` folder as geo_nb knows it: its listing and its filelist.txt.

Read by :class:`~geo_nb.files.inventory.FolderReader`, kept in the memory cache under
:func:`folder_key`, and stored in a series' digest (:mod:`geo_nb.digests`), from which
its lists are read back only when used.

Example:
    >>> folder = SeriesFolder("GSE1", "https://ftp.ncbi.nlm.nih.gov/geo/series/GSEnnn/GSE1/suppl/")
    >>> folder.entries, folder_key("https://ftp.ncbi.nlm.nih.gov/geo", "GSE1")[0]
    ([], 'folder')
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ParseError
from ..ncbi.listing import ArchiveMember, ListingEntry

__all__ = ["SeriesFolder", "folder_key"]

_LISTED = ("entries", "archives", "members")


@dataclass(frozen=True)
class SeriesFolder:
    """A series' ``suppl/`` folder: its files and, if present, its filelist.txt.

    One read back from a digest (:meth:`later`) builds its lists when first used:
    a warm start whose inventory rows were stored with it never needs them.
    """

    accession: str
    url: str
    entries: list[ListingEntry] = field(default_factory=list)
    archives: dict[str, int | None] = field(default_factory=dict)
    members: list[ArchiveMember] = field(default_factory=list)
    fetched_at: float = field(default_factory=time.time)  # the oldest answer it is built on

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (for the digest cache); :meth:`later` takes it back."""
        return {
            "accession": self.accession,
            "url": self.url,
            "entries": [[e.name, e.is_dir, _iso(e.modified), e.size] for e in self.entries],
            "archives": self.archives,
            "members": [
                [m.archive, m.name, m.size, m.type, _iso(m.modified)] for m in self.members
            ],
        }

    @classmethod
    def later(
        cls, accession: str, url: str, fetched_at: float, lists: Callable[[], dict[str, Any]]
    ) -> SeriesFolder:
        """The folder whose ``entries``, ``archives`` and ``members`` (as :meth:`to_json`
        gives them, which leaves out when it was fetched) ``lists()`` returns, called when
        one of them is first used."""
        folder = object.__new__(cls)
        for name, value in (
            ("accession", str(accession)),
            ("url", str(url)),
            ("fetched_at", fetched_at),
            ("_lists", lists),
        ):
            object.__setattr__(folder, name, value)
        return folder

    def __getattr__(self, name: str) -> Any:
        # Only reached for an attribute the folder lacks: the lists of one later() made.
        lists = self.__dict__.get("_lists")
        if name not in _LISTED or lists is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        try:
            stored = lists()
            built: dict[str, Any] = {
                "entries": [
                    ListingEntry(name=n, is_dir=d, modified=_from_iso(m), size=z)
                    for n, d, m, z in stored["entries"]
                ],
                "archives": dict(stored["archives"]),
                "members": [
                    ArchiveMember(a, n, z, t, _from_iso(m)) for a, n, z, t, m in stored["members"]
                ],
            }
        except Exception as exc:  # whatever a malformed stored folder raises
            raise ParseError(
                f"the cached folder listing of {self.accession} cannot be read ({exc!r}); "
                "run geo_nb.clear_cache() and fetch again"
            ) from exc
        for key, value in built.items():  # (two threads at once: both see the first one's)
            self.__dict__.setdefault(key, value)
        return self.__dict__[name]


def _iso(when: dt.datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _from_iso(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def folder_key(ftp_url: str, accession: str) -> tuple[str, str, str]:
    """The memory-cache key of a series' folder below ``ftp_url``."""
    return ("folder", ftp_url, accession)
