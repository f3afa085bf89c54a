"""One naming scheme (spacy_maize_ner.study.runs: RunId), evaluate's pipeline discovery, the corpus registry."""
from pathlib import Path

import pytest

from spacy_maize_ner.study import runs
from spacy_maize_ner.study.runs import RunId
from spacy_maize_ner.corpus.registry import CORPORA
from spacy_maize_ner.study.evaluation.discovery import discover_pipelines
from spacy_maize_ner.study.packaging import build_meta, package_name
from spacy_maize_ner.corpus.build import corpus_provenance, find_split_files

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("encoder,short", [
    ("assets/encoders/minilm", "minilm"), ("training/encoders/minilm-dapt/", "minilm_dapt"),
    ("dmis-lab/biobert-base-cased-v1.1", "biobert"), ("bert-base-cased", "bert"),
])
def test_encoder_run_and_package_names_agree(encoder, short):
    assert runs.encoder_short_name(encoder) == short
    assert RunId(encoder=runs.encoder_short_name(encoder), setting="full").name == f"{short}-full"
    assert package_name(encoder) == runs.package_name(encoder) == f"maize_{short}"


@pytest.mark.parametrize("text,parts", [
    ("trf-minilm_dapt-full-transition-ep3-s0", dict(family="trf", encoder="minilm_dapt", setting="full", head="transition", tag="ep3", seed=0)),
    ("peft-minilm-lora-r8-token-x", dict(family="peft", encoder="minilm", setting="lora-r8", head="token", tag="x")),
    ("hf-minilm-s2", dict(family="hf", encoder="minilm", seed=2)),
    ("minilm-full-s1", dict(encoder="minilm", setting="full", seed=1)),
    ("minilm_dapt-prompt-n50-s0", dict(encoder="minilm_dapt", setting="prompt-n50", seed=0)),
    ("gemma3_270m-decoder-lora-bidirectional", dict(encoder="gemma3_270m", setting="decoder-lora-bidirectional")),
    ("trf-minilm-full-transition-lexical-s1", dict(family="trf", encoder="minilm", setting="full", head="transition", tag="lexical", seed=1)),
    ("crf-s0", dict(family="crf", seed=0)),
    ("training/crf/crf-s0/model-best", dict(family="crf", seed=0)),
    ("hmm", dict(family="hmm")),
])
def test_run_ids_parse_into_their_parts_and_back(text, parts):
    run = RunId.parse(text)
    assert run == RunId(**parts)
    folder = text.split("/")[-2] if "/" in text else text
    assert run.folder == folder and RunId.parse(run.folder) == run
    assert run.name == runs.seed_group(folder)[0]


def test_the_kind_of_a_run_is_known_with_or_without_its_family():
    assert RunId.parse("minilm-full-s0").kind == "trf" and RunId.parse("trf-minilm-full-transition").kind == "trf"
    assert RunId.parse("minilm-lora-r8-s0").kind == "peft" and RunId.parse("crf-s1").kind == "crf"


def test_run_ids_refuse_what_would_not_parse_back():
    with pytest.raises(ValueError, match="hyphen"):
        RunId(encoder="mini-lm", setting="full")
    with pytest.raises(ValueError, match="no encoder"):
        RunId(family="crf", encoder="minilm")
    with pytest.raises(ValueError, match="needs its encoder"):
        RunId(family="trf")
    with pytest.raises(ValueError, match="not the name of a run"):
        RunId.parse("minilm")


def test_every_regime_and_head_of_the_configs_is_a_known_setting():
    """A new configs/regimes/*.cfg (or decoders/, heads/) must be named in runs.py, or its runs parse wrongly."""
    for folder in ("regimes", "decoders"):
        for path in (ROOT / "configs" / folder).glob("*.cfg"):
            assert path.stem in runs.SETTINGS, path
    for path in (ROOT / "configs" / "heads").glob("*.cfg"):
        assert path.stem in runs.HEADS, path


def test_one_seed_convention_for_workflow_and_benchmarks():
    """Every seed's run ends with -s<seed>, the first too; seed_group undoes it."""
    assert runs.seed_suffix(0) == "-s0"
    assert RunId(family="crf", seed=0).folder == "crf-s0"
    assert RunId(family="trf", encoder="minilm", setting="full", head="transition", seed=2).folder == "trf-minilm-full-transition-s2"
    assert runs.seed_group("trf-minilm-full-transition-s2") == ("trf-minilm-full-transition", 2)


def test_offline_encoders_come_from_project_yml_by_short_name(tmp_path):
    (tmp_path / "project.yml").write_text('vars:\n  encoders: "assets/encoders/minilm,training/encoders/minilm-dapt"\n')
    known = runs.offline_encoders(tmp_path)
    assert known == {"minilm": tmp_path / "assets/encoders/minilm", "minilm_dapt": tmp_path / "training/encoders/minilm-dapt"}
    assert runs.resolve_encoder("minilm-dapt", tmp_path) == known["minilm_dapt"]  # the folder's spelling works too
    assert runs.resolve_encoder(str(tmp_path), tmp_path) == tmp_path  # any existing folder
    with pytest.raises(ValueError, match="Unknown encoder 'bert'"):
        runs.resolve_encoder("bert", tmp_path)


def test_pipeline_name_from_path():
    assert runs.pipeline_name_from_path("training/crf/crf-s0/model-best") == "crf-s0"
    assert runs.pipeline_name_from_path("training/transformers/minilm-full-s0/model-last/") == "minilm-full-s0"
    assert runs.pipeline_name_from_path("packages/en_maize_minilm") == "en_maize_minilm"


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


def test_the_generative_tagger_is_a_setting_of_its_own():
    run = runs.RunId.parse("gemma3_270m-decoder-generative-s1")
    assert (run.encoder, run.setting, run.tag, run.seed) == ("gemma3_270m", "decoder-generative", "", 1)
    assert run.folder == "gemma3_270m-decoder-generative-s1"
