"""PubTator documents <-> spaCy Docs, accounting for every mention in a ConversionReport.

A Doc's text is exactly `title + " " + abstract`. Mentions that do not line up with
tokens are widened to token boundaries (`expanded`); of overlapping mentions the longest
is kept (ties: earliest start, then first in the file) and the others are reported;
invalid mentions are reported with their reason. Everything needed to write the document
back (PMID, title length, 7th columns, relations) travels in `doc.user_data`, which
DocBin stores.
"""
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..components.sentences import set_sentence_starts
from .pubtator import PubTatorDocument, PubTatorMention, PubTatorRelation
from .report import ConversionReport

LabelMap = Optional[Dict[str, str]]


def _details(document: PubTatorDocument, m: PubTatorMention) -> dict:
    return {
        "source": document.source,
        "line": m.line_no,
        "document": document.pmid,
        "start": m.start,
        "end": m.end,
        "text": m.text,
        "type": m.type,
        "identifier": m.identifier,
    }


def _validate(document: PubTatorDocument, m: PubTatorMention, label_map: LabelMap) -> Optional[str]:
    """The reason to drop a mention before alignment, or None."""
    text = document.text
    if m.pmid != document.pmid:
        return "pmid_mismatch"
    if m.start >= m.end:
        return "empty_span"
    if m.start < 0 or m.end > len(text):
        return "offset_out_of_range"
    if text[m.start : m.end] != m.text:
        return "text_mismatch"
    if label_map is not None and m.type not in label_map:
        return "label_filtered"
    return None


def pubtator_to_docs(
    documents: Iterable[PubTatorDocument],
    nlp: Language,
    *,
    label_map: LabelMap = None,
    report: Optional[ConversionReport] = None,
) -> Iterator[Doc]:
    """Convert PubTator documents to Docs with entities and sentence boundaries.

    documents (Iterable[PubTatorDocument]): e.g. from `read_pubtator`.
    nlp (Language): supplies the tokenizer (see `make_blank_nlp`).
    label_map (Optional[Dict[str, str]]): source type -> label; None keeps every type as is.
    report (Optional[ConversionReport]): receives the outcome of every mention.
    YIELDS (Doc): one per document.
    """
    report = report if report is not None else ConversionReport()
    for document in documents:
        report.documents += 1
        report.relations_read += len(document.relations)
        doc = nlp.make_doc(document.text)
        for bad in document.malformed:
            report.add("malformed_line", source=document.source, line=bad.line_no,
                       document=document.pmid, raw=bad.line, detail=bad.reason)
        candidates: List[Tuple[Span, PubTatorMention, bool]] = []
        for m in document.mentions:
            reason = _validate(document, m, label_map)
            if reason is not None:
                report.add(reason, **_details(document, m))
                continue
            label = label_map[m.type] if label_map is not None else m.type
            span = doc.char_span(m.start, m.end, label=label, kb_id=m.identifier, alignment_mode="expand")
            if span is None or len(span) == 0:  # only whitespace inside the offsets
                report.add("empty_span", **_details(document, m))
                continue
            changed = span.start_char != m.start or span.end_char != m.end
            candidates.append((span, m, changed))
        kept = _resolve_overlaps(document, candidates, report)
        doc.ents = sorted(kept, key=lambda s: s.start)
        title_start = next((t.i for t in doc if t.idx >= len(document.title) + 1), None)
        set_sentence_starts(doc, protected=[range(s.start, s.end) for s in doc.ents])
        if title_start is not None and not any(s.start < title_start < s.end for s in doc.ents):
            doc[title_start].is_sent_start = True
        doc.user_data["pmid"] = document.pmid
        doc.user_data["title_length"] = len(document.title)
        doc.user_data["has_abstract"] = document.has_abstract
        doc.user_data["source"] = document.source
        extras = {f"{m.start}:{m.end}": m.extra for s, m, _ in candidates if m.extra is not None and s in kept}
        if extras:
            doc.user_data["pubtator_extra"] = extras
        if document.relations:
            doc.user_data["pubtator_relations"] = [[r.type, *r.args] for r in document.relations]
        yield doc


def _resolve_overlaps(
    document: PubTatorDocument,
    candidates: List[Tuple[Span, PubTatorMention, bool]],
    report: ConversionReport,
) -> List[Span]:
    """Keep the longest of overlapping spans; report the rest as overlap or duplicate."""
    order = sorted(
        range(len(candidates)),
        key=lambda i: (-(candidates[i][0].end_char - candidates[i][0].start_char), candidates[i][0].start, i),
    )
    owner: Dict[int, int] = {}  # token index -> candidate index that holds it
    kept: List[Span] = []
    for i in order:
        span, m, changed = candidates[i]
        clash = next((owner[t] for t in range(span.start, span.end) if t in owner), None)
        if clash is not None:
            winner = candidates[clash][0]
            same = (winner.start, winner.end, winner.label_) == (span.start, span.end, span.label_)
            report.add(
                "duplicate" if same else "overlap",
                **_details(document, m),
                winner={"start": winner.start_char, "end": winner.end_char, "text": winner.text,
                        "type": winner.label_, "line": candidates[clash][1].line_no},
            )
            continue
        for t in range(span.start, span.end):
            owner[t] = i
        kept.append(span)
        if changed:
            report.add("expanded", **_details(document, m), new_start=span.start_char,
                       new_end=span.end_char, new_text=span.text)
        else:
            report.add("exact")
    return kept


def docs_to_pubtator(docs: Iterable[Doc]) -> Iterator[PubTatorDocument]:
    """Docs back to PubTator documents.

    Docs converted from PubTator come back as they were read (less dropped mentions).
    Other docs (e.g. from IOB) get their index as PMID, their whole text as title and
    identifier `-1`.
    """
    for i, doc in enumerate(docs):
        data = doc.user_data
        pmid = str(data.get("pmid", i))
        title_length = data.get("title_length")
        if title_length is None:
            title, abstract, has_abstract = doc.text, "", False
        else:
            title, abstract = doc.text[:title_length], doc.text[title_length + 1 :]
            has_abstract = bool(data.get("has_abstract", True))
        extras = data.get("pubtator_extra", {})
        from_pubtator = "pmid" in data
        mentions = [
            PubTatorMention(
                pmid=pmid,
                start=ent.start_char,
                end=ent.end_char,
                text=ent.text,
                type=ent.label_,
                identifier=ent.kb_id_ if from_pubtator else (ent.kb_id_ or "-1"),
                extra=extras.get(f"{ent.start_char}:{ent.end_char}"),
            )
            for ent in doc.ents
        ]
        relations = [
            PubTatorRelation(pmid=pmid, type=rel[0], args=tuple(rel[1:]))
            for rel in data.get("pubtator_relations", [])
        ]
        yield PubTatorDocument(pmid, title, abstract, mentions, relations, [], has_abstract=has_abstract)
