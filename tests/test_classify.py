"""Tests for geo_nb.files.classify: classify_file and file_name.

Real GEO names used below, and where they were seen (public scripts that download them):
- GSE131971_RAW.tar, GSE136103_RAW.tar, GSE149683_RAW.tar (with *.seurat.RDS.gz members),
  GSE58325_RAW.tar (*.genes.fpkm_tracking.gz members), GSE74821_RAW.tar (NanoString *.RCC.gz).
- GSE2350_series_matrix.txt.gz, GSE2350_family.soft.gz, GSE2350_family.xml.tgz
  (absorto/lymphoma_networks wgets.sh); GSE124703 suppl/filelist.txt.
- GSM4653863%5FHC1%5Fbarcodes.tsv.gz, ...%5Ffeatures.tsv.gz, ...%5Fmatrix.mtx.gz
  (Starlitnightly/omicverse, scfoundation demo.sh): GEO percent-encodes "_" in its URLs.
- GSE24080%5FMM%5FUAMS565%5FClinInfo%5F27Jun2008%5FLS%5Fclean%2Exls%2Egz
  (khughitt/mm30-geo-data-pipeline supp/README.md): even the dots are encoded.
- GSM2585711%5FG%2D6%2D4A22%2E1%2Ecu%2Ebo%2Ehg19...%2Ebed%2Egz: a 17-dot BED name.
- GSM733816.CEL.gz / GSM733816.chp.gz, GSM2434456_0IU_CD4_2.rma-gene-default.chp.gz,
  GSM2550011_RKO_c0011_w0053.sst-rma-gene-full.chp.gz (Affymetrix).
- GSM7698435_PREC_500_1_Grn.idat.gz, GSM6379997%5F203927450093%5FR01C01%5FRed.idat.gz (Illumina).
- GSM1934697_20111102_20111102-9741-1_LGWU101986-1036378WU_02.RCC.gz (NanoString, GSE74821).
- GSM230361.gpr.gz under the old .../pub/geo/DATA/supplementary/samples/ layout (GenePix);
  *.pair.gz NimbleGen members of GSE27219_RAW.tar.
- GSE63525_GM12878_insitu_primary+replicate_combined_30.hic, GSE63525_K562_combined_30.hic,
  GSE63525_GM12878_subcompartments_A.bed, ..._Arrowhead_domainlist.txt.gz (Hi-C, Rao 2014).
- GSE194122%5Fopenproblems%5Fneurips2021%5Fcite%5FBMMC%5Fprocessed.h5ad.gz,
  GSE161228_24h_PN_all.h5ad.gz, GSE156793_S3_gene_count.loom.gz,
  GSM6403408%5F3423%2DMV%2D1%5Fgex%5Fpossorted%5Fbam%5F0E7KE%2Eloom%2Egz ("bam" inside a loom).
- GSE280506_filtered_feature_bc_matrix.h5, GSE156972_raw_gene_bc_matrices_h5.h5,
  nuclei_900_filtered_gene_bc_matrices.tar.gz (10x).
- GSM2634756_U87_BRD4_peaks.narrowPeak.gz, GSE166835_H3K27ac_peaks.narrowPeak.gz,
  GSM2156966_JLKD002.bed.gz, GSM3722015_PBMC_Rep1_fragments.tsv.gz (ATAC fragments),
  GSM4150378_sciPlex3_A549_MCF7_K562_screen_UMI.count.matrix.gz, GSM4096261_10t.tsv.gz,
  GSM3271352_gm12878_06.impute3.round4.clean.3dg.txt.gz, GSE190940_P8NR.csv.gz.
- GSM44847_cy3.tif.gz, GSM44847_cy5.tif.gz (two-colour scanner images, GSE2388's family SOFT
  in PavlidisLab/Gemma), GSE29006_Ensembl59_Scripture.gtf.gz (GSE29006's family SOFT, same),
  GSE52778_Dex_vs_Untreated_gene_exp.diff.gz (Cuffdiff output; GSE52778's recorded SOFT).
- SRA links: .../sra-instant/reads/ByExp/sra/SRX/SRX502/SRX502160/SRR1206356/SRR1206356.sra,
  .../ByExp/sra/SRX%2FSRX476%2FSRX476344/SRR1177156/SRR1177156.sra (encoded slashes),
  .../ByExp/sra/SRX/SRX000/SRX000000 (a folder).
Other names are illustrative, in the shapes GEO uses.
"""

