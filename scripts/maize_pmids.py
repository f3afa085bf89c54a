"""Resolve the PMIDs of the maize corpus: a search query, else a gene table, else a PMID list."""
from pathlib import Path
from typing import Optional

import typer
from wasabi import msg

from spacy_maize_ner.pubtator3.client import PUBTATOR3_URL, PubTator3Client
from spacy_maize_ner.pubtator3.pmids import write_pmids
from spacy_maize_ner.study.workflow.maize import resolve_pmids
from spacy_maize_ner.cli_errors import run_script


def main(
    output: Path = typer.Argument(..., help="Where to write the PMID list, one per line"),
    pmids: str = typer.Option("", "--pmids", help="A PMID list (one or more per line, '#' comments); used when no query or gene table is given"),
    query: str = typer.Option("", "--query", help="PubTator3 literature search text; its result PMIDs are used"),
    genes: str = typer.Option("", "--genes", help="CSV/TSV gene table: its PMIDs are used and its symbols become a lexicon"),
    lexicon: Path = typer.Option(Path("assets/maize/export/lexicon.jsonl"), "--lexicon", help="Lexicon JSONL written from --genes (empty without it)"),
    pmid_column: str = typer.Option("pmid", "--pmid-column", help="Gene table column holding PMIDs"),
    symbol_column: str = typer.Option("gene_symbol", "--symbol-column", help="Gene table column holding gene symbols"),
    synonym_column: Optional[str] = typer.Option(None, "--synonym-column", help="Gene table column of synonyms (';' or '|' separated)"),
    url: str = typer.Option(PUBTATOR3_URL, "--url", help="PubTator3 API root (for --query)"),
    max_pages: int = typer.Option(10, "--max-pages", help="Search result pages to read (10 PMIDs a page)"),
    rate: float = typer.Option(3.0, "--rate", help="Requests per second at most"),
) -> None:
    client = PubTator3Client(url, rate=rate, progress=False) if query.strip() else None
    try:
        found, origin = resolve_pmids(
            pmids_file=Path(pmids) if pmids else None, query=query, genes=Path(genes) if genes else None,
            client=client, max_pages=max_pages, pmid_column=pmid_column, symbol_column=symbol_column,
            synonym_column=synonym_column, lexicon_path=lexicon,
        )
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        msg.fail(str(err), exits=1)
    write_pmids(found, output)
    msg.good(f"{len(found)} PMIDs from {origin} -> {output}" + (f"; lexicon -> {lexicon}" if genes else ""))


if __name__ == "__main__":
    run_script(main)
