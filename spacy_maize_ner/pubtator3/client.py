"""Export PubTator title/abstract annotations of PMIDs, and search PMIDs, via PubTator3.

Endpoints (under `base_url`, by default PubTator3's public API):

- `GET {base}/publications/export/pubtator?pmids=1,2,3`: PubTator text (`PMID|t|title`,
  `PMID|a|abstract`, mention lines, a blank line between documents); PMIDs PubTator3
  does not have are simply absent.
- `GET {base}/search/?text=QUERY&page=N`: JSON `{"results": [{"pmid": ...}, ...],
  "total_pages": N, ...}`.

An export asks for at most 100 PMIDs per request, through a `Transport` (rate limit,
retries) and a `BatchCache` (a batch already on disk is never fetched again). A response
is accepted, and cached, only when it is complete (`check_export`).
"""
import json
import sys
import urllib.parse
from pathlib import Path
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Union

from ..corpus.pubtator import PubTatorDocument, PubTatorFormatError, parse_pubtator
from .cache import BatchCache, batch_key
from .ratelimit import RateLimiter
from .transport import IncompleteResponse, Transport

PUBTATOR3_URL = "https://www.ncbi.nlm.nih.gov/research/pubtator3-api"
MAX_BATCH = 100


class ExportResult(NamedTuple):
    """The documents of an export and what happened to each requested PMID."""

    documents: List[PubTatorDocument]
    summary: Dict


def check_export(body: str, requested: Sequence[str] = ()) -> List[PubTatorDocument]:
    """Parse an export response, raising `IncompleteResponse` when it looks cut off.

    Rejected: a non-empty body that does not end with a line end (cut mid-line), a
    structure `parse_pubtator` cannot read (e.g. an HTML error page), a document without
    its `|a|` line (cut after the title), an annotation line that cannot be read (cut
    mid-line). A body cut exactly at a line end after a complete annotation line cannot
    be told from a complete one; the converter still checks every mention's text.
    body (str): the response text.
    requested (Sequence[str]): the batch's PMIDs (used in messages only).
    RETURNS (List[PubTatorDocument]): the documents, in response order.
    """
    if body.strip() and not body.endswith("\n"):
        raise IncompleteResponse(f"the body ends mid-line: {body[-60:]!r}")
    try:
        documents = list(parse_pubtator(body.split("\n"), source="PubTator3 export"))
    except PubTatorFormatError as err:
        raise IncompleteResponse(f"not PubTator text: {err}") from None
    for doc in documents:
        if not doc.has_abstract:
            raise IncompleteResponse(f"PMID {doc.pmid} has a title line but no abstract line")
        if doc.malformed:
            bad = doc.malformed[0]
            raise IncompleteResponse(f"PMID {doc.pmid} has an unreadable annotation line {bad.line!r}")
    return documents


def batches(pmids: Sequence[str], size: int) -> List[List[str]]:
    """pmids cut into consecutive batches of at most `size` (1..100)."""
    if not 1 <= size <= MAX_BATCH:
        raise ValueError(f"Invalid batch size {size}: PubTator3 takes 1 to {MAX_BATCH} PMIDs per request.")
    return [list(pmids[i : i + size]) for i in range(0, len(pmids), size)]