from __future__ import annotations

import doctest

import pytest

import geo_nb.files.classify
from geo_nb.files.classify import CATEGORIES, COMPRESSIONS, FileKind, classify_file, file_name

GEO = "https://ftp.ncbi.nlm.nih.gov/geo"
FTP = "ftp://ftp.ncbi.nlm.nih.gov/geo"
SRA = "ftp://ftp-trace.ncbi.nlm.nih.gov/sra/sra-instant/reads/ByExp/sra"

# (name or URL, category, format, compression)
CASES: list[tuple[str, str, str, str]] = [
    # raw_archive: only GEO's own bundle
    ("GSE1563_RAW.tar", "raw_archive", "TAR", ""),
    (f"{GEO}/series/GSE131nnn/GSE131971/suppl/GSE131971_RAW.tar", "raw_archive", "TAR", ""),
    (f"{FTP}/series/GSE1nnn/GSE1563/suppl/GSE1563%5FRAW.tar", "raw_archive", "TAR", ""),
    ("gse136103_raw.TAR", "raw_archive", "TAR", ""),
    ("GSM1_raw.tar.gz", "other", "TAR", "gz"),  # a submitter's tarball, not the bundle
    ("GSE1_RAW_counts.tar", "other", "TAR", ""),
    # sequencing
    ("GSM1_S1_L001_R1_001.fastq.gz", "sequencing", "FASTQ", "gz"),
    ("GSM1_R2.fq.gz", "sequencing", "FASTQ", "gz"),
    ("sample.FASTQ.bz2", "sequencing", "FASTQ", "bz2"),
    ("reads.fq", "sequencing", "FASTQ", ""),
    ("SRR1206356.sra", "sequencing", "SRA", ""),
    ("GSM1_run1.sff.gz", "sequencing", "SFF", "gz"),
    # alignment
    ("GSM1_possorted_genome_bam.bam", "alignment", "BAM", ""),
    ("GSM1_possorted_genome_bam.bam.bai", "alignment", "BAI", ""),
    ("GSM1.bai", "alignment", "BAI", ""),
    ("GSM1_aligned.sam.gz", "alignment", "SAM", "gz"),
    ("GSM1.cram", "alignment", "CRAM", ""),
    ("GSM1.cram.crai", "alignment", "CRAI", ""),
    # microarray
    ("GSM733816.CEL.gz", "microarray", "CEL", "gz"),
    (f"{FTP}/samples/GSM733nnn/GSM733816/suppl/GSM733816.chp.gz", "microarray", "CHP", "gz"),
    ("GSM123_sample.CEL.gz", "microarray", "CEL", "gz"),
    ("GSM2434456_0IU_CD4_2.rma-gene-default.chp.gz", "microarray", "CHP", "gz"),
    ("GSM2550011_RKO_c0011_w0053.sst-rma-gene-full.chp.gz", "microarray", "CHP", "gz"),
    ("GSM7698435_PREC_500_1_Grn.idat.gz", "microarray", "IDAT", "gz"),
    ("GSM1_S1.idat.gz", "microarray", "IDAT", "gz"),
    (
        f"{GEO}/samples/GSM6379nnn/GSM6379997/suppl/GSM6379997%5F203927450093%5FR01C01%5FRed.idat.gz",
        "microarray",
        "IDAT",
        "gz",
    ),
    (
        "ftp://ftp.ncbi.nlm.nih.gov/pub/geo/DATA/supplementary/samples/GSM230nnn/GSM230361/GSM230361.gpr.gz",
        "microarray",
        "GPR",
        "gz",
    ),
    (
        "GSM1934697_20111102_20111102-9741-1_LGWU101986-1036378WU_02.RCC.gz",
        "microarray",
        "RCC",
        "gz",
    ),
    ("GSM678390_532.pair.gz", "microarray", "PAIR", "gz"),
    ("GSM1.PAIR", "microarray", "PAIR", ""),
    ("GSM1_532.xys.gz", "microarray", "XYS", "gz"),
    # Images are other: a scan of a two-colour array or the tissue image of a spatial series.
    ("GSM44847_cy3.tif.gz", "other", "TIFF", "gz"),
    ("GSM44847_cy5.TIFF", "other", "TIFF", ""),
    ("GSM1_CytAssist_image.tif.gz", "other", "TIFF", "gz"),
    # single_cell: extensions and 10x names
    ("GSM1_matrix.mtx.gz", "single_cell", "MTX", "gz"),
    ("GSE161228_24h_PN_all.h5ad.gz", "single_cell", "H5AD", "gz"),
    (
        f"{GEO}/series/GSE194nnn/GSE194122/suppl/"
        "GSE194122%5Fopenproblems%5Fneurips2021%5Fcite%5FBMMC%5Fprocessed.h5ad.gz",
        "single_cell",
        "H5AD",
        "gz",
    ),
    ("GSE156793_S3_gene_count.loom.gz", "single_cell", "LOOM", "gz"),
    (
        f"{GEO}/samples/GSM6403nnn/GSM6403408/suppl/"
        "GSM6403408%5F3423%2DMV%2D1%5Fgex%5Fpossorted%5Fbam%5F0E7KE%2Eloom%2Egz",
        "single_cell",
        "LOOM",
        "gz",
    ),
    ("GSM1_barcodes.tsv.gz", "single_cell", "TSV", "gz"),
    ("GSM1_features.tsv.gz", "single_cell", "TSV", "gz"),
    ("GSM1_genes.tsv.gz", "single_cell", "TSV", "gz"),
    ("barcodes.tsv", "single_cell", "TSV", ""),
    ("GSM1-Genes.TSV", "single_cell", "TSV", ""),
    ("GSM1_allbarcodes.tsv.gz", "processed", "TSV", "gz"),  # not a 10x name
    ("GSM1_barcodes.txt.gz", "processed", "TXT", "gz"),
    (
        f"{GEO}/samples/GSM4653nnn/GSM4653863/suppl/GSM4653863%5FHC1%5Fbarcodes.tsv.gz",
        "single_cell",
        "TSV",
        "gz",
    ),
    ("GSE280506_filtered_feature_bc_matrix.h5", "single_cell", "H5", ""),
    ("GSM1_raw_feature_bc_matrix.h5", "single_cell", "H5", ""),
    ("raw_gene_bc_matrices_h5.h5", "single_cell", "H5", ""),
    ("GSE156972_raw_gene_bc_matrices_h5.h5", "single_cell", "H5", ""),
    ("GSM1_filtered_feature_bc_matrix.tar.gz", "single_cell", "TAR", "gz"),
    ("nuclei_900_filtered_gene_bc_matrices.tar.gz", "single_cell", "TAR", "gz"),
    ("GSM1_filtered_feature_bc_matrix.zip", "single_cell", "ZIP", "zip"),
    (f"{GEO}/samples/GSM1nnn/GSM1/suppl/filtered_feature_bc_matrix/", "single_cell", "", ""),
    # genome_track
    ("GSM1_H3K4me3.bw", "genome_track", "BIGWIG", ""),
    ("GSM1_H3K4me3.bigWig", "genome_track", "BIGWIG", ""),
    ("GSM1_H3K4me3.BIGWIG", "genome_track", "BIGWIG", ""),
    ("GSM1_plus.bedGraph.gz", "genome_track", "BEDGRAPH", "gz"),
    ("GSM1_minus.bdg.gz", "genome_track", "BEDGRAPH", "gz"),
    ("GSM1_coverage.wig.gz", "genome_track", "WIG", "gz"),
    ("GSM1.tdf", "genome_track", "TDF", ""),
    ("GSE63525_GM12878_insitu_primary+replicate_combined_30.hic", "genome_track", "HIC", ""),
    ("GSE63525_K562_combined_30.hic", "genome_track", "HIC", ""),
    ("GSM1_10kb.cool", "genome_track", "COOL", ""),
    ("GSM1_HiC.mcool", "genome_track", "MCOOL", ""),
    # regions
    ("GSM2156966_JLKD002.bed.gz", "regions", "BED", "gz"),
    ("GSE63525_GM12878_subcompartments_A.bed", "regions", "BED", ""),
    ("GSM1_peaks.bb", "regions", "BIGBED", ""),
    ("GSM1_peaks.bigBed", "regions", "BIGBED", ""),
    ("GSM2634756_U87_BRD4_peaks.narrowPeak.gz", "regions", "NARROWPEAK", "gz"),
    ("GSE166835_H3K27ac_peaks.narrowPeak.gz", "regions", "NARROWPEAK", "gz"),
    ("GSM1_H3K27me3_peaks.broadPeak", "regions", "BROADPEAK", ""),
    ("GSM1_peaks.gappedPeak.gz", "regions", "GAPPEDPEAK", "gz"),
    ("GSE29006_Ensembl59_Scripture.gtf.gz", "regions", "GTF", "gz"),
    ("GSE1_genes.gff3.gz", "regions", "GFF3", "gz"),
    ("GSE1_variants.vcf.gz", "processed", "VCF", "gz"),
    ("GSE52778_Dex_vs_Untreated_gene_exp.diff.gz", "processed", "DIFF", "gz"),
    ("GSE1_expression.gct", "processed", "GCT", ""),
    ("GSM1_loops.bedpe.gz", "regions", "BEDPE", "gz"),
    # processed
    ("GSE1_counts.txt.gz", "processed", "TXT", "gz"),
    ("GSE63525_GM12878_primary+replicate_Arrowhead_domainlist.txt.gz", "processed", "TXT", "gz"),
    ("GSM3722015_PBMC_Rep1_fragments.tsv.gz", "processed", "TSV", "gz"),
    ("GSE190940_P8NR.csv.gz", "processed", "CSV", "gz"),
    ("GSE1_DEGs.xlsx", "processed", "XLSX", ""),
    (
        f"{FTP}/series/GSE24nnn/GSE24080/suppl/"
        "GSE24080%5FMM%5FUAMS565%5FClinInfo%5F27Jun2008%5FLS%5Fclean%2Exls%2Egz",
        "processed",
        "XLS",
        "gz",
    ),
    ("GSM1.seurat.RDS.gz", "processed", "RDS", "gz"),
    ("GSE1_objects.rda", "processed", "RDA", ""),
    ("GSE1_session.RData", "processed", "RDATA", ""),
    ("GSE1_counts.h5", "processed", "H5", ""),
    ("GSE1_counts.hdf5", "processed", "HDF5", ""),
    ("GSE1_clusters.json.gz", "processed", "JSON", "gz"),
    ("GSM1_Icm1.genes.fpkm_tracking.gz", "processed", "FPKM_TRACKING", "gz"),
    ("isoforms.fpkm_tracking", "processed", "FPKM_TRACKING", ""),
    ("sample.1.2.txt.gz", "processed", "TXT", "gz"),
    ("GSM3271352_gm12878_06.impute3.round4.clean.3dg.txt.gz", "processed", "TXT", "gz"),
    ("GSM1 sample 1 (final).txt", "processed", "TXT", ""),
    # metadata: GEO's own files
    ("filelist.txt", "metadata", "TXT", ""),
    (f"{GEO}/series/GSE124nnn/GSE124703/suppl/filelist.txt", "metadata", "TXT", ""),
    ("GSE2350_family.soft.gz", "metadata", "SOFT", "gz"),
    ("GSE2350_family.xml.tgz", "metadata", "TAR", "gz"),  # the MINiML bundle is a tarball
    ("GSE1_family.xml", "metadata", "XML", ""),
    ("GSE2350_series_matrix.txt.gz", "metadata", "TXT", "gz"),
    ("GSE1-GPL570_series_matrix.txt.gz", "metadata", "TXT", "gz"),
    ("GDS507_full.soft.gz", "metadata", "SOFT", "gz"),
    ("GPL570.annot.gz", "metadata", "ANNOT", "gz"),
    ("md5sum.txt", "metadata", "TXT", ""),
    ("GSE1_md5.txt", "metadata", "TXT", ""),
    ("GSE1_MD5SUMS.txt", "metadata", "TXT", ""),
    ("GSE1_fastq.md5", "metadata", "MD5", ""),
    ("MD5SUM", "metadata", "", ""),
    # other
    ("GSE1_supplementary_methods.pdf", "other", "PDF", ""),
    ("GSM1_heatmap.png", "other", "PNG", ""),
    ("GSE1_sample_sheet.xml", "other", "XML", ""),
    ("GSE1_data.zip", "other", "ZIP", "zip"),
    ("GSE1_archive.tgz", "other", "TAR", "gz"),
    ("GSM1_bigwigs.tar.gz", "other", "TAR", "gz"),
    ("GSM1_data.tar.bz2", "other", "TAR", "bz2"),
    ("GSE1_reference.fa.gz", "other", "FA", "gz"),  # any other extension: upper-cased
    ("GSM4150378_sciPlex3_A549_MCF7_K562_screen_UMI.count.matrix.gz", "other", "MATRIX", "gz"),
    ("GSE1_README", "other", "", ""),
    ("GSE1_notes.v2", "other", "V2", ""),
    ("sample.1", "other", "", ""),  # a number is not an extension
    ("GSE1_data.7z", "other", "7Z", ""),
    # each compression suffix
    ("GSM1.bed.gz", "regions", "BED", "gz"),
    ("GSM1.bed.bz2", "regions", "BED", "bz2"),
    ("GSM1.bed.xz", "regions", "BED", "xz"),
    ("GSM1.bed.zip", "regions", "BED", "zip"),
    ("GSM1.bed.zst", "regions", "BED", "zst"),
    ("GSM1.bed.GZ", "regions", "BED", "gz"),
    ("GSE1_data.gz", "other", "GZ", "gz"),
    ("GSE1_data.bz2", "other", "BZ2", "bz2"),
    ("GSE1_data.xz", "other", "XZ", "xz"),
    ("GSE1_data.zst", "other", "ZST", "zst"),
    ("GSE1_data.txz", "other", "TAR", "xz"),
    # the last extension decides
    ("x.sorted.bam.bed.gz", "regions", "BED", "gz"),
    ("x.bam.count.tdf.gz", "genome_track", "TDF", "gz"),
    ("x.fastq.txt", "processed", "TXT", ""),
    ("x.bed.bam", "alignment", "BAM", ""),
    ("x.cel.zip", "microarray", "CEL", "zip"),
    ("x.txt.gz.gz", "processed", "TXT", "gz"),
    (
        f"{FTP}/samples/GSM2585nnn/GSM2585711/suppl/GSM2585711%5FG%2D6%2D4A22%2E1%2Ecu%2Ebo%2Ehg19"
        "%2EcoToBa%2EcoToBe%2EunSo%2EcoBeToSiFr%2EslBeb6%2EcoToFiRa10%2EsoBe%2EcoBeToFa"
        "%2EgePyDi%2EsoBe%2Ebed%2Egz",
        "regions",
        "BED",
        "gz",
    ),
    # SRA links from old records: files and folders
    (f"{SRA}/SRX/SRX012/SRX012330", "sequencing", "SRA", ""),
    (f"{SRA}/SRX/SRX012/SRX012330/", "sequencing", "SRA", ""),
    (f"{SRA}/SRX/SRX502/SRX502160/SRR1206356/SRR1206356.sra", "sequencing", "SRA", ""),
    (f"{SRA}/SRX%2FSRX476%2FSRX476344", "sequencing", "SRA", ""),
    (f"{SRA}/SRX%2FSRX476%2FSRX476344/SRR1177156/SRR1177156.sra", "sequencing", "SRA", ""),
    ("SRX000000", "sequencing", "SRA", ""),
    # URLs: query strings, fragments, spaces, case
    (f"{GEO}/download/?acc=GSE1&format=file&file=GSE1%5Fcounts%2Etxt%2Egz", "other", "", ""),
    (f"{GEO}/series/GSE1nnn/GSE1/suppl/GSE1_counts.txt.gz?download=1", "processed", "TXT", "gz"),
    (f"{GEO}/series/GSE1nnn/GSE1/suppl/GSE1_peaks.bed.gz#top", "regions", "BED", "gz"),
    (f"{GEO}/samples/GSM1nnn/GSM1/suppl/GSM1%20my%20sample.CEL.gz", "microarray", "CEL", "gz"),
    (
        "HTTPS://FTP.NCBI.NLM.NIH.GOV/GEO/SAMPLES/GSM1NNN/GSM1/SUPPL/GSM1.BW",
        "genome_track",
        "BIGWIG",
        "",
    ),
    (r"C:\data\GSE1\GSM1_Grn.IDAT", "microarray", "IDAT", ""),
    ("  GSM1_peaks.narrowPeak  ", "regions", "NARROWPEAK", ""),
    # hidden-ish names: a leading dot does not start an extension
    (".hidden_peaks.bed", "regions", "BED", ""),
    ("._GSM1.CEL", "microarray", "CEL", ""),
    (".DS_Store", "other", "", ""),
    (".gz", "other", "", ""),
]


