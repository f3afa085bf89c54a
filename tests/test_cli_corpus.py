import subprocess
import sys

import pytest
import srsly
from spacy.tokens import DocBin
from spacy.vocab import Vocab
from typer.testing import CliRunner

from spacy_maize_ner.cli import app
from synthetic import maize_sentences, write_iob

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    result.flat = " ".join(result.output.split())  # wasabi wraps long lines
    return result


def load(path):
    return list(DocBin().from_disk(path).get_docs(Vocab()))


def test_convert_pubtator_to_docbin_with_report(fixtures_dir, tmp_path):
    out, report = tmp_path / "m.spacy", tmp_path / "r.json"
    src = fixtures_dir / "maize_malformed.PubTator.txt"
    result = run("convert", src, out, "--format", "pubtator", "--labels", "Gene:GENE", "--report", report)
    assert result.exit_code == 0, result.output
    assert "15 mentions read: 5 kept (1 of them changed), 10 dropped" in result.flat
    assert "label_filtered 1" in result.flat and "malformed_line 2" in result.flat
    summary = srsly.read_json(report)
    assert summary["mentions_read"] == summary["mentions_kept"] + summary["mentions_dropped"] == 15
    assert summary["dropped"]["label_filtered"] == 1 and summary["input"] == [str(src)]
    records = list(srsly.read_jsonl(tmp_path / "r.jsonl"))
    assert len(records) == 11 and {r["reason"] for r in records} >= {"expanded", "label_filtered", "pmid_mismatch"}
    (doc,) = load(out)
    assert doc.user_data["pmid"] == "90000002" and {e.label_ for e in doc.ents} == {"GENE"}
    assert len(doc.ents) == 5


def test_convert_pubtator_back_to_pubtator_is_identity(fixtures_dir, tmp_path):
    src = fixtures_dir / "maize_wellformed.PubTator.txt"
    out = tmp_path / "back.txt"
    result = run("convert", src, out, "--format", "pubtator", "--to", "pubtator")
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == src.read_bytes()
    assert "3 documents, 15 mentions read: 15 kept" in result.flat


def test_convert_iob_back_to_iob_is_identity(fixtures_dir, tmp_path):
    src = fixtures_dir / "maize_genes.iob2.tsv"
    result = run("convert", src, tmp_path / "back.tsv", "--format", "iob", "--to", "iob", "--n-sents", 2)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "back.tsv").read_bytes() == src.read_bytes()


