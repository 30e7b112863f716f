"""GEO supplementary files: what a file holds, judged from its name alone.

GEO lists supplementary files as bare names (``filelist.txt``) or as FTP/HTTPS URLs
(``!Sample_supplementary_file``). Before downloading anything, a notebook user wants to filter
them into reads, alignments, tracks, peaks and processed tables; a series can list hundreds of
thousands. :func:`classify_file` does that from the name only, with no I/O: precomputed tables,
a few string operations and two anchored regular expressions.

Example:
    >>> from geo_nb.files.classify import classify_file, file_name
    >>> classify_file("GSM2634756_U87_BRD4_peaks.narrowPeak.gz")
    FileKind(category='regions', format='NARROWPEAK', compression='gz')
    >>> file_name("https://ftp.ncbi.nlm.nih.gov/geo/series/GSE1nnn/GSE1563/suppl/GSE1563%5FRAW.tar")
    'GSE1563_RAW.tar'
"""

from __future__ import annotations

import functools
import re
from typing import Final, NamedTuple
from urllib.parse import unquote

__all__ = ["CATEGORIES", "COMPRESSIONS", "FileKind", "classify_file", "file_name"]

CATEGORIES: Final = (
    *("raw_archive", "sequencing", "alignment", "microarray", "single_cell", "genome_track"),
    *("regions", "processed", "metadata", "other"),
)
COMPRESSIONS: Final = ("gz", "bz2", "xz", "zip", "zst", "")


class FileKind(NamedTuple):
    """The kind of a file: ``category`` (one of :data:`CATEGORIES`), ``format`` (canonical
    upper-case type such as ``"BAM"``, or ``""`` when the name has no extension) and
    ``compression`` (one of :data:`COMPRESSIONS`)."""

    category: str
    format: str
    compression: str


# Extensions by category; the format is the upper-cased extension unless aliased.
_BY_CATEGORY: Final[dict[str, tuple[str, ...]]] = {
    "sequencing": ("fastq", "fq", "sra", "sff"),
    "alignment": ("bam", "sam", "cram", "bai", "crai"),
    "microarray": ("cel", "chp", "idat", "gpr", "rcc", "pair", "xys"),
    "single_cell": ("mtx", "h5ad", "loom"),
    "genome_track": ("bigwig", "bw", "bedgraph", "bdg", "wig", "tdf", "hic", "cool", "mcool"),
    "regions": (
        *("bed", "bigbed", "bb", "narrowpeak", "broadpeak", "gappedpeak", "bedpe"),
        *("gtf", "gff", "gff3"),  # annotations: features on genome intervals
    ),
    "processed": (
        *("txt", "tsv", "csv", "xlsx", "xls", "rds", "rda", "rdata"),
        *("h5", "hdf5", "json", "fpkm_tracking", "gct", "vcf"),
        "diff",  # Cuffdiff's tables (gene_exp.diff), not patches
    ),
    # SOFT and .annot files are only ever made by GEO itself; *.md5 are checksum lists.
    "metadata": ("soft", "annot", "md5"),
    # Images are "other", TIFFs too: an array scan (GSM1_cy3.tif) or a tissue image of a
    # spatial series (GSM1_CytAssist_image.tif, GBs), the name cannot tell which.
    "other": ("tar", "xml", "pdf", "png", "jpg", "tif", "tiff"),
}
_ALIASES: Final = {
    "fq": "FASTQ",
    "bw": "BIGWIG",
    "bdg": "BEDGRAPH",
    "bb": "BIGBED",
    "tif": "TIFF",
}
_EXTENSIONS: Final[dict[str, tuple[str, str]]] = {
    ext: (category, _ALIASES.get(ext, ext.upper()))
    for category, extensions in _BY_CATEGORY.items()
    for ext in extensions
}
# Compression suffix -> (what replaces it, compression); ".tgz" is ".tar" + gzip.
_COMPRESSED: Final[dict[str, tuple[str, str]]] = {
    **{ext: ("", ext) for ext in ("gz", "bz2", "xz", "zip", "zst")},
    "tgz": (".tar", "gz"),
    "tbz2": (".tar", "bz2"),
    "txz": (".tar", "xz"),
}
_RAW_ARCHIVE: Final = re.compile(r"gse\d+_raw\.tar")
# An SRA folder (old "sra-instant" links end in an experiment folder such as SRX012330).
_SRA_FOLDER: Final = re.compile(r"[sed]r[aprsx]\d+")
_TENX_FILES: Final = ("barcodes.tsv", "features.tsv", "genes.tsv")
_TENX_MATRICES: Final = ("feature_bc_matrix", "gene_bc_matrices")
_METADATA_SUFFIXES: Final = (
    *("_family.soft", "_family.xml", "series_matrix.txt"),
    *("md5.txt", "md5sum.txt", "md5sums.txt", "md5sum", "md5sums"),
)
_SEPARATORS: Final = frozenset("_-. ")
_ASCII_ESCAPES: Final = {f"{code:02X}": chr(code) for code in range(128)}
_MAX_EXTENSION: Final = 16