@pytest.mark.parametrize(("name", "category", "fmt", "compression"), CASES)
def test_classify_file(name: str, category: str, fmt: str, compression: str) -> None:
    assert classify_file(name) == FileKind(category, fmt, compression)


@pytest.mark.parametrize(("name", "category", "fmt", "compression"), CASES)
def test_url_and_its_file_name_classify_alike(
    name: str, category: str, fmt: str, compression: str
) -> None:
    assert classify_file(file_name(name)) == classify_file(name)
    assert classify_file(name.swapcase()) == classify_file(name)


CANONICAL_FORMATS: dict[str, tuple[str, ...]] = {
    "raw_archive": ("TAR",),
    "sequencing": ("FASTQ", "SRA", "SFF"),
    "alignment": ("BAM", "SAM", "CRAM", "BAI", "CRAI"),
    "microarray": ("CEL", "CHP", "IDAT", "GPR", "RCC", "PAIR"),
    "single_cell": ("MTX", "H5AD", "LOOM"),
    "genome_track": ("BIGWIG", "BEDGRAPH", "WIG", "TDF", "HIC", "COOL", "MCOOL"),
    "regions": ("BED", "BIGBED", "NARROWPEAK", "BROADPEAK", "GAPPEDPEAK"),
    "processed": (
        *("TXT", "TSV", "CSV", "XLSX", "XLS", "RDS", "RDA", "RDATA"),
        *("H5", "HDF5", "JSON", "FPKM_TRACKING"),
    ),
    "metadata": ("SOFT", "XML", "TXT"),
    "other": ("XML", "TAR", "PDF", "PNG"),
}


