"""`spacy_maize_ner.sentence_spans.v1` (spacy_maize_ner/encoders/spans.py): sentences read once."""
import random
from pathlib import Path

import pytest

pytest.importorskip("spacy_transformers")

import numpy  # noqa: E402
import spacy  # noqa: E402
from spacy.tokens import Doc  # noqa: E402
from spacy_transformers.span_getters import get_strided_spans  # noqa: E402

from spacy_maize_ner.components.sentences import set_sentence_starts  # noqa: E402
from spacy_maize_ner.study.training.regimes import read_regime  # noqa: E402
from spacy_maize_ner.encoders.spans import SENTENCIZER, configure_sentence_spans, use_sentence_spans  # noqa: E402
from spacy_maize_ner.study.training.train import train_regime  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NLP = spacy.blank("en")


def doc_of(sentence_lengths, split=True) -> Doc:
    words, starts = [], []
    for n in sentence_lengths:
        words += [f"w{len(words) + i}" for i in range(n - 1)] + ["."]
        starts += [True] + [False] * (n - 1)
    doc = Doc(NLP.vocab, words=words, sent_starts=starts if split else None)
    return doc


def coverage(doc, spans):
    counts = numpy.zeros(len(doc), dtype=int)
    for span in spans:
        assert span.doc is doc
        counts[span.start:span.end] += 1
    return counts


def test_sentence_split_docs_are_read_once():
    rng = random.Random(0)
    get_spans = configure_sentence_spans(window=24, stride=16)
    for _ in range(200):
        lengths = [rng.randint(1, 24) for _ in range(rng.randint(1, 12))]
        doc = doc_of(lengths)
        spans = get_spans([doc])[0]
        assert numpy.array_equal(coverage(doc, spans), numpy.ones(len(doc), dtype=int))
        assert [len(s) for s in spans] == lengths  # one span per sentence, in order


def test_packed_sentences_are_read_once_and_never_cut():
    rng = random.Random(1)
    get_spans = configure_sentence_spans(window=24, stride=16, pack=True)
    for _ in range(200):
        lengths = [rng.randint(1, 24) for _ in range(rng.randint(1, 12))]
        doc = doc_of(lengths)
        spans = get_spans([doc])[0]
        assert numpy.array_equal(coverage(doc, spans), numpy.ones(len(doc), dtype=int))
        assert all(len(span) <= 24 for span in spans)
        for sent in doc.sents:  # every sentence lies inside one span
            assert any(span.start <= sent.start and sent.end <= span.end for span in spans)
        starts = {sent.start: sent for sent in doc.sents}
        for a, b in zip(spans, spans[1:]):  # greedy: the next span's first sentence did not fit
            assert len(a) + len(starts[b.start]) > 24


def test_packing_with_a_long_sentence_between():
    doc = doc_of([5, 6, 60, 7, 8, 20])
    spans = configure_sentence_spans(window=24, stride=16, pack=True)([doc])[0]
    assert (spans[0].start, spans[0].end) == (0, 11)  # the two short sentences together
    assert (spans[-2].start, spans[-2].end) == (71, 86) and (spans[-1].start, spans[-1].end) == (86, 106)
    counts = coverage(doc, spans)
    assert counts[:11].max() == 1 and counts[71:].max() == 1 and counts.min() == 1


def test_a_long_sentence_falls_back_to_strided_windows():
    get_spans = configure_sentence_spans(window=24, stride=16)
    doc = doc_of([5, 60, 7])
    spans = get_spans([doc])[0]
    assert (spans[0].start, spans[0].end) == (0, 5) and (spans[-1].start, spans[-1].end) == (65, 72)
    long = spans[1:-1]
    assert all(len(s) <= 24 for s in long) and len(long) > 1
    assert [(s.start, s.end) for s in long] == [(5 + s.start, 5 + s.end) for s in get_strided_spans([doc[5:65].as_doc()], 24, 16)[0]]
    counts = coverage(doc, spans)
    assert counts.min() == 1 and counts[:5].max() == 1 and counts[65:].max() == 1  # overlap only inside the long sentence