def file_name(name_or_url: str) -> str:
    """The last part of a URL or path: query and fragment removed, percent-decoded.

    A folder URL ending in ``/`` gives its last non-empty part; ``\\`` also separates parts.

    Example:
        >>> file_name("ftp://ftp.ncbi.nlm.nih.gov/geo/samples/GSM1nnn/GSM1/suppl/GSM1%5Fa.bed.gz")
        'GSM1_a.bed.gz'
    """
    text = name_or_url.partition("?")[0].partition("#")[0]
    name = _last_part(text)
    if "%" in name:  # decode the last part only, unless it hides a separator ("SRX%2FSRX476")
        decoded = _unquote(name)
        name = _last_part(_unquote(text) if "/" in decoded or "\\" in decoded else decoded)
    return name


@functools.lru_cache(maxsize=1 << 16)
def classify_file(name_or_url: str) -> FileKind:
    """Classify a supplementary file by its name (or URL), case-insensitively; never raises.

    Answers are remembered (an inventory asks about the same names again and again).

    The compression suffix is stripped first, then the last extension decides, except for
    GEO's named files (``GSE*_RAW.tar``, 10x matrices, family/series-matrix files, md5 lists).

    Example:
        >>> classify_file("GSE1563_RAW.tar")
        FileKind(category='raw_archive', format='TAR', compression='')
        >>> classify_file("ftp://x/GSM1_filtered_feature_bc_matrix.tar.gz")
        FileKind(category='single_cell', format='TAR', compression='gz')
        >>> classify_file("GSM1.sorted.bam.bed.gz").category
        'regions'
    """
    stem = file_name(name_or_url).lower().lstrip(".")
    compression = ""
    for _ in range(3):  # "x.txt.gz" once; "x.gz.gz" twice: the outer compression is reported
        head, _, ext = stem.rpartition(".")
        swap = _COMPRESSED.get(ext) if head else None
        if swap is None:
            break
        stem = head + swap[0]
        compression = compression or swap[1]
    head, _, ext = stem.rpartition(".")
    if not head or not _is_extension(ext):
        ext = ""
    category, fmt = _EXTENSIONS.get(ext, ("other", ext.upper()))
    if not ext and compression:
        fmt = compression.upper()  # a bare archive such as GSE1_data.zip
    if ext == "tar" and _RAW_ARCHIVE.fullmatch(stem):
        return FileKind("raw_archive", fmt, compression)
    core = stem.removesuffix(".tar")  # GSE1_family.xml.tgz holds GSE1_family.xml
    if _is_tenx_name(core):
        category = "single_cell"
    elif core == "filelist.txt" or core.endswith(_METADATA_SUFFIXES):
        category = "metadata"
    elif not ext and not compression and _SRA_FOLDER.fullmatch(stem):
        return FileKind("sequencing", "SRA", "")
    return FileKind(category, fmt, compression)


def _unquote(text: str) -> str:
    """Percent-decode ``text``: ASCII escapes (GEO's ``%5F``, ``%2E``) by table, else urllib."""
    head, *pieces = text.split("%")
    out = [head]
    for piece in pieces:
        char = _ASCII_ESCAPES.get(piece[:2].upper())
        if char is None:  # UTF-8 sequence or a stray "%": let urllib decide
            return unquote(text)
        out += (char, piece[2:])
    return "".join(out)


def _last_part(text: str) -> str:
    return text.replace("\\", "/").strip().rstrip("/").rpartition("/")[2].strip()


def _is_extension(ext: str) -> bool:
    """True for a plausible extension: short ASCII letters/digits/underscores, not all digits
    (``sample.1`` has none; ``fpkm_tracking`` is one)."""
    if not ext or len(ext) > _MAX_EXTENSION or not ext.isascii():
        return False
    bare = ext.replace("_", "")
    return bare.isalnum() and not bare.isdigit()


def _is_tenx_name(core: str) -> bool:
    """True for 10x Genomics outputs: ``*barcodes.tsv``-style files and ``*_bc_matri*`` names."""
    if _TENX_MATRICES[0] in core or _TENX_MATRICES[1] in core:
        return True
    if not core.endswith(_TENX_FILES):
        return False
    for suffix in _TENX_FILES:
        if core.endswith(suffix):
            before = core[: -len(suffix)]
            return not before or before[-1] in _SEPARATORS
    return False
