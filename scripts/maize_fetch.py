"""Export PubTator3 annotations of a PMID list into a PubTator file, resumable from a batch cache."""
from pathlib import Path

import typer
from wasabi import msg

from spacy_maize_ner.pubtator3.client import PUBTATOR3_URL, PubTator3Client
from spacy_maize_ner.pubtator3.pmids import read_pmids
from spacy_maize_ner.pubtator3.transport import TransportError
from spacy_maize_ner.study.workflow.maize import export_pubtator
from spacy_maize_ner.cli_errors import run_script


def main(
    pmids: Path = typer.Argument(..., help="PMID list, one or more per line"),
    output: Path = typer.Argument(..., help="PubTator file to write, alone in its folder (provenance.json goes beside it)"),
    summary: Path = typer.Option(Path("assets/maize/export/summary.json"), "--summary", help="Summary JSON; filtered mentions go to the .jsonl beside it"),
    cache: Path = typer.Option(Path("assets/maize/cache"), "--cache", help="One file per exported batch; a rerun resumes from it"),
    url: str = typer.Option(PUBTATOR3_URL, "--url", help="PubTator3 API root"),
    types: str = typer.Option("Gene", "--types", help="Entity types to keep, comma-separated; '' keeps all"),
    species: str = typer.Option("4577", "--species", help="NCBI Taxonomy id gene mentions must carry (4577: maize); '' for no filter"),
    unknown: str = typer.Option("keep", "--unknown-species", help="keep or drop gene mentions whose species is unknown"),
    batch_size: int = typer.Option(100, "--batch-size", help="PMIDs per request (at most 100)"),
    rate: float = typer.Option(3.0, "--rate", help="Requests per second at most (PubTator3 asks for <= 3)"),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds to wait for a response"),
    max_retries: int = typer.Option(5, "--max-retries", help="Retries per request on 429, 5xx, timeouts, truncated responses"),
    backoff: float = typer.Option(1.0, "--backoff", help="First retry delay in seconds; doubles each retry"),
) -> None:
    try:
        client = PubTator3Client(url, rate=rate, cache_dir=cache, batch_size=batch_size, timeout=timeout,
                                 max_retries=max_retries, backoff=backoff)
        type_list = [t.strip() for t in types.split(",") if t.strip()]
        result = export_pubtator(client, read_pmids(pmids), output, types=type_list, species=species or None,
                                 unknown=unknown, summary_path=summary, origin=f"PMID list {pmids}")
    except (FileNotFoundError, ValueError, TransportError) as err:
        msg.fail(str(err), exits=1)
    msg.good(
        f"{result['received']} of {result['requested']} PMIDs received ({len(result['missing'])} missing); "
        f"{result['batches_fetched']} batches fetched, {result['batches_cached']} from the cache -> {output}"
    )
    f = result["filter"]
    msg.text(f"mentions: {f['mentions_read']} read, {f['mentions_kept']} kept {f['kept']}, {f['mentions_dropped']} dropped {f['dropped']}")
    if result["missing"]:
        msg.warn(f"Not in PubTator3: {', '.join(result['missing'][:20])}" + (" ..." if len(result["missing"]) > 20 else ""))
    msg.text(f"Summary: {summary}; filtered mentions: {result['records']}")


if __name__ == "__main__":
    run_script(main)