def test_convert_several_inputs_into_one_docbin(fixtures_dir, tmp_path):
    a, b = fixtures_dir / "maize_wellformed.PubTator.txt", fixtures_dir / "maize_malformed.PubTator.txt"
    result = run("convert", a, b, tmp_path / "all.spacy", "-f", "pubtator", "-r", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert [d.user_data["pmid"] for d in load(tmp_path / "all.spacy")] == ["90000001", "90000003", "90000004", "90000002"]
    summary = srsly.read_json(tmp_path / "r.json")
    assert summary["input"] == [str(a), str(b)] and summary["mentions_read"] == 30


def test_seeded_split_is_deterministic_and_depends_on_the_seed(tmp_path):
    src = tmp_path / "in.tsv"
    write_iob(src, maize_sentences(50, seed=4))

    def split(seed, name):
        result = run("convert", src, tmp_path / name, "--format", "iob", "--split", "0.6,0.2,0.2", "--seed", seed)
        assert result.exit_code == 0, result.output
        return {s: [d.text for d in load(tmp_path / name / f"{s}.spacy")] for s in ("train", "dev", "test")}

    first, again, other = split(3, "a"), split(3, "b"), split(4, "c")
    assert {s: len(docs) for s, docs in first.items()} == {"train": 30, "dev": 10, "test": 10}
    assert first == again and first != other
    assert sorted(sum(first.values(), [])) == sorted(sum(other.values(), []))
    result = run("stats", tmp_path / "a", "--json", tmp_path / "stats.json")
    assert result.exit_code == 0, result.output
    stats = srsly.read_json(tmp_path / "stats.json")
    assert list(stats) == ["dev", "test", "train"]
    assert stats["train"]["documents"] == 30 and stats["train"]["sentences"] == 30
    assert "GENE" in stats["train"]["entities_per_label"]
    assert "length >=3" in result.output and "train" in result.output


def test_stats_of_one_docbin(fixtures_dir, tmp_path):
    run("convert", fixtures_dir / "maize_wellformed.PubTator.txt", tmp_path / "w.spacy", "--format", "pubtator")
    result = run("stats", tmp_path / "w.spacy", "--json", tmp_path / "s.json")
    assert result.exit_code == 0, result.output
    stats = srsly.read_json(tmp_path / "s.json")["w"]
    assert stats["documents"] == 3 and stats["sentences"] == 6
    assert stats["entities_per_label"] == {"Gene": 14, "Species": 1}
    assert stats["entity_length"] == {"1": 11, "2": 1, ">=3": 3}


def test_convert_errors_name_the_problem_and_the_fix(fixtures_dir, tmp_path):
    out = tmp_path / "o.spacy"
    missing = run("convert", tmp_path / "nope.txt", out, "--format", "pubtator")
    assert missing.exit_code == 1 and "Input file not found" in missing.flat and "nope.txt" in missing.flat
    folder = run("convert", tmp_path, out, "--format", "pubtator")
    assert folder.exit_code == 1 and "not a file" in folder.flat
    bad = tmp_path / "bad.tsv"
    bad.write_text("ZmCCT9 B-GENE\n")
    result = run("convert", bad, out, "--format", "iob")
    assert result.exit_code == 1 and "bad.tsv:1" in result.flat and "replace them with a tab" in result.flat
    wrong = run("convert", bad, out, "--format", "conll")
    assert wrong.exit_code == 2 and "pubtator" in wrong.output and "iob" in wrong.output
    labels = run("convert", bad, out, "--format", "iob", "--labels", "Gene:")
    assert labels.exit_code == 1 and "TYPE:LABEL" in labels.flat
    ratios = run("convert", bad, tmp_path / "d", "--format", "iob", "--split", "0.8,0.3,0.1")
    assert ratios.exit_code == 1 and "sum to 1" in ratios.flat
    into_file = run("convert", fixtures_dir / "maize_genes.iob2.tsv", bad, "--format", "iob", "--split", "0.8,0.1,0.1")
    assert into_file.exit_code == 1 and "is a file" in into_file.flat
    into_dir = run("convert", fixtures_dir / "maize_genes.iob2.tsv", tmp_path, "--format", "iob")
    assert into_dir.exit_code == 1 and "is a folder" in into_dir.flat
    assert not out.exists()


def test_structural_pubtator_error_exits_1_with_file_and_line(tmp_path):
    src = tmp_path / "broken.txt"
    src.write_text("1|t|ZmCCT9\n1|a|Vgt1\n1|a|tb1\n")
    result = run("convert", src, tmp_path / "o.spacy", "--format", "pubtator")
    assert result.exit_code == 1 and "broken.txt:3" in result.flat and "second abstract line" in result.flat


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: p / "none", "Corpus not found"),
        (lambda p: p, "No .spacy files"),
        (lambda p: (p / "x.spacy").write_text("not a docbin") and p / "x.spacy", "not a readable DocBin"),
    ],
)
def test_stats_errors(tmp_path, make, message):
    result = run("stats", make(tmp_path))
    assert result.exit_code == 1 and message in result.flat


def test_every_option_has_help():
    result = run("convert", "--help")
    assert result.exit_code == 0
    for option in ("--format", "--to", "--labels", "--n-sents", "--report", "--split", "--seed"):
        assert option in result.output
    assert "Gene:GENE" in result.flat and "train,dev,test" in result.flat
    assert "--json" in run("stats", "--help").output


def test_module_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "spacy_maize_ner", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and "convert" in result.stdout and "stats" in result.stdout


def test_labels_that_keep_nothing_are_pointed_out(fixtures_dir, tmp_path):
    src = fixtures_dir / "maize_genes.iob2.tsv"
    result = run("convert", src, tmp_path / "o.spacy", "--format", "iob", "--labels", "Gene:GENE")
    assert result.exit_code == 0 and "--labels kept no mention" in result.flat and "GENE" in result.flat
    assert "10 mentions read: 0 kept" in result.flat and "label_filtered 10" in result.flat
