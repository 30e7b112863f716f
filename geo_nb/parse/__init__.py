"""Text formats into records: SOFT (:mod:`.soft`), series matrices (:mod:`.matrix`), and
SOFT entities into pydantic records (:mod:`.convert`). No I/O beyond reading a
given file, and nothing from :mod:`geo_nb.ncbi` (import-linter checks it).
"""

#: The first two bytes of every gzip member.
GZIP_MAGIC = b"\x1f\x8b"