def test_table_covers_every_category_format_and_compression() -> None:
    seen = {(category, fmt) for _, category, fmt, _ in CASES}
    wanted = {(category, fmt) for category, fmts in CANONICAL_FORMATS.items() for fmt in fmts}
    assert wanted <= seen
    assert {category for _, category, _, _ in CASES} == set(CATEGORIES)
    assert {compression for *_, compression in CASES} == set(COMPRESSIONS)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("GSM1_peaks.bed.gz", "GSM1_peaks.bed.gz"),
        (f"{GEO}/series/GSE1nnn/GSE1563/suppl/GSE1563_RAW.tar", "GSE1563_RAW.tar"),
        (f"{FTP}/samples/GSM1nnn/GSM1/suppl/GSM1%5Fa%2Ebed%2Egz", "GSM1_a.bed.gz"),
        (f"{GEO}/samples/GSM1nnn/GSM1/suppl/GSM1%20my%20sample.CEL.gz", "GSM1 my sample.CEL.gz"),
        (f"{GEO}/series/GSE1nnn/GSE1/suppl/GSE1_x.txt.gz?download=1#frag", "GSE1_x.txt.gz"),
        (f"{GEO}/series/GSE1nnn/GSE1/suppl/GSE1_x.txt.gz#frag?x", "GSE1_x.txt.gz"),
        (f"{GEO}/series/GSE1nnn/GSE1/suppl/", "suppl"),
        (f"{SRA}/SRX/SRX012/SRX012330/", "SRX012330"),
        (f"{SRA}/SRX/SRX012/SRX012330", "SRX012330"),
        (f"{SRA}/SRX%2FSRX476%2FSRX476344", "SRX476344"),
        (f"{SRA}/SRX%2FSRX476%2FSRX476344%2F", "SRX476344"),
        ("GSE63525_GM12878_primary+replicate.hic", "GSE63525_GM12878_primary+replicate.hic"),
        (f"{GEO}/x/GSM1_%C3%BCber.bed", "GSM1_über.bed"),
        (f"{GEO}/x/GSM1_100%.txt", "GSM1_100%.txt"),  # a stray % stays
        (r"C:\data\GSM1.CEL", "GSM1.CEL"),
        ("/local/data/GSM1.CEL\n", "GSM1.CEL"),
        ("dir/GSM1 sample.txt", "GSM1 sample.txt"),
        ("", ""),
        ("/", ""),
        ("///", ""),
        ("?a=b", ""),
    ],
)
def test_file_name(url: str, expected: str) -> None:
    assert file_name(url) == expected


