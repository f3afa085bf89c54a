import pytest
import srsly
from spacy.tokens import DocBin
from spacy.vocab import Vocab

from spacy_maize_ner.corpus.build import build_corpus, evaluation_split, find_split_files, parse_labels
from synthetic import maize_sentences, write_iob


def pubtator_doc(pmid, gene):
    title = f"{gene} regulates flowering in maize."
    return f"{pmid}|t|{title}\n{pmid}|a|No abstract.\n{pmid}\t0\t{len(gene)}\t{gene}\tGene\t-1\n\n"


def test_training_documents_that_are_also_in_dev_are_removed_and_reported(tmp_path):
    folder = tmp_path / "bc5cdr"
    folder.mkdir()
    # like the shared BC5CDR copy: the training file also holds the dev documents
    (folder / "CDR_TrainingSet.PubTator.txt").write_text(pubtator_doc("1", "ZmCCT9") + pubtator_doc("2", "Vgt1"))
    (folder / "CDR_DevelopmentSet.PubTator.txt").write_text(pubtator_doc("2", "Vgt1"))
    meta = build_corpus("bc5cdr", folder, tmp_path / "corpus")
    assert meta["splits"] == {"train": 1, "dev": 1}
    assert meta["removed_from_train"]["pmids"] == ["2"]
    summary = srsly.read_json(tmp_path / "corpus" / "conversion_report.json")
    assert summary["mentions_read"] == 3 and summary["mentions_kept"] == 2
    assert summary["dropped"]["document_in_other_split"] == 1
    train = list(DocBin().from_disk(tmp_path / "corpus" / "train.spacy").get_docs(Vocab()))
    assert [d.user_data["pmid"] for d in train] == ["1"]
    assert evaluation_split(tmp_path / "corpus")[0] == "dev" and meta["eval_split"] == "dev"


def test_source_without_splits_gets_a_seeded_document_split(tmp_path):
    folder = tmp_path / "maize"
    folder.mkdir()
    write_iob(folder / "genes.tsv", maize_sentences(40, seed=1))
    meta = build_corpus("maize", folder, tmp_path / "corpus", seed=3)
    assert meta["splits"] == {"train": 32, "dev": 4, "test": 4}
    assert "seed 3" in meta["split_origin"] and meta["eval_split"] == "test"
    assert evaluation_split(tmp_path / "corpus") == ("test", tmp_path / "corpus" / "test.spacy")


def test_known_corpus_with_missing_files_names_the_fix(tmp_path):
    (tmp_path / "bc2gm").mkdir()
    write_iob(tmp_path / "bc2gm" / "train.tsv", maize_sentences(3))
    with pytest.raises(FileNotFoundError, match="devel.tsv.*spacy project run fetch"):
        find_split_files("bc2gm", tmp_path / "bc2gm")


@pytest.mark.parametrize(
    "spec,expected",
    [("", None), ("Chemical,Disease", {"Chemical": "Chemical", "Disease": "Disease"}), ("Gene:GENE", {"Gene": "GENE"})],
)
def test_parse_labels(spec, expected):
    assert parse_labels(spec) == expected


def test_parse_labels_rejects_empty_target():
    with pytest.raises(ValueError, match="TYPE:LABEL"):
        parse_labels("Gene:")
