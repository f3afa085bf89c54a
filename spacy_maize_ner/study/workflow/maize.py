"""The maize corpus path: PMIDs (a list, a search query or a gene table) -> PubTator3 export.

`resolve_pmids` picks the PMID source, `export_pubtator` exports, filters (types,
species) and writes a PubTator file that `build_corpus` converts like any folder, plus
`provenance.json` beside it (the annotations are PubTator3's, machine-made: silver), a
summary JSON and a JSONL record of every mention filtered out or kept with an unknown
species.
"""
import datetime
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import srsly

from ...lexicon.genes import build_lexicon, lexicon_entries, read_gene_table, table_pmids, write_lexicon
from ...pubtator3.client import PubTator3Client
from ...pubtator3.pmids import read_pmids
from ...pubtator3.species import KEPT, DROPPED, filter_documents
from ...corpus.pubtator import write_pubtator

SILVER_NOTE = (
    "machine annotations by PubTator3's taggers (silver): scores against them measure agreement "
    "with PubTator3, not with human annotators"
)


def resolve_pmids(
    *,
    pmids_file: Optional[Path] = None,
    query: str = "",
    genes: Optional[Path] = None,
    client: Optional[PubTator3Client] = None,
    max_pages: int = 10,
    pmid_column: str = "pmid",
    symbol_column: str = "gene_symbol",
    synonym_column: Optional[str] = None,
    lexicon_path: Optional[Path] = None,
) -> Tuple[List[str], str]:
    """The PMIDs to export: from a search query if given, else a gene table, else a PMID file.

    lexicon_path (Optional[Path]): where to write the gene table's lexicon (an empty file
        when there is no gene table, so that the workflow output always exists); the
        terms skipped go to `lexicon_skipped.jsonl` beside it.
    RETURNS (Tuple[List[str], str]): the PMIDs and a description of their origin.
    """
    terms: list = []
    skipped: list = []
    if genes:
        records = read_gene_table(genes, pmid_column=pmid_column, symbol_column=symbol_column, synonym_column=synonym_column)
        terms, skipped = build_lexicon(lexicon_entries(records))
    if query.strip():
        if client is None:
            raise ValueError("A search query needs a PubTator3 client.")
        pmids, origin = client.search(query, max_pages=max_pages), f"PubTator3 search {query!r}"
    elif genes:
        pmids, origin = table_pmids(records), f"gene table {genes}"
    elif pmids_file:
        pmids, origin = read_pmids(pmids_file), f"PMID list {pmids_file}"
    else:
        raise ValueError("No PMID source: give a PMID file, a search query or a gene table.")
    if lexicon_path is not None:
        write_lexicon(terms, lexicon_path)
        srsly.write_jsonl(Path(lexicon_path).with_name("lexicon_skipped.jsonl"), [t._asdict() for t in skipped])
    return pmids, origin


def export_pubtator(
    client: PubTator3Client,
    pmids: Sequence[str],
    output: Path,
    *,
    types: Sequence[str] = ("Gene",),
    species: Optional[str] = None,
    unknown: str = "keep",
    summary_path: Optional[Path] = None,
    origin: str = "",
) -> Dict:
    """Export PMIDs, filter their mentions and write PubTator, provenance and reports.

    output (Path): the PubTator file, alone in its folder (e.g.
        assets/maize/pubtator/maize.pubtator); `provenance.json` goes beside it.
    summary_path (Optional[Path]): the summary JSON; the records go beside it (.jsonl).
    RETURNS (Dict): the summary: the export's (requested, received, missing PMIDs,
        batches, requests, retries) and the filter's (mentions read, kept, dropped by reason).
    """
    result = client.export(pmids, types=types)
    documents, report = filter_documents(result.documents, types=types, species=species, unknown=unknown)
    output = Path(output)
    write_pubtator(documents, output)
    summary = {
        **result.summary,
        "pmid_origin": origin,
        "species": species,
        "unknown_species": unknown,
        "filter": report.summary(),
        "filter_reasons": {**KEPT, **DROPPED},
        "output": str(output),
        "annotation": "silver",
    }
    provenance = {
        "annotation": "silver",
        "source": f"PubTator3 export ({client.base_url}) of {len(pmids)} PMIDs from {origin or 'a PMID list'}",
        "annotator": "PubTator3 (automatic taggers)",
        "note": SILVER_NOTE,
        "types": list(types),
        "species": species,
        "date": datetime.date.today().isoformat(),
    }
    srsly.write_json(output.parent / "provenance.json", provenance)
    if summary_path is not None:
        summary_path = Path(summary_path)
        summary_path.parent.mkdir(parents=True, exist_ok=True)
        records_path = summary_path.with_suffix(".jsonl")
        summary["records"] = str(records_path)
        srsly.write_json(summary_path, summary)
        srsly.write_jsonl(records_path, report.records)
    return summary
