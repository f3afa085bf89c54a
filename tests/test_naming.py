"""One naming scheme (spacy_maize_ner.study.runs), evaluate's pipeline discovery, the corpus registry."""
import pytest

from spacy_maize_ner.study import runs as naming
from spacy_maize_ner.corpus.registry import CORPORA
from spacy_maize_ner.study.evaluation.discovery import discover_pipelines
from spacy_maize_ner.study.packaging import build_meta, package_name
from spacy_maize_ner.corpus.build import corpus_provenance, find_split_files


@pytest.mark.parametrize("encoder,short", [
    ("assets/encoders/minilm", "minilm"), ("training/encoders/minilm-dapt/", "minilm_dapt"),
    ("dmis-lab/biobert-base-cased-v1.1", "biobert"), ("bert-base-cased", "bert"),
])
def test_encoder_pipeline_and_package_names_agree(encoder, short):
    assert naming.encoder_short_name(encoder) == short
    assert naming.transformer_pipeline_name(encoder, "full") == f"{short}-full"
    assert package_name(encoder) == naming.package_name(encoder) == f"maize_{short}"


def test_benchmark_runs_use_the_same_encoder_names_and_seed_suffix():
    from spacy_maize_ner.study.analysis.seeds import seed_group

    name = naming.benchmark_run_name("trf", "training/encoders/minilm-dapt", "full", head="transition")
    assert name == "trf-minilm_dapt-full-transition"
    assert naming.benchmark_run_name("peft", "assets/encoders/minilm", "lora-r8", head="token", tag="x") == "peft-minilm-lora-r8-token-x"
    assert naming.benchmark_run_name("hf", "assets/encoders/minilm") == "hf-minilm"
    assert seed_group(naming.seeded(name, 2)) == (name, 2)


def test_pipeline_name_from_path():
    assert naming.pipeline_name_from_path("training/crf/model-best") == "crf"
    assert naming.pipeline_name_from_path("training/transformers/minilm-full/model-last/") == "minilm-full"
    assert naming.pipeline_name_from_path("packages/en_maize_minilm") == "en_maize_minilm"


def test_discovery_finds_model_best_and_refuses_clashes(tmp_path):
    for name in ("minilm-full", "minilm-none"):
        (tmp_path / "trf" / name / "model-best").mkdir(parents=True)
    (tmp_path / "crf" / "model-best").mkdir(parents=True)
    found = discover_pipelines([tmp_path / "crf" / "model-best"], [tmp_path / "trf"])
    assert [n for n, _ in found] == ["crf", "minilm-full", "minilm-none"]
    with pytest.raises(ValueError, match="both named 'crf'"):
        discover_pipelines([tmp_path / "crf" / "model-best", tmp_path / "crf" / "model-best"])
    with pytest.raises(FileNotFoundError, match="Train it first"):
        discover_pipelines([tmp_path / "hmm" / "model-best"])
    with pytest.raises(FileNotFoundError, match="No pipelines"):
        discover_pipelines([], [tmp_path / "empty"])


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_one_corpus_registry_feeds_layouts_provenance_and_package_sources(name, tmp_path):
    """What conversion, provenance and packaging do with a known corpus comes from its registry
    entry (corpus/registry.py), read through the functions that use it."""
    info = CORPORA[name]
    folder = tmp_path / name
    folder.mkdir()
    for file_name in info.files.values():
        (folder / file_name).write_text("")
    fmt, files, official = find_split_files(name, folder)
    assert (fmt, official) == (info.format, True)
    assert {split: [p.name for p in paths] for split, paths in files.items()} == {s: [f] for s, f in info.files.items()}
    assert corpus_provenance(name, folder) == {"annotation": info.annotation, "source": info.annotators}
    model = tmp_path / "model"
    model.mkdir()
    (model / "meta.json").write_text('{"lang": "en", "name": "x"}')
    assert build_meta(model, corpus=name, name="maize_x")["sources"][0] == {"name": info.title, "url": info.url, "license": info.license}


def test_a_corpus_outside_the_registry_is_read_whole_and_marked_unknown(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "all.tsv").write_text("")
    fmt, files, official = find_split_files("mine", tmp_path / "mine")
    assert (fmt, official) == ("iob", False) and [p.name for p in files["all"]] == ["all.tsv"]
    assert corpus_provenance("mine", tmp_path / "mine")["annotation"] == "unknown"
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "meta.json").write_text('{"lang": "en", "name": "x"}')
    assert build_meta(tmp_path / "model", corpus="mine", name="maize_x")["sources"][0]["license"] == "unknown"