@pytest.mark.parametrize("length", [0, 1, 15, 16, 24, 25, 40, 200])
def test_a_doc_without_sentences_gets_the_strided_windows(length):
    doc = doc_of([length], split=False) if length else Doc(NLP.vocab, words=[])
    assert length <= 1 or not doc.has_annotation("SENT_START")  # (docs of 0 or 1 token count as split)
    ours = configure_sentence_spans(window=24, stride=16)([doc])[0]
    theirs = get_strided_spans([doc], 24, 16)[0]
    assert [(s.start, s.end) for s in ours] == [(s.start, s.end) for s in theirs]
    if length:
        assert coverage(doc, ours).min() == 1


def test_bad_window_is_a_clear_error():
    with pytest.raises(ValueError, match="stride <= window"):
        configure_sentence_spans(window=16, stride=24)


@pytest.fixture(scope="module")
def pipeline(tiny_bert, gene_corpus, tmp_path_factory) -> Path:
    """An initialised (regime none) tiny transformer pipeline with the shipped strided windows."""
    folder = tmp_path_factory.mktemp("sent-spans")
    overrides = {"paths.train": str(gene_corpus / "train.spacy"), "paths.dev": str(gene_corpus / "dev.spacy"),
                 "paths.encoder": str(tiny_bert), "training.logger.progress_bar": False}
    return train_regime(ROOT / "configs" / "transformer.cfg", read_regime(ROOT / "configs" / "regimes" / "none.cfg"),
                        folder, overrides, head="token")


TEXT = ("Expression of ZmCCT9 was higher in the mutant lines . We cloned Vgt1 from the B73 inbred line . "
        "The tb1 allele delays flowering under long days .")


def test_pipeline_sets_sentences_before_the_transformer_and_reads_each_once(pipeline, tmp_path):
    nlp = spacy.load(pipeline)
    assert SENTENCIZER not in nlp.pipe_names
    use_sentence_spans(nlp)
    assert nlp.pipe_names.index(SENTENCIZER) < nlp.pipe_names.index("transformer")
    doc = nlp(TEXT)
    sents = list(doc.sents)
    assert len(sents) == 3
    assert doc._.trf_data.model_output.last_hidden_state.shape[0] == 3  # one row per sentence
    assert doc._.trf_data.align.lengths.min() >= 1  # every token has wordpieces
    # the same sentences from the pipeline's own rule as from set_sentence_starts
    assert [s.start for s in sents] == [s.start for s in set_sentence_starts(nlp.make_doc(TEXT)).sents]
    # saved and loaded: the sentencizer and the span getter are part of the pipeline
    nlp.to_disk(tmp_path / "copy")
    again = spacy.load(tmp_path / "copy")
    assert again.pipe_names == nlp.pipe_names
    assert again.config["components"]["transformer"]["model"]["get_spans"]["@span_getters"] == "spacy_maize_ner.sentence_spans.v1"
    doc2 = again(TEXT)
    assert [(e.start, e.end, e.label_) for e in doc2.ents] == [(e.start, e.end, e.label_) for e in doc.ents]
    assert numpy.array_equal(doc2._.trf_data.model_output.last_hidden_state, doc._.trf_data.model_output.last_hidden_state)


def test_an_existing_sentence_setter_is_kept(pipeline):
    nlp = spacy.load(pipeline)
    nlp.add_pipe("sentencizer", first=True)
    use_sentence_spans(nlp)
    assert SENTENCIZER not in nlp.pipe_names


def test_strided_pipeline_reads_the_overlap_twice(pipeline):
    """The shipped strided windows, for contrast: a 40-token doc at window 24/stride 16 has two rows."""
    nlp = spacy.load(pipeline)
    nlp.get_pipe("transformer").model.attrs["get_spans"] = configure_sentence_spans(window=24, stride=16)
    doc = nlp(TEXT)  # no sentencizer in the pipeline: strided fallback
    assert doc._.trf_data.model_output.last_hidden_state.shape[0] == len(get_strided_spans([doc], 24, 16)[0]) > 1
