import srsly
from spacy.tokens import DocBin
from spacy.vocab import Vocab
from typer.testing import CliRunner

from spacy_maize_ner.cli import app
from synthetic import maize_sentences, write_iob

runner = CliRunner()


def test_convert_pubtator_to_docbin_with_report(fixtures_dir, tmp_path):
    out = tmp_path / "m.spacy"
    result = runner.invoke(app, ["convert", str(fixtures_dir / "maize_malformed.PubTator.txt"), str(out),
                                 "--format", "pubtator", "--labels", "Gene:GENE", "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert "13 mentions read" in result.output
    summary = srsly.read_json(tmp_path / "r.json")
    assert summary["mentions_read"] == summary["mentions_kept"] + summary["mentions_dropped"] == 13
    assert summary["dropped"]["label_filtered"] == 1
    (doc,) = DocBin().from_disk(out).get_docs(Vocab())
    assert doc.user_data["pmid"] == "90000002" and {e.label_ for e in doc.ents} == {"GENE"}


def test_convert_pubtator_back_to_pubtator(fixtures_dir, tmp_path):
    src = fixtures_dir / "maize_wellformed.PubTator.txt"
    out = tmp_path / "back.txt"
    result = runner.invoke(app, ["convert", str(src), str(out), "--format", "pubtator", "--to", "pubtator"])
    assert result.exit_code == 0, result.output
    assert out.read_text() == src.read_text()


def test_convert_iob_with_seeded_split_and_stats(tmp_path):
    src = tmp_path / "in.tsv"
    write_iob(src, maize_sentences(50, seed=4))
    result = runner.invoke(app, ["convert", str(src), str(tmp_path / "out"), "--format", "iob", "--split", "0.6,0.2,0.2", "--seed", "3"])
    assert result.exit_code == 0, result.output
    sizes = {s: len(list(DocBin().from_disk(tmp_path / "out" / f"{s}.spacy").get_docs(Vocab()))) for s in ("train", "dev", "test")}
    assert sizes == {"train": 30, "dev": 10, "test": 10}
    result = runner.invoke(app, ["stats", str(tmp_path / "out"), "--json", str(tmp_path / "stats.json")])
    assert result.exit_code == 0, result.output
    stats = srsly.read_json(tmp_path / "stats.json")
    assert stats["train"]["documents"] == 30 and "GENE" in stats["train"]["entities_per_label"]
    assert "length >=3" in result.output


def test_convert_errors_name_the_problem(tmp_path):
    missing = runner.invoke(app, ["convert", str(tmp_path / "nope.txt"), str(tmp_path / "o.spacy"), "--format", "pubtator"])
    assert missing.exit_code == 1 and "Input file not found" in missing.output
    bad = tmp_path / "bad.tsv"
    bad.write_text("ZmCCT9 B-GENE\n")
    result = runner.invoke(app, ["convert", str(bad), str(tmp_path / "o.spacy"), "--format", "iob"])
    assert result.exit_code == 1 and "bad.tsv:1" in result.output and "found no tab" in result.output
    wrong = runner.invoke(app, ["convert", str(bad), str(tmp_path / "o.spacy"), "--format", "conll"])
    assert wrong.exit_code != 0 and "pubtator, iob" in wrong.output
    labels = runner.invoke(app, ["convert", str(bad), str(tmp_path / "o.spacy"), "--format", "iob", "--labels", "Gene:"])
    assert labels.exit_code == 1 and "TYPE:LABEL" in labels.output
