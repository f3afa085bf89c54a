"""Case and shape beside the encoder (`--features lexical`, spacy_maize_ner/encoders/lexical.py)."""
from pathlib import Path

import pytest

pytest.importorskip("spacy_transformers")

import numpy  # noqa: E402
import spacy  # noqa: E402
from confection import Config  # noqa: E402

from spacy_maize_ner.encoders.lexical import apply_features, build_transformer_with_lexical, feature_paths  # noqa: E402
from spacy_maize_ner.study.training.regimes import compose_config, read_regime  # noqa: E402
from spacy_maize_ner.study.training.train import train_regime  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "transformer.cfg"
REGIMES = ROOT / "configs" / "regimes"
FEATURES = ROOT / "configs" / "features"
HEADS = ("transition", "token")


def overrides(corpus: Path, encoder: Path):
    return {
        "paths.train": str(corpus / "train.spacy"),
        "paths.dev": str(corpus / "dev.spacy"),
        "paths.encoder": str(encoder),
        "training.max_steps": 2,
        "training.max_epochs": 0,
        "training.eval_frequency": 2,
        "training.logger.progress_bar": False,
        "training.batcher.size": 300,
        "training.optimizer.learn_rate.warmup_steps": 1,
        "components.transformer.model.get_spans.window": 24,
        "components.transformer.model.get_spans.stride": 16,
    }


@pytest.fixture(scope="module")
def uncased_bert(tiny_bert, tmp_path_factory) -> Path:
    """The tiny BERT with a lower-casing tokenizer, like all-MiniLM-L6-v2's."""
    import shutil

    from transformers import BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-bert-uncased") / "model"
    shutil.copytree(tiny_bert, folder)
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True, model_max_length=160)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def trained(uncased_bert, gene_corpus, tmp_path_factory):
    """{(head, features): model-last folder}, 2 steps each on the uncased tiny BERT."""
    out = {}
    for head in HEADS:
        for features in ((), ("lexical",)):
            folder = tmp_path_factory.mktemp(f"lex-{head}-{len(features)}")
            train_regime(CONFIG, read_regime(REGIMES / "full.cfg"), folder, overrides(gene_corpus, uncased_bert),
                         head=head, features=features)
            out[head, features] = folder / "model-last"
    return out


def token_vectors(nlp, text: str) -> numpy.ndarray:
    """What the NER head reads: its tok2vec's output for `text`."""
    from spacy.pipeline import EntityRecognizer

    doc = nlp.get_pipe("transformer")(nlp.make_doc(text))
    ner = nlp.get_pipe("ner")
    tok2vec = ner.model.get_ref("tok2vec")
    if isinstance(ner, EntityRecognizer):  # the parser's tok2vec is chain(<the config's tok2vec>, list2array, Linear)
        tok2vec = tok2vec.layers[0]
    return numpy.asarray(tok2vec.predict([doc])[0])


@pytest.mark.parametrize("head", HEADS)
def test_features_file_wraps_the_heads_listener(head):
    config = compose_config(CONFIG, None if head == "transition" else ROOT / "configs" / "heads" / "token.cfg")
    listener = dict(config["components"]["ner"]["model"]["tok2vec"])
    apply_features(config, feature_paths(FEATURES, "lexical"))
    block = config["components"]["ner"]["model"]["tok2vec"]
    assert block["@architectures"] == "spacy_maize_ner.TransformerWithLexical.v1"
    assert dict(block["listener"]) == listener  # the head's listener and its pooling are kept


def test_no_features_leave_the_config_alone():
    config = compose_config(CONFIG)
    before = config.to_str()
    apply_features(config, feature_paths(FEATURES, "none"))
    assert config.to_str() == before


def test_unknown_features_name_the_known_ones():
    with pytest.raises(FileNotFoundError, match="lexical"):
        feature_paths(FEATURES, "lexicon")


def test_mismatched_attrs_and_rows_is_a_clear_error():
    from thinc.api import noop

    with pytest.raises(ValueError, match="one hash-table size per attribute"):
        build_transformer_with_lexical(noop(), attrs=["NORM", "SHAPE"], rows=[100])


