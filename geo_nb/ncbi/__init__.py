"""Everything that speaks to NCBI (and ENA) and knows its wire formats.

HTTP with retries and NCBI's rate limits (:mod:`.http`, :mod:`.ratelimit`), the
disk cache (:mod:`.cache`), E-utilities (:mod:`.eutils`), GEO's accession
display (:mod:`.acc`), FTP folder listings and ``filelist.txt`` (:mod:`.listing`)
and URLs of the GEO FTP tree (:mod:`.urls`). Nothing here imports
:mod:`geo_nb.files.classify` or :mod:`geo_nb.jupyter` (import-linter checks it).
"""
