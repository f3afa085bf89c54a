"""benchmarks/bench_throughput.py's trf and f1 sections run end to end on the tiny BERT (no rows written)."""
import sys
from pathlib import Path

import pytest

pytest.importorskip("spacy_transformers")

import torch  # noqa: E402

from spacy_maize_ner.study.training.regimes import read_regime  # noqa: E402
from spacy_maize_ner.study.training.train import train_regime  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.fixture(scope="module")
def pipeline(tiny_bert, gene_corpus, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bench-trf")
    overrides = {"paths.train": str(gene_corpus / "train.spacy"), "paths.dev": str(gene_corpus / "dev.spacy"),
                 "paths.encoder": str(tiny_bert), "training.max_steps": 2, "training.max_epochs": 0,
                 "training.eval_frequency": 2, "training.logger.progress_bar": False, "training.batcher.size": 300,
                 "components.transformer.model.get_spans.window": 24, "components.transformer.model.get_spans.stride": 16}
    train_regime(ROOT / "configs" / "transformer.cfg", read_regime(ROOT / "configs" / "regimes" / "full.cfg"), folder, overrides)
    return folder / "model-last"


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_trf_section_measures_every_setting_on_the_same_texts(pipeline, tiny_bert, tmp_path, one_thread):
    from bench_throughput import SETTINGS, job_trf

    dev = tmp_path / "devel.tsv"  # made-up sentences whose words are all in the tiny vocabulary
    sentence = "No difference was observed between the two hybrids .".split()
    dev.write_text("".join("".join(f"{w}\tO\n" for w in sentence) + "\n" for _ in range(30)))
    rows = job_trf(str(pipeline), str(tiny_bert), str(dev), "30", "1")
    by = {(r["pipeline"], r["metric"]): r for r in rows}
    names = [*SETTINGS, "trf-hf-pipeline", "trf-bare-forward"]
    assert all(by[name, "words_per_second"]["value"] > 0 for name in names)
    assert {by[name, "words_per_second"]["params"]["words"] for name in names} == {by["trf-spacy-pipeline", "words_per_second"]["params"]["words"]}
    assert by["trf-spacy-pipeline", "words_per_second"]["params"]["words"] > 250  # the pipeline's tokens, 30 sentences
    for name in SETTINGS:
        assert (name, "share_of_bare_forward") in by
    assert {n for n, m in by if m == "speedup_vs_shipped"} == set(SETTINGS) - {"trf-spacy-pipeline"}
    assert by["trf-spacy-pipeline", "words_per_second"]["regime"] == "strided-float"  # the baseline reads unchunked
    assert by["trf-spacy-sentences-chunked", "words_per_second"]["regime"] == "sentences-float-chunks16"


def test_f1_section_scores_float_and_int8(pipeline, gene_corpus, one_thread):
    from bench_throughput import SETTINGS, job_f1

    rows = job_f1(str(pipeline), str(gene_corpus / "dev.spacy"), "5")
    by = {(r["pipeline"], r["metric"]): r for r in rows}
    for name in SETTINGS:
        f = by[name, "ents_f_dev_per_doc5"]
        assert 0.0 <= f["value"] <= 1.0 and f["split"] == "dev"
        assert f["params"]["documents"] == 4  # 20 dev sentences, 5 to a document
    assert (("trf-spacy-sentences-int8", "ents_f_delta_int8_vs_float_dev_per_doc5") in by
            and ("trf-spacy-int8", "ents_f_delta_int8_vs_float_dev_per_doc5") in by)
    # 20 sentence spans per batch: read in chunks, with the same entities as one padded tensor
    for spans in ("sentences", "packed"):
        assert by[f"trf-spacy-{spans}-chunked", "ents_f_dev_per_doc5"]["params"]["ents_p"] == \
            by[f"trf-spacy-{spans}", "ents_f_dev_per_doc5"]["params"]["ents_p"]


def test_int8_section_scores_float_and_both_scales(pipeline, gene_corpus, one_thread):
    from bench_throughput import job_int8

    rows = job_int8(str(pipeline), str(gene_corpus / "dev.spacy"), "5")
    by = {(r["pipeline"], r["metric"]): r for r in rows}
    float_f = by["trf-spacy-packed", "ents_f_dev_per_doc5"]["value"]
    for scales in ("per_channel", "per_tensor"):
        name = f"trf-spacy-packed-int8-{scales}"
        f = by[name, "ents_f_dev_per_doc5"]
        assert f["params"]["scales"] == scales and f["regime"] == f"packed-int8-{scales}"
        assert by[name, "ents_f_delta_int8_vs_float_dev_per_doc5"]["value"] == pytest.approx(100 * (f["value"] - float_f))


def test_ratio_rows_divide_by_the_reference_measured_in_the_same_run():
    from bench_throughput import ratio_rows, row

    rows = [row("annotate-trf-minilm", "words_per_second", 300.0, "c", documents=1),
            row("annotate-lc-gemma3_270m-decoder-lora-bidirectional-n2500", "words_per_second", 30.0, "c", documents=1),
            row("annotate-crf", "words_per_second", 6000.0, "c", documents=1),
            row("annotate-crf", "seconds", 1.0, "c")]
    ratios = {r["pipeline"]: r for r in ratio_rows(rows, "annotate-trf-minilm")}
    assert set(ratios) == {"annotate-lc-gemma3_270m-decoder-lora-bidirectional-n2500", "annotate-crf"}
    decoder = ratios["annotate-lc-gemma3_270m-decoder-lora-bidirectional-n2500"]
    assert decoder["metric"] == "words_per_second_ratio_vs_trf-minilm" and decoder["value"] == 0.1
    assert decoder["params"]["reference_words_per_second"] == 300.0
    assert ratio_rows(rows[1:], "annotate-trf-minilm") == []  # no reference measured: no ratio


def test_jobs_are_pinned_to_core_0_or_the_core_given(monkeypatch):
    import shutil

    from bench_throughput import pinned

    if shutil.which("taskset") is None:
        pytest.skip("taskset is not installed")
    monkeypatch.delenv("MAIZE_BENCH_CORE", raising=False)
    assert pinned(["job"])[:3] == ["taskset", "-c", "0"]
    monkeypatch.setenv("MAIZE_BENCH_CORE", "1")
    assert pinned(["job"])[:3] == ["taskset", "-c", "1"]


def test_untrained_tagger_builds_a_loadable_decoder_pipeline_for_speed_runs(tmp_path):
    import shutil
    import subprocess

    import spacy
    from spacy.tokens import Doc, DocBin

    from tiny_decoder import write_tiny_decoder
    from synthetic import maize_sentences
    from spacy.training.iob_utils import biluo_tags_to_spans, iob_to_biluo

    nlp = spacy.blank("en")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for split in ("train", "dev"):
        db = DocBin()
        for words, tags in maize_sentences(20, seed=0):
            doc = Doc(nlp.vocab, words=words)
            doc.ents = biluo_tags_to_spans(doc, iob_to_biluo(tags))
            db.add(doc)
        db.to_disk(corpus / f"{split}.spacy")
    decoder = write_tiny_decoder(tmp_path / "decoder", "qwen2")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "untrained_tagger.py"), str(decoder), str(out),
                           "--corpus", str(corpus)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    tagger = spacy.load(out / "model-last")
    assert tagger.pipe_names == ["transformer", "ner"] and len(list(tagger.pipe(["ZmCCT9 binds tb1 ."]))) == 1
    again = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "untrained_tagger.py"), str(decoder), str(out),
                            "--corpus", str(corpus)], capture_output=True, text=True)
    assert again.returncode != 0 and "exists" in again.stderr  # never overwrites


def test_rows_record_the_whole_command_line_of_the_run(monkeypatch):
    from bench_throughput import COMMAND_ENV, row

    assert row("annotate-crf", "words_per_second", 1.0, "python benchmarks/bench_throughput.py")["command"] == \
        "python benchmarks/bench_throughput.py"
    monkeypatch.setenv(COMMAND_ENV, "python benchmarks/bench_throughput.py --sections annotate --pipeline x/model-best")
    assert row("annotate-crf", "words_per_second", 1.0, "python benchmarks/bench_throughput.py")["command"].endswith(
        "--pipeline x/model-best")
