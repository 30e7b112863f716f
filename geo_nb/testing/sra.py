"""SRA on E-utilities: ``esearch``/``efetch db=sra`` answered from recorded RunInfo rows.

Data: every ``data/sra/runinfo/*.csv`` is a recorded RunInfo body (the CSV that
``efetch db=sra rettype=runinfo`` and SRA's "RunInfo" download return). Its rows
are kept as recorded and indexed by experiment, because SRA's Entrez UIDs are
experiment-level: a term naming one run finds its experiment, and ``efetch``
returns every run of it (as the recorded grabseqs capture shows).

What the emulator generates, by code:

* UIDs: the experiment accession's number, plus 100,000,000 for ``ERX`` and
  200,000,000 for ``DRX`` (real UIDs are unrelated numbers; clients must not
  derive anything from them).
* ``esearch``: the term is ``ACC[accn]`` (also ``[ACCN]``, ``[Accession]``, or no
  tag) terms OR'ed, and ``#N`` references to earlier queries of the same WebEnv;
  an accession matches the run, experiment, study, BioProject, sample or
  BioSample of a row. The JSON follows the recorded q2-fondue bodies (count,
  translationstack with "OR", "No items found." when nothing matched).
* ``efetch rettype=runinfo``: the current 47-column header, the matching rows
  (columns a recording lacks are empty) and a blank last line, as the recorded
  bodies end.

Example:
    >>> from geo_nb.testing.store import BUNDLED_DATA
    >>> SraStore(BUNDLED_DATA).search("SRP033351")[:2]
    ['384345', '384346']
"""

from __future__ import annotations

import csv
import io
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from . import ncbijson
from .messages import Request, Response

__all__ = ["RUNINFO_HEADER", "History", "SraStore", "handle_sra"]

RUNINFO_HEADER = (  # noqa: SIM905 (the header as NCBI writes it)
    "Run,ReleaseDate,LoadDate,spots,bases,spots_with_mates,avgLength,size_MB,AssemblyName,"
    "download_path,Experiment,LibraryName,LibraryStrategy,LibrarySelection,LibrarySource,"
    "LibraryLayout,InsertSize,InsertDev,Platform,Model,SRAStudy,BioProject,Study_Pubmed_id,"
    "ProjectID,Sample,BioSample,SampleType,TaxID,ScientificName,SampleName,g1k_pop_code,source,"
    "g1k_analysis_group,Subject_ID,Sex,Disease,Tumor,Affection_Status,Analyte_Type,"
    "Histological_Type,Body_Site,CenterName,Submission,dbgap_study_accession,Consent,RunHash,"
    "ReadHash"
).split(",")
ACCESSION_COLUMNS = ("Run", "Experiment", "SRAStudy", "BioProject", "Sample", "BioSample")
JSON_TYPE = "application/json; charset=UTF-8"
_UID_OFFSET = {"S": 0, "E": 100_000_000, "D": 200_000_000}
_TERM = re.compile(r"^\s*([A-Za-z0-9_.]+)\s*(?:\[\s*(accn|accession)\s*\])?\s*$", re.I)
_HISTORY_TERM = re.compile(r"^\s*#(\d+)\s*$")


def experiment_uid(experiment: str) -> str:
    """The emulator's UID of an experiment (``SRX384345`` -> ``"384345"``)."""
    digits = re.sub(r"\D", "", experiment) or "0"
    return str(_UID_OFFSET.get(experiment[:1].upper(), 300_000_000) + int(digits))


class History(Protocol):
    """The WebEnv history the E-utilities service keeps (shared by every db)."""

    def remember(self, webenv: str, uids: list[str]) -> tuple[str, int]: ...

    def recall(self, webenv: str, query_key: str) -> list[str] | None: ...