NASTY = [
    "",
    " ",
    ".",
    "..",
    "...",
    "/",
    "\\",
    "a.",
    ".gz",
    "x.gz.gz",
    "x" + ".gz" * 5000,
    ".tar",
    ".tar.gz",
    "tar.gz",
    "_RAW.tar",
    "GSE_RAW.tar",
    "%",
    "%%",
    "%zz",
    "%2",
    "%2F",
    "%00",
    "%FF.bed",
    "?",
    "#",
    "?#?#",
    "a/b/../..",
    "ftp://",
    "https://ftp.ncbi.nlm.nih.gov",
    "naïve.bed",
    "файл.txt",
    "数据.CSV.GZ",
    "x.ü",
    "x.İ",
    "ﬁle.ＢＡＭ",
    "🧬.fastq.gz",
    "\x00\x01.bam",
    "tab\tname.txt",
    "line\nbreak.bed",
    "x" * 100_000,
    "a." * 50_000,
    "/" * 10_000 + "x.bed",
    "%5F" * 10_000,
    "x.fpkm_tracking_but_much_too_long_for_an_extension",
    "x.12345",
    "x.1_2",
    "x._",
    "x.__",
    "x.-",
]


@pytest.mark.parametrize("name", NASTY + [name for name, *_ in CASES])
def test_properties(name: str) -> None:
    kind = classify_file(name)
    assert isinstance(kind, FileKind)
    assert kind.category in CATEGORIES
    assert kind.format == kind.format.upper()
    assert kind.format.isascii()
    assert kind.compression in COMPRESSIONS
    assert isinstance(file_name(name), str)
    assert "/" not in file_name(name)


def test_doctests() -> None:
    result = doctest.testmod(geo_nb.files.classify)
    assert result.attempted > 0
    assert result.failed == 0
