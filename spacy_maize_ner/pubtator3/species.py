"""Keep the mentions of selected types, and of gene mentions those of one species.

Every mention read is kept or listed with a reason (`FilterReport`).

Type filter: a mention whose type is not in `types` is dropped as `type_not_selected`.

Species filter (`species` = an NCBI Taxonomy id, e.g. "4577" for maize), applied to
mentions of the `species_types` (Gene). A mention's species is taken from, in order:

1. its identifier or 7th column, when it carries a taxonomy hint: `Tax:4577`,
   `TaxID:4577`, `NCBITaxon:4577` or `taxonomy:4577`, case-insensitive, anywhere in the
   field (e.g. GNormPlus-style `542150(Tax:4577)`, or `542150;Tax:4577`). A plain NCBI Gene
   id such as `542150` carries no species;
2. otherwise the Species mentions of the same document (type `Species`, identifier a
   taxonomy id, bare or with one of the prefixes above): if they name exactly one taxon,
   that is the gene's species.

Outcomes: the species is the selected one (kept: `species_identifier` or
`species_document`); it is another one (dropped: `species_mismatch`, also when the
document's Species mentions name only other taxa); it is unknown (no hint, no Species
mention, or several taxa of which one is the selected one): `unknown="keep"` keeps it
and counts it as `species_unknown_kept`, listed in the records; `unknown="drop"` drops it
as `species_unknown`.
"""
import re
from collections import Counter
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ..corpus.pubtator import PubTatorDocument, PubTatorMention

TAX_HINT = re.compile(r"(?:tax(?:id)?|ncbitaxon|taxonomy)\s*:\s*(\d+)", re.IGNORECASE)
BARE_TAXON = re.compile(r"^\s*(\d+)\s*$")
KEPT = {
    "selected_type": "type selected, no species filter (or not a gene type)",
    "species_identifier": "identifier names the selected species",
    "species_document": "the document's Species mentions name only the selected species",
    "species_unknown_kept": "species unknown; kept (unknown=keep)",
}
DROPPED = {
    "type_not_selected": "type not among the selected types",
    "species_mismatch": "identifier or the document's Species mentions name another species",
    "species_unknown": "species unknown; dropped (unknown=drop)",
}


class FilterReport:
    """Counts of every mention's outcome, and a record of each one not plainly kept."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.records: List[Dict[str, Any]] = []

    def add(self, outcome: str, mention: PubTatorMention, **details: Any) -> None:
        self.counts[outcome] += 1
        if outcome not in ("selected_type", "species_identifier", "species_document"):
            self.records.append({
                "reason": outcome, "kept": outcome in KEPT, "pmid": mention.pmid, "start": mention.start,
                "end": mention.end, "text": mention.text, "type": mention.type,
                "identifier": mention.identifier, **details,
            })

    def summary(self) -> Dict[str, Any]:
        kept = {k: self.counts[k] for k in KEPT}
        dropped = {k: self.counts[k] for k in DROPPED}
        return {
            "mentions_read": sum(self.counts.values()),
            "mentions_kept": sum(kept.values()),
            "mentions_dropped": sum(dropped.values()),
            "kept": kept,
            "dropped": dropped,
        }


def taxa_in(field: Optional[str]) -> Set[str]:
    """field (Optional[str]): an identifier or 7th column. RETURNS (Set[str]): taxonomy ids hinted."""
    return {m.group(1) for m in TAX_HINT.finditer(field or "")}


def document_taxa(document: PubTatorDocument, species_type: str = "Species") -> Set[str]:
    """RETURNS (Set[str]): taxonomy ids of the document's Species mentions."""
    found: Set[str] = set()
    for m in document.mentions:
        if m.type == species_type:
            for part in re.split(r"[|;,]", m.identifier):
                bare = BARE_TAXON.match(part)
                found |= {bare.group(1)} if bare else taxa_in(part)
    return found


def mention_species(mention: PubTatorMention, doc_taxa: Set[str], species: str) -> Tuple[str, str]:
    """RETURNS (Tuple[str, str]): the outcome (before the unknown policy) and its evidence."""
    hinted = taxa_in(mention.identifier) | taxa_in(mention.extra)
    if hinted:
        if species in hinted:
            return "species_identifier", f"identifier taxa {sorted(hinted)}"
        return "species_mismatch", f"identifier taxa {sorted(hinted)}"
    if doc_taxa == {species}:
        return "species_document", f"document species {sorted(doc_taxa)}"
    if doc_taxa and species not in doc_taxa:
        return "species_mismatch", f"document species {sorted(doc_taxa)}"
    evidence = f"document species {sorted(doc_taxa)}" if doc_taxa else "no taxonomy hint and no Species mention"
    return "species_unknown", evidence


def filter_documents(
    documents: Iterable[PubTatorDocument],
    *,
    types: Sequence[str] = ("Gene",),
    species: Optional[str] = None,
    unknown: str = "keep",
    species_types: Sequence[str] = ("Gene",),
    report: Optional[FilterReport] = None,
) -> Tuple[List[PubTatorDocument], FilterReport]:
    """Filter each document's mentions by type and, for gene types, by species.

    documents (Iterable[PubTatorDocument]): e.g. from `PubTator3Client.export`.
    types (Sequence[str]): types to keep; empty keeps every type.
    species (Optional[str]): NCBI Taxonomy id to keep (e.g. "4577"); None: no filter.
    unknown (str): "keep" or "drop" mentions whose species is unknown.
    species_types (Sequence[str]): the types the species filter applies to.
    RETURNS (Tuple[List[PubTatorDocument], FilterReport]): documents with the kept
        mentions (all documents, even those left without mentions), and the report.
    """
    if unknown not in ("keep", "drop"):
        raise ValueError(f"Invalid unknown-species policy {unknown!r}: use 'keep' or 'drop'.")
    if species is not None and not str(species).isdigit():
        raise ValueError(f"Invalid species {species!r}: give an NCBI Taxonomy id such as 4577 (maize), or none.")
    report = report if report is not None else FilterReport()
    out = []
    for document in documents:
        doc_taxa = document_taxa(document) if species else set()
        kept: List[PubTatorMention] = []
        for m in document.mentions:
            if types and m.type not in types:
                report.add("type_not_selected", m)
                continue
            if not species or m.type not in species_types:
                report.add("selected_type", m)
                kept.append(m)
                continue
            outcome, evidence = mention_species(m, doc_taxa, str(species))
            if outcome == "species_unknown" and unknown == "keep":
                outcome = "species_unknown_kept"
            report.add(outcome, m, evidence=evidence)
            if outcome in KEPT:
                kept.append(m)
        out.append(document._replace(mentions=kept))
    return out, report