@pytest.mark.parametrize("head", HEADS)
def test_case_changes_the_vectors_only_with_features(trained, head):
    plain = spacy.load(trained[head, ()])
    lexical = spacy.load(trained[head, ("lexical",)])
    upper, lower = "We cloned TB1 from the B73 inbred line .", "We cloned tb1 from the B73 inbred line ."
    # without features the uncased encoder cannot tell them apart
    assert numpy.array_equal(token_vectors(plain, upper), token_vectors(plain, lower))
    with_case, without = token_vectors(lexical, upper), token_vectors(lexical, lower)
    width = token_vectors(plain, upper).shape[1]
    assert with_case.shape[1] == width + 64
    assert not numpy.allclose(with_case[2], without[2])  # the token whose case changed
    assert numpy.array_equal(with_case[0, :width], without[0, :width])  # the encoder's part stays uncased


@pytest.mark.parametrize("head", HEADS)
def test_lexical_pipeline_round_trips(trained, head, tmp_path):
    texts = ["Expression of ZmCCT9 was higher in the mutant lines .", "We cloned Vgt1 and TB1 from B73 ."]
    nlp = spacy.load(trained[head, ("lexical",)])
    docs = list(nlp.pipe(texts))
    nlp.to_disk(tmp_path / "copy")
    again = spacy.load(tmp_path / "copy")
    for text, a, b in zip(texts, docs, again.pipe(texts)):
        assert [(e.start, e.end, e.label_) for e in a.ents] == [(e.start, e.end, e.label_) for e in b.ents]
        assert numpy.array_equal(token_vectors(nlp, text), token_vectors(again, text))


def test_trained_meta_and_config_record_the_features(trained):
    meta = spacy.load(trained["token", ("lexical",)]).meta["maize_ner"]
    assert meta["features"] == ["lexical"]
    config = Config().from_disk(trained["token", ("lexical",)] / "config.cfg", interpolate=False)
    assert config["components"]["ner"]["factory"] == "maize_token_ner"
    assert config["components"]["ner"]["model"]["tok2vec"]["@architectures"] == "spacy_maize_ner.TransformerWithLexical.v1"


@pytest.mark.slow  # a fresh process importing torch; entry points resolve fresh in test_entry_points.py
def test_lexical_pipeline_loads_in_a_fresh_process(trained, tmp_path):
    """The architecture is found through its entry point (setup.cfg), with no import of ours."""
    import subprocess
    import sys

    code = "import spacy; nlp = spacy.load(%r); print(len(nlp('We cloned TB1 from B73 .')))" % str(trained["transition", ("lexical",)])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "6"


def test_the_full_regime_trains_with_case_and_shape_unless_told_otherwise():
    from spacy_maize_ner.study.training.regimes import regime_features

    full, probe = read_regime(REGIMES / "full.cfg"), read_regime(REGIMES / "probe.cfg")
    assert full.features == ("lexical",)
    assert {read_regime(REGIMES / f"{name}.cfg").features for name in ("probe", "none", "freeze", "lora")} == {()}
    assert regime_features(full) == regime_features(full, None) == regime_features(full, "regime") == ("lexical",)
    assert regime_features(full, "none") == regime_features(full, ()) == ()
    assert regime_features(probe, "lexical") == ("lexical",)


def test_a_regime_files_features_must_name_feature_files(tmp_path):
    path = tmp_path / "odd.cfg"
    path.write_text('[regime]\nname = "odd"\ntrain = true\nfeatures = "regime"\n\n[config]\n')
    with pytest.raises(ValueError, match="odd.cfg"):
        read_regime(path)


def test_train_regime_applies_the_regimes_features_by_default(uncased_bert, gene_corpus, tmp_path):
    from spacy_maize_ner.study.training.train import regime_config

    full = read_regime(REGIMES / "full.cfg")
    _, _, config = regime_config(CONFIG, full, tmp_path / "a", overrides(gene_corpus, uncased_bert))
    assert config["components"]["ner"]["model"]["tok2vec"]["@architectures"] == "spacy_maize_ner.TransformerWithLexical.v1"
    _, _, config = regime_config(CONFIG, full, tmp_path / "b", overrides(gene_corpus, uncased_bert), features=())
    assert config["components"]["ner"]["model"]["tok2vec"]["@architectures"] == "spacy-transformers.TransformerListener.v1"
