"""`spacy_maize_ner.sentence_spans.v1`: the encoder reads each sentence once.

spacy-transformers' `strided_spans.v1` (window 128, stride 96, counted in spaCy tokens) cuts
a document into overlapping windows, so the encoder reads about a quarter of every abstract
twice. This span getter gives the encoder the document's sentences instead, each read once,
when each fits the window; a sentence longer than `window` tokens, and a Doc without
sentence boundaries (BC2GM's one-sentence training docs, a text from `nlp.make_doc`), falls
back to the same strided windows as before. The bound is in spaCy tokens, as the strided
getter's: a sentence span is never longer than a window of today's, so it fits wherever
the windows fit (128 tokens are at most a few hundred wordpieces; MiniLM takes 512).

spacy-transformers pads every span of a batch of docs to the longest one, so one span per
sentence pays for padding (sentences of 5 to 100 tokens in one tensor). With `pack = true`
consecutive whole sentences share a span up to `window` tokens: spans of nearly equal
length, each token still read once and no sentence cut, with neighbouring sentences as
context as in the strided windows. benchmarks/bench_throughput.py measures both.

The transformer pipelines (["transformer", "ner"]) set no sentence boundaries of their own:
`use_sentence_spans` adds `maize_sentencizer` (components/sentences.py, the rule the corpus
converters use) in front of the transformer when no earlier component sets them, and makes
the span getter part of the pipeline's config, so a pipeline saved afterwards keeps both.
"""
from typing import Callable, Iterable, List, Optional

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy_transformers.util import registry

SENTENCIZER = "maize_sentencizer"
TRANSFORMER = "transformer"
SENT_ASSIGNS = ("token.is_sent_start", "doc.sents")


def strided_ranges(start: int, end: int, window: int, stride: int) -> List[range]:
    """Token ranges of spacy-transformers' strided windows over [start, end), the same cuts
    as `get_strided_spans` makes over a whole doc."""
    length = end - start
    out: List[range] = []
    offset = 0
    for _ in range(length // stride):
        out.append(range(start + offset, start + min(offset + window, length)))
        if offset + window >= length:
            return out
        offset += stride
    if offset < length:
        out.append(range(start + offset, end))
    return out


def sentence_spans(docs: Iterable[Doc], *, window: int, stride: int, pack: bool = False) -> List[List[Span]]:
    """Per doc, its sentences when they have boundaries and fit `window` tokens, else
    strided windows (over the sentence, or over the whole doc without boundaries).

    docs (Iterable[Doc]): the batch.
    window (int): longest span in spaCy tokens (the strided getter's window).
    stride (int): step of the strided fallback (window - stride tokens are read twice there).
    pack (bool): join consecutive whole sentences into one span while it fits `window`.
    RETURNS (List[List[Span]]): the spans of each doc, in order, covering every token.
    """
    out: List[List[Span]] = []
    for doc in docs:
        if not doc.has_annotation("SENT_START"):
            out.append([doc[r.start:r.stop] for r in strided_ranges(0, len(doc), window, stride)])
            continue
        spans: List[Span] = []
        start = end = 0  # the pending pack of whole sentences, doc[start:end]
        for sent in doc.sents:
            if len(sent) > window:
                if end > start:
                    spans.append(doc[start:end])
                spans.extend(doc[r.start:r.stop] for r in strided_ranges(sent.start, sent.end, window, stride))
                start = end = sent.end
            elif not pack:
                spans.append(sent)
            elif sent.end - start <= window:
                end = sent.end
            else:
                if end > start:
                    spans.append(doc[start:end])
                start, end = sent.start, sent.end
        if end > start:
            spans.append(doc[start:end])
        out.append(spans)
    return out


@registry.span_getters("spacy_maize_ner.sentence_spans.v1")
def configure_sentence_spans(
    *, window: int = 128, stride: int = 96, pack: bool = False
) -> Callable[[Iterable[Doc]], List[List[Span]]]:
    """window (int): longest sentence read as one span, in spaCy tokens; longer ones and docs
        without sentence boundaries get strided windows of this size.
    stride (int): the strided fallback's step (at most `window`).
    pack (bool): consecutive whole sentences share a span up to `window` tokens (less padding).
    RETURNS (Callable[[Iterable[Doc]], List[List[Span]]]): the span getter.
    """
    if window < 1 or not 1 <= stride <= window:
        raise ValueError(
            f"sentence_spans.v1: window {window}, stride {stride}: need window >= 1 and 1 <= stride <= window "
            "(the shipped strided windows are window = 128, stride = 96)."
        )

    def get_spans(docs: Iterable[Doc]) -> List[List[Span]]:
        return sentence_spans(docs, window=window, stride=stride, pack=pack)

    return get_spans


def sets_sentences_before(nlp: Language, name: str) -> Optional[str]:
    """The first component before `name` that sets sentence boundaries, or None."""
    for other in nlp.pipe_names:
        if other == name:
            return None
        if any(a in nlp.get_pipe_meta(other).assigns for a in SENT_ASSIGNS):
            return other
    return None


def use_sentence_spans(nlp: Language, *, window: Optional[int] = None, stride: Optional[int] = None,
                       pack: bool = False, transformer: str = TRANSFORMER) -> Language:
    """Make a loaded transformer pipeline read sentences (in place).

    nlp (Language): a pipeline with a spacy-transformers component `transformer`.
    window (Optional[int]): the span bound in tokens; default the strided getter's window (or 128).
    stride (Optional[int]): the fallback's stride; default the strided getter's (or 96).
    pack (bool): consecutive whole sentences share a span up to `window` tokens.
    RETURNS (Language): `nlp`, with `maize_sentencizer` in front of the transformer unless an
        earlier component sets sentences, and the span getter in the model and the config.
    """
    if transformer not in nlp.pipe_names:
        raise ValueError(
            f"use_sentence_spans: the pipeline has no component {transformer!r} (it has {nlp.pipe_names}); "
            "sentence spans apply to the transformer pipelines (configs/transformer.cfg)."
        )
    model = nlp.get_pipe(transformer).model
    if "get_spans" not in model.attrs:
        raise ValueError(f"use_sentence_spans: component {transformer!r} is not a spacy-transformers Transformer (no get_spans).")
    current = dict(nlp.get_pipe_config(transformer).get("model", {}).get("get_spans", {}))
    window = int(window or current.get("window") or 128)
    stride = int(stride or current.get("stride") or min(96, window))
    model.attrs["get_spans"] = configure_sentence_spans(window=window, stride=stride, pack=pack)
    nlp.get_pipe_config(transformer)["model"]["get_spans"] = {
        "@span_getters": "spacy_maize_ner.sentence_spans.v1", "window": window, "stride": stride, "pack": pack,
    }
    if sets_sentences_before(nlp, transformer) is None:
        from ..components.sentences import make_maize_sentencizer  # noqa: F401  (registers the factory)

        nlp.add_pipe(SENTENCIZER, before=transformer)
    return nlp
