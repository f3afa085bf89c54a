"""PubTator documents <-> spaCy Docs, accounting for every mention in a ConversionReport.

A Doc's text is exactly `title + " " + abstract`, tokenised by the pipeline given
(`make_blank_nlp`: BioTokenizer). Its sentence boundaries come from the pipeline's
components (the `sentencizer`), with the title always a sentence of its own and no
boundary inside an entity.

Each mention is checked, in this order: its PMID is the document's (`pmid_mismatch`),
start < end (`empty_span`), the offsets lie inside the text (`offset_out_of_range`), the
mention text is the document text at the offsets (`text_mismatch`), its type is selected
(`label_filtered`). Whitespace at either end of the offsets is trimmed (`trimmed`, kept),
so that a mention starting on a space does not outrank the exact mention of the same
gene. It is then aligned to tokens; offsets inside a token are widened to the token
boundaries (`expanded`, kept). Of mentions that overlap after alignment the
longest is kept (ties: earliest start, then a mention not changed, then the first in the
file); the others are `duplicate` (same tokens and label as the kept one) or `overlap`.

`doc.user_data` carries what writing the document back needs (msgpack-able, so DocBin
keeps it with `store_user_data=True`): "pmid", "title_length" (characters),
"has_abstract", "pubtator_extra" ({"start:end": 7th column} of kept mentions, by their
offsets in the Doc), "pubtator_relations" ([[type, id1, id2, *extra], ...]) and, for
relations whose PMID is not the document's, "pubtator_relation_pmids" ({"index": PMID}):
such a relation is kept under its own PMID and listed in the report
(`relation_pmid_mismatches`).
"""
from typing import Any, Dict, Iterable, Iterator, List, NamedTuple, Optional

from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

from ..components.sentences import apply_sentence_starts
from .pubtator import PubTatorDocument, PubTatorMention, relations_from_data, relations_to_data
from .report import ConversionReport

LabelMap = Optional[Dict[str, str]]


class DocumentTooLongError(ValueError):
    """A document longer than `nlp.max_length`; names file, line, PMID and the option."""

    def __init__(self, document: PubTatorDocument, max_length: int) -> None:
        self.document, self.max_length = document, max_length
        super().__init__(
            f"{document.source}:{document.line_no}: document {document.pmid} has {len(document.text):,} "
            f"characters, more than the limit of {max_length:,} (nlp.max_length). Convert it with a higher "
            f"limit, e.g. --max-length {len(document.text) + 1}: the converter only tokenises, which "
            "needs little memory; or split the document."
        )


class _Candidate(NamedTuple):
    """A valid mention aligned to tokens, before overlaps are resolved."""

    span: Span
    mention: PubTatorMention
    order: int  # position among the document's mentions
    trimmed: bool = False  # the offsets included whitespace around the mention
    start_char: int = 0  # the span's character offsets, read once (each read makes Tokens)
    end_char: int = 0

    @property
    def changed(self) -> bool:
        return (self.start_char, self.end_char) != (self.mention.start, self.mention.end)


def pubtator_to_docs(
    documents: Iterable[PubTatorDocument],
    nlp: Language,
    *,
    label_map: LabelMap = None,
    report: Optional[ConversionReport] = None,
) -> Iterator[Doc]:
    """Convert PubTator documents to Docs with entities and sentence boundaries.

    documents (Iterable[PubTatorDocument]): e.g. from `read_pubtator`.
    nlp (Language): tokenizer and sentence-setting components (`make_blank_nlp()`).
    label_map (Optional[Dict[str, str]]): source type -> entity label; types not in it
        are dropped as `label_filtered`. None keeps every type under its own name.
    report (Optional[ConversionReport]): receives the outcome of every mention.
    YIELDS (Doc): one per document, in order.
    """
    report = report if report is not None else ConversionReport()
    for document in documents:
        if document.source:
            report.add_input(document.source)
        report.documents += 1
        report.relations_read += len(document.relations)
        text = document.text  # built once: a property that joins title and abstract
        if len(text) > nlp.max_length:
            raise DocumentTooLongError(document, nlp.max_length)
        doc = nlp.tokenizer(text)  # the length is checked above, naming the document
        for _, proc in nlp.pipeline:  # the sentencizer; entities are set below
            doc = proc(doc)
        for bad in document.malformed:
            report.add(
                "malformed_line", source=document.source, line=bad.line_no, doc_id=document.pmid,
                raw=bad.line, problem=bad.problem,
            )
        for relation in document.relations:
            if relation.pmid != document.pmid:
                report.relation_pmid_mismatches.append({
                    "source": document.source, "line": relation.line_no, "doc_id": document.pmid,
                    "pmid": relation.pmid, "type": relation.type, "id1": relation.id1, "id2": relation.id2,
                })
        candidates: List[_Candidate] = []
        for order, mention in enumerate(document.mentions):
            reason = _invalid_reason(document, text, mention, label_map)
            if reason is None:
                label = label_map[mention.type] if label_map is not None else mention.type
                start, end = _trim(text, mention.start, mention.end)
                span = None if start >= end else doc.char_span(
                    start, end, label=label, kb_id=mention.identifier, alignment_mode="expand"
                )
                if span is not None:
                    span_start, span_end = span.start_char, span.end_char
                if span is None or not text[span_start:span_end].strip():
                    reason = "empty_span"  # only whitespace between the offsets
                else:
                    trimmed = (start, end) != (mention.start, mention.end)
                    candidates.append(_Candidate(span, mention, order, trimmed, span_start, span_end))
            if reason is not None:
                report.add(reason, **_record(document, mention))
        kept = _resolve_overlaps(document, candidates, report)
        doc.ents = [c.span for c in kept]
        _set_sentence_starts(doc, len(document.title), document.has_abstract)
        doc.user_data.update(_user_data(document, kept))
        yield doc


