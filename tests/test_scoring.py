import pytest
import spacy
import srsly
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example

from spacy_maize_ner.study.evaluation.scoring import evaluate_pipeline, length_bucket, score_by_length

WORDS = "The ZmCCT9 gene and teosinte branched1 and the Vgt1 locus regulate flowering".split()


def make_doc(nlp, spans):
    doc = Doc(nlp.vocab, words=WORDS)
    doc.ents = [Span(doc, s, e, label=label) for s, e, label in spans]
    return doc


@pytest.mark.parametrize("n,bucket", [(1, "1"), (2, "2"), (3, ">=3"), (7, ">=3")])
def test_length_bucket(n, bucket):
    assert length_bucket(n) == bucket


def test_score_by_length_counts_each_bucket_separately():
    nlp = spacy.blank("en")
    gold = make_doc(nlp, [(1, 2, "GENE"), (4, 6, "GENE"), (8, 10, "GENE")])
    # ZmCCT9 right; "teosinte branched1" right; "Vgt1 locus" gold, predicted only "Vgt1"
    pred = make_doc(nlp, [(1, 2, "GENE"), (4, 6, "GENE"), (8, 9, "GENE")])
    scores = score_by_length([Example(pred, gold)])
    assert scores["1"]["gold"] == 1 and scores["1"]["predicted"] == 2
    assert scores["1"]["p"] == pytest.approx(0.5) and scores["1"]["r"] == pytest.approx(1.0)
    assert scores["2"]["gold"] == 2 and scores["2"]["predicted"] == 1
    assert scores["2"]["p"] == pytest.approx(1.0) and scores["2"]["r"] == pytest.approx(0.5)
    assert scores[">=3"]["gold"] == 0 and scores[">=3"]["predicted"] == 0


def test_evaluate_pipeline_uses_spacy_scorer_on_docbin(tmp_path):
    nlp = spacy.blank("en")
    gold = make_doc(nlp, [(1, 2, "GENE"), (8, 9, "GENE")])
    path = tmp_path / "dev.spacy"
    DocBin(docs=[gold]).to_disk(path)
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "GENE", "pattern": "ZmCCT9"}, {"label": "GENE", "pattern": "flowering"}])
    metrics = evaluate_pipeline(nlp, path, name="ruler")
    assert metrics["ents_p"] == pytest.approx(0.5)
    assert metrics["ents_r"] == pytest.approx(0.5)
    assert metrics["ents_per_type"]["GENE"]["f"] == pytest.approx(0.5)
    assert metrics["ents_by_length"]["1"]["gold"] == 2
    assert metrics["words"] == len(WORDS) and metrics["words_per_second"] > 0
    srsly.json_dumps(metrics)  # serialisable as a metrics file


def test_evaluate_pipeline_missing_data_names_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="spacy project run convert"):
        evaluate_pipeline(spacy.blank("en"), tmp_path / "nope.spacy", name="x")


def test_majority_baseline_scores_zero_not_undefined(tmp_path):
    nlp = spacy.blank("en")
    DocBin(docs=[make_doc(nlp, [(1, 2, "GENE")])]).to_disk(tmp_path / "dev.spacy")
    nlp.add_pipe("maize_majority_ner")
    metrics = evaluate_pipeline(nlp, tmp_path / "dev.spacy", name="majority")
    assert (metrics["ents_p"], metrics["ents_r"], metrics["ents_f"]) == (0.0, 0.0, 0.0)