class PubTator3Client:
    """PubTator3 export and search.

    base_url (str): the API root; tests point it at a local server.
    rate (float): requests per second at most (PubTator3 asks for at most 3).
    cache_dir (Optional[Union[str, Path]]): one file per exported batch; None: no cache.
    batch_size (int): PMIDs per export request, at most 100.
    timeout, max_retries, backoff, max_backoff: see `Transport`.
    progress (bool): show a progress bar over batches on stderr.
    """

    def __init__(
        self,
        base_url: str = PUBTATOR3_URL,
        *,
        rate: float = 3.0,
        cache_dir: Optional[Union[str, Path]] = None,
        batch_size: int = MAX_BATCH,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        progress: bool = True,
        limiter: Optional[RateLimiter] = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        batches([], batch_size)  # validates the size
        self.batch_size = batch_size
        self.limiter = limiter or RateLimiter(rate)
        self.transport = Transport(
            self.limiter, timeout=timeout, max_retries=max_retries, backoff=backoff, max_backoff=max_backoff
        )
        self.cache = BatchCache(cache_dir) if cache_dir is not None else None
        self.progress = progress

    def export_url(self, pmids: Iterable[str]) -> str:
        return f"{self.base_url}/publications/export/pubtator?pmids={','.join(pmids)}"

    def export(self, pmids: Iterable[str], types: Sequence[str] = ("Gene",)) -> ExportResult:
        """Export the PubTator annotations of PMIDs, batch by batch, resuming from the cache.

        pmids (Iterable[str]): PubMed ids (`read_pmids`); duplicates are asked for once.
        types (Sequence[str]): the entity types the export is for (part of the cache key;
            the filter itself is `species.filter_documents`).
        RETURNS (ExportResult): the documents in batch order, and a summary: `requested`,
            `received`, `missing` and `unrequested` PMIDs, `batches`, `batches_fetched`,
            `batches_cached`, `requests` and `retries` by outcome.
        """
        from tqdm import tqdm

        raw = [str(p).strip() for p in pmids]
        unique = list(dict.fromkeys(raw))
        documents: List[PubTatorDocument] = []
        fetched = cached = 0
        start_attempts = len(self.transport.attempts)
        parts = batches(unique, self.batch_size)
        bar = tqdm(parts, desc="PubTator3 export", unit="batch", file=sys.stderr, disable=not self.progress)
        for batch in bar:
            key = batch_key(batch, types)
            body = self.cache.get(key) if self.cache is not None else None
            if body is not None:
                cached += 1
                batch_docs = check_export(body, batch)
            else:
                url = self.export_url(batch)
                body_docs = self.transport.get(url, lambda text, b=batch: (text, check_export(text, b)))
                body, batch_docs = body_docs
                if self.cache is not None:
                    self.cache.put(key, body)
                fetched += 1
            documents.extend(batch_docs)
            bar.set_postfix(docs=len(documents), cached=cached)
        attempts = self.transport.attempts[start_attempts:]
        received = list(dict.fromkeys(d.pmid for d in documents))
        got, asked = set(received), set(unique)
        summary = {
            "requested": len(unique),
            "received": len(got & asked),
            "missing": [p for p in unique if p not in got],
            "unrequested": [p for p in received if p not in asked],
            "duplicates_in_input": len(raw) - len(unique),
            "batches": len(parts),
            "batch_size": self.batch_size,
            "batches_fetched": fetched,
            "batches_cached": cached,
            "requests": len(attempts),
            "retries": _count(a.outcome for a in attempts if a.outcome != "ok"),
            "base_url": self.base_url,
            "types": list(types),
        }
        return ExportResult(documents, summary)

    def search(self, query: str, *, max_pages: int = 10) -> List[str]:
        """PMIDs of a PubTator3 literature search, in result order, pages 1..max_pages.

        query (str): the search text, as typed on PubTator3's page.
        max_pages (int): stop after this many pages (PubTator3 returns 10 results a page).
        RETURNS (List[str]): the PMIDs, each once.
        """
        if not query.strip():
            raise ValueError("Empty search query: give --query TEXT or a PMID file.")
        pmids: List[str] = []
        page, total = 1, 1
        while page <= min(total, max_pages):
            url = f"{self.base_url}/search/?text={urllib.parse.quote(query)}&page={page}"
            data = self.transport.get(url, _check_search)
            pmids.extend(str(item["pmid"]) for item in data.get("results", []) if item.get("pmid"))
            total = int(data.get("total_pages") or 1)
            page += 1
        return list(dict.fromkeys(pmids))


def _check_search(body: str) -> Dict:
    try:
        data = json.loads(body)
    except json.JSONDecodeError as err:
        raise IncompleteResponse(f"search response is not complete JSON ({err})") from None
    if not isinstance(data, dict) or not isinstance(data.get("results", []), list):
        raise IncompleteResponse("search response has no 'results' list")
    return data


def _count(outcomes: Iterable[str]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
