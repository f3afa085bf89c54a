"""The maize corpus path end to end against a local PubTator3 stand-in (no network)."""
import os
import shutil
import subprocess
import sys

import pytest
import srsly
from spacy.tokens import DocBin
from spacy.vocab import Vocab

from pubtator_server import PubTatorServer
from spacy_maize_ner.corpus.pubtator import format_pubtator, read_pubtator
from spacy_maize_ner.study.evaluation.report import render_results
from spacy_maize_ner.pubtator3.client import PubTator3Client
from spacy_maize_ner.corpus.build import build_corpus
from spacy_maize_ner.study.workflow.maize import export_pubtator, resolve_pmids


@pytest.fixture
def server(fixtures_dir):
    docs = {d.pmid: format_pubtator(d) for d in read_pubtator(fixtures_dir / "maize_pubtator3.PubTator.txt")}
    with PubTatorServer(docs) as srv:
        yield srv


def test_gene_table_to_silver_docbins(server, tmp_path):
    table = tmp_path / "genes.csv"
    table.write_text("pmid,gene_symbol\n90000001,ZmCCT9\n90000002;90000003,tb1\n" +
                     "".join(f"{90000004 + i},g{i}\n" for i in range(9)) + "99999999,missing\n")
    pmids, origin = resolve_pmids(genes=table, lexicon_path=tmp_path / "lexicon.jsonl")
    assert len(pmids) == 13 and "gene table" in origin
    client = PubTator3Client(server.url, rate=100, cache_dir=tmp_path / "cache", backoff=0.01, progress=False)
    out = tmp_path / "assets" / "maize" / "maize.pubtator"
    summary = export_pubtator(client, pmids, out, species="4577", summary_path=tmp_path / "summary.json")
    assert summary["requested"] == 13 and summary["received"] == 12 and summary["missing"] == ["99999999"]
    f = summary["filter"]
    assert f["mentions_read"] == f["mentions_kept"] + f["mentions_dropped"] and f["dropped"]["species_mismatch"] == 2
    records = list(srsly.read_jsonl(tmp_path / "summary.jsonl"))
    assert len(records) == f["mentions_dropped"] + f["kept"]["species_unknown_kept"]
    assert all(r["reason"] and "pmid" in r for r in records)
    meta = build_corpus("maize", out.parent, tmp_path / "corpus", label_map={"Gene": "GENE"})
    assert meta["annotation"] == "silver" and meta["splits"] == {"train": 10, "dev": 1, "test": 1}
    assert {p["annotation"] for p in meta["provenance"].values()} == {"silver"}
    train = list(DocBin().from_disk(tmp_path / "corpus" / "train.spacy").get_docs(Vocab()))
    assert {e.label_ for d in train for e in d.ents} == {"GENE"}
    text = render_results([{"pipeline": "x", "data": "d", "ents_p": 0.5, "ents_r": 0.5, "ents_f": 0.5}], corpus_meta=meta)
    assert "**silver**" in text and "not with human annotators" in text
    stats = subprocess.run([sys.executable, "-m", "spacy_maize_ner", "stats", str(tmp_path / "corpus")],
                           capture_output=True, text=True)
    assert stats.returncode == 0 and "train: silver (machine-annotated)" in stats.stdout


def run_project(project, *args):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run([sys.executable, "-m", "spacy", "project", "run", *args], cwd=project, env=env,
                          capture_output=True, text=True)


@pytest.mark.slow  # `spacy project run maize-corpus` twice; the same steps in process: test_gene_table_to_silver_docbins
def test_spacy_project_run_maize_corpus(root, server, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(root / "project.yml", project / "project.yml")
    shutil.copytree(root / "scripts", project / "scripts")
    (project / "spacy_maize_ner").symlink_to(root / "spacy_maize_ner")
    (project / "assets" / "maize").mkdir(parents=True)
    (project / "assets" / "maize" / "pmids.txt").write_text("# invented maize-like abstracts\n" + "\n".join(server.documents) + "\n")
    args = ["maize-corpus", ".", "--vars.pubtator_url", server.url]
    result = run_project(project, *args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = srsly.read_json(project / "assets/maize/export/summary.json")
    assert summary["received"] == 12 and summary["batches_fetched"] == 1
    meta = srsly.read_json(project / "corpus/meta.json")
    assert meta["annotation"] == "silver" and sum(meta["splits"].values()) == 12
    assert "silver" in result.stdout and srsly.read_json(project / "corpus/stats.json")["train"]["annotation"] == "silver"
    n = len(server.export_requests())
    again = run_project(project, *args)  # PMIDs unchanged: fetch and convert are skipped
    assert again.returncode == 0 and len(server.export_requests()) == n


def test_all_workflow_stays_offline(root):
    config = srsly.read_yaml(root / "project.yml")
    assert not any(step.startswith("maize") for step in config["workflows"]["all"])
    assert config["workflows"]["maize-corpus"][:3] == ["maize-pmids", "maize-fetch", "maize-convert"]


def test_query_takes_precedence_and_writes_an_empty_lexicon(tmp_path):
    with PubTatorServer({}, search_results=["11", "12"]) as srv:
        client = PubTator3Client(srv.url, rate=100, backoff=0.01, progress=False)
        pmids, origin = resolve_pmids(pmids_file=tmp_path / "absent.txt", query="maize", client=client,
                                      lexicon_path=tmp_path / "lexicon.jsonl")
    assert pmids == ["11", "12"] and "search" in origin
    assert (tmp_path / "lexicon.jsonl").read_text() == ""
    with pytest.raises(FileNotFoundError, match="maize_query"):
        resolve_pmids(pmids_file=tmp_path / "absent.txt")
