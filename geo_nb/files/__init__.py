"""Supplementary files: what a file is (:mod:`.classify`), the sized inventory of a
series (:mod:`.inventory`), download plans (:mod:`.plan`), safe resumable
downloads (:mod:`.download`) and RAW.tar extraction (:mod:`.archive`).

Kept empty on purpose: ``geo_nb.parse`` imports :mod:`.classify` alone, which
must not pull the network modules in.
"""