def _trim(text: str, start: int, end: int) -> "tuple[int, int]":
    """The offsets without the whitespace at either end of the mention."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _invalid_reason(document: PubTatorDocument, text: str, m: PubTatorMention, label_map: LabelMap) -> Optional[str]:
    """The reason to drop a mention before alignment, or None (`text`: `document.text`)."""
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


def _record(document: PubTatorDocument, m: PubTatorMention, **more: Any) -> Dict[str, Any]:
    """The report record of a mention: where it was read and what it said."""
    return {
        "source": document.source,
        "line": m.line_no,
        "doc_id": document.pmid,
        "pmid": m.pmid,
        "start": m.start,
        "end": m.end,
        "text": m.text,
        "type": m.type,
        "identifier": m.identifier,
        **more,
    }


def _resolve_overlaps(
    document: PubTatorDocument, candidates: List[_Candidate], report: ConversionReport
) -> List[_Candidate]:
    """Keep the longest of overlapping spans and report every candidate's outcome.

    RETURNS (List[_Candidate]): the kept candidates, by position in the text.
    """
    ranked = sorted(
        candidates,
        key=lambda c: (-(c.end_char - c.start_char), c.start_char, c.changed, c.order),
    )
    owner: Dict[int, _Candidate] = {}  # token index -> kept candidate covering it
    kept: List[_Candidate] = []
    for cand in ranked:
        span = cand.span
        winner = next((owner[i] for i in range(span.start, span.end) if i in owner), None)
        if winner is not None:
            w = winner.span
            same = (w.start, w.end, w.label_) == (span.start, span.end, span.label_)
            report.add(
                "duplicate" if same else "overlap",
                **_record(document, cand.mention, new_start=cand.start_char, new_end=cand.end_char),
                winner={
                    "line": winner.mention.line_no, "start": w.start_char, "end": w.end_char,
                    "text": w.text, "type": winner.mention.type, "identifier": winner.mention.identifier,
                },
            )
            continue
        for i in range(span.start, span.end):
            owner[i] = cand
        kept.append(cand)
        if cand.changed:
            trimmed_only = cand.trimmed and span.text == cand.mention.text.strip()
            report.add(
                "trimmed" if trimmed_only else "expanded",
                **_record(document, cand.mention, new_start=span.start_char, new_end=span.end_char, new_text=span.text),
            )
        else:
            report.add("exact")
    return sorted(kept, key=lambda c: c.span.start)


def _set_sentence_starts(doc: Doc, title_length: int, has_abstract: bool) -> None:
    """Make the title a sentence of its own and clear boundaries inside entities.

    The boundaries the pipeline set are read and written back in one array operation
    each, so this is linear in the document's length.
    """
    if len(doc) == 0:
        return
    starts = [t == 1 for t in doc.to_array([SENT_START]).astype("int64").ravel()]
    starts[0] = True
    if has_abstract:
        first = next((t.i for t in doc if t.idx > title_length and t.text.strip()), None)
        if first is not None:
            starts[first] = True
    for ent in doc.ents:
        for i in range(ent.start + 1, ent.end):
            starts[i] = False
    apply_sentence_starts(doc, starts)


def _user_data(document: PubTatorDocument, kept: List[_Candidate]) -> Dict[str, Any]:
    data: Dict[str, Any] = {
        "pmid": document.pmid,
        "title_length": len(document.title),
        "has_abstract": document.has_abstract,
    }
    extra = {f"{c.start_char}:{c.end_char}": c.mention.extra for c in kept if c.mention.extra is not None}
    if extra:
        data["pubtator_extra"] = extra
    data.update(relations_to_data(document))
    return data


def docs_to_pubtator(docs: Iterable[Doc]) -> Iterator[PubTatorDocument]:
    """Docs back to PubTator documents, for `write_pubtator`.

    Docs from `pubtator_to_docs` come back as they were read, less the dropped mentions
    and with widened ones at their new offsets: the identity on well-formed input. Other
    Docs (e.g. from IOB) get their index in `docs` as PMID, their whole text as title,
    no abstract line, and identifier `kb_id_` or `-1`.
    docs (Iterable[Doc]): the Docs.
    YIELDS (PubTatorDocument): one per Doc.
    """
    for i, doc in enumerate(docs):
        data = doc.user_data
        from_pubtator = "pmid" in data and "title_length" in data
        if from_pubtator:
            pmid = str(data["pmid"])
            title_length = int(data["title_length"])
            title, abstract = doc.text[:title_length], doc.text[title_length + 1 :]
            has_abstract = bool(data.get("has_abstract", True))
        else:
            pmid, title, abstract, has_abstract = str(i), doc.text, "", False
        extra = data.get("pubtator_extra", {}) if from_pubtator else {}
        mentions = [
            PubTatorMention(
                pmid=pmid,
                start=ent.start_char,
                end=ent.end_char,
                text=ent.text,
                type=ent.label_,
                identifier=ent.kb_id_ if from_pubtator else (ent.kb_id_ or "-1"),
                extra=extra.get(f"{ent.start_char}:{ent.end_char}"),
            )
            for ent in doc.ents
        ]
        relations = relations_from_data(pmid, data) if from_pubtator else []
        yield PubTatorDocument(pmid, title, abstract, mentions, relations, has_abstract=has_abstract)