class SraStore:
    """Recorded RunInfo rows, indexed by accession; thread-safe, extendable by tests."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, dict[str, str]] = {}  # run -> row, in load order
        self._index: dict[str, set[str]] = {}  # any accession (upper) -> experiment uids
        self._by_uid: dict[str, list[str]] = {}  # uid -> runs
        folder = (data_dir / "sra" / "runinfo") if data_dir is not None else None
        if folder is not None and folder.is_dir():
            for path in sorted(folder.glob("*.csv")):
                self.add_runinfo(path.read_text(encoding="utf-8"))

    def add_runinfo(self, text: str) -> list[str]:
        """Add the rows of a RunInfo CSV (a run already stored keeps its first row)."""
        reader = csv.DictReader(io.StringIO(text))
        added = []
        with self._lock:
            for raw in reader:
                row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
                run = row.get("Run", "")
                if not run or run in self._rows or not row.get("Experiment"):
                    continue
                self._rows[run] = row
                uid = experiment_uid(row["Experiment"])
                self._by_uid.setdefault(uid, []).append(run)
                for column in ACCESSION_COLUMNS:
                    if row.get(column):
                        self._index.setdefault(row[column].upper(), set()).add(uid)
                added.append(run)
        return added

    def remove_run(self, run: str) -> None:
        """Forget one run (its experiment stays findable through its other runs)."""
        with self._lock:
            row = self._rows.pop(run, None)
            if row is None:
                return
            uid = experiment_uid(row["Experiment"])
            self._by_uid[uid] = [r for r in self._by_uid.get(uid, []) if r != run]
            if not self._by_uid[uid]:
                for uids in self._index.values():
                    uids.discard(uid)

    def search(self, accession: str) -> list[str]:
        """UIDs of the experiments an accession names, in ascending order."""
        with self._lock:
            found = self._index.get(accession.strip().upper(), set())
            return sorted((u for u in found if self._by_uid.get(u)), key=int)

    def rows(self, uids: Iterable[str]) -> list[dict[str, str]]:
        """The rows of the runs of these experiments, in UID order then load order."""
        with self._lock:
            return [self._rows[run] for uid in uids for run in self._by_uid.get(uid, [])]

    def runs(self) -> list[dict[str, str]]:
        """Every stored row."""
        with self._lock:
            return list(self._rows.values())

    def clone(self, rename: Callable[[str], str], runs: Iterable[str]) -> None:
        """Add copies of the rows of ``runs`` with every cell passed through ``rename``."""
        out = io.StringIO()
        writer = csv.DictWriter(out, RUNINFO_HEADER, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        with self._lock:
            rows = [self._rows[r] for r in runs if r in self._rows]
        for row in rows:
            writer.writerow({k: rename(v) for k, v in row.items()})
        self.add_runinfo(out.getvalue())


def runinfo_body(rows: list[dict[str, str]]) -> str:
    """A RunInfo CSV: header, rows (quoted where needed), and a blank last line."""
    out = io.StringIO()
    writer = csv.DictWriter(out, RUNINFO_HEADER, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in RUNINFO_HEADER})
    return out.getvalue() + "\n"


def _json(value: Any) -> Response:
    return Response.text(ncbijson.dumps(value), content_type=JSON_TYPE)


def _int(request: Request, name: str, default: int) -> int:
    text = request.param(name).strip()
    return int(text) if text.isdigit() else default


def _split_or(term: str) -> list[str]:
    term = term.strip()
    while term.startswith("(") and term.endswith(")"):
        term = term[1:-1].strip()
    return [part for part in re.split(r"\s+OR\s+", term, flags=re.I) if part.strip()]


def _esearch(request: Request, store: SraStore, history: History) -> Response:
    term = request.param("term").strip()
    webenv = request.param("WebEnv")
    header = {"type": "esearch", "version": "0.3"}
    uids: set[str] = set()
    stack: list[Any] = []
    missing: list[str] = []
    for n, part in enumerate(_split_or(term)):
        reference, match = _HISTORY_TERM.match(part), _TERM.match(part)
        if reference is not None:
            found = history.recall(webenv, reference.group(1))
            if found is None:
                message = f"Unable to obtain query #{reference.group(1)}"
                return _json({"header": header, "esearchresult": {"ERROR": message}})
            label = f"#{reference.group(1)}"
        elif match is not None:
            found = store.search(match.group(1))
            label = f"{match.group(1)}[Accession]"
            if not found:
                missing.append(match.group(1))
        else:
            message = f"The NCBI emulator cannot parse the SRA term {part!r}"
            return _json({"header": header, "esearchresult": {"ERROR": message}})
        uids.update(found)
        count = str(len(found))
        stack.append({"term": label, "field": "Accession", "count": count, "explode": "N"})
        if n:
            stack.append("OR")
    ordered = sorted(uids, key=int, reverse=True)
    retstart, retmax = _int(request, "retstart", 0), _int(request, "retmax", 20)
    page = ordered[retstart : retstart + retmax]
    result: dict[str, Any] = {"count": str(len(ordered)), "retmax": str(len(page))}
    result["retstart"] = str(retstart)
    if request.param("usehistory").strip().lower() == "y":
        webenv, key = history.remember(webenv, ordered)
        result.update(querykey=str(key), webenv=webenv)
    result.update(idlist=page, translationset=[])
    if ordered:
        result["translationstack"] = stack if len(stack) > 1 else [*stack, "GROUP"]
    result["querytranslation"] = " OR ".join(e["term"] for e in stack if isinstance(e, dict))
    if not ordered:
        result["errorlist"] = {"phrasesnotfound": missing, "fieldsnotfound": []}
        result["warninglist"] = {
            "phrasesignored": [],
            "quotedphrasesnotfound": [],
            "outputmessages": ["No items found."],
        }
    return _json({"header": header, "esearchresult": result})


def _efetch(request: Request, store: SraStore, history: History) -> Response:
    rettype = request.param("rettype").strip().lower()
    if rettype != "runinfo":
        return Response.text(
            f"The NCBI emulator serves efetch db=sra rettype=runinfo only, not {rettype!r}.\n",
            status=400,
        )
    ids = [i.strip() for v in request.params("id") for i in v.split(",") if i.strip()]
    if not ids:
        recalled = history.recall(request.param("WebEnv"), request.param("query_key") or "1")
        if recalled is None:
            text = '<?xml version="1.0" encoding="UTF-8" ?>\n<eFetchResult>\n'
            text += "\t<ERROR>Cannot retrieve query from history</ERROR>\n</eFetchResult>\n"
            return Response.text(text, content_type="text/xml; charset=UTF-8")
        start, count = _int(request, "retstart", 0), _int(request, "retmax", 20)
        ids = recalled[start : start + count]
    return Response.text(runinfo_body(store.rows(ids)), content_type="text/plain; charset=UTF-8")


def handle_sra(kind: str, request: Request, store: SraStore, history: History) -> Response:
    """Answer ``esearch``/``efetch`` with ``db=sra``."""
    if kind == "esearch":
        if request.param("retmode", "xml").strip().lower() != "json":
            return Response.text(
                '<?xml version="1.0" encoding="UTF-8" ?>\n<eSearchResult><ERROR>The NCBI '
                "emulator serves retmode=json only</ERROR></eSearchResult>\n",
                content_type="text/xml; charset=UTF-8",
            )
        return _esearch(request, store, history)
    if kind == "efetch":
        return _efetch(request, store, history)
    return Response.text(
        f"The NCBI emulator serves esearch and efetch for db=sra, not {kind}.\n", status=400
    )
