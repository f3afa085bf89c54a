from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

MARKERS = {
    "slow": "--runslow",
    "gpu": "--rungpu",
    "external": "--runexternal",
}


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="run tests marked slow")
    parser.addoption("--rungpu", action="store_true", help="run tests marked gpu")
    parser.addoption("--runexternal", action="store_true", help="run tests marked external")


def pytest_collection_modifyitems(config, items):
    for marker, option in MARKERS.items():
        if config.getoption(option):
            continue
        skip = pytest.mark.skip(reason=f"marked {marker}: run with {option}")
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The public corpora beside the checkout (../shared/data), as in CI."""
    if not SHARED_DATA.exists():
        pytest.skip(f"{SHARED_DATA} not found")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    """A tiny random cased BERT folder (tests/tiny_bert.py); needs the transformers extra."""
    pytest.importorskip("spacy_transformers")
    from tiny_bert import write_tiny_bert

    return write_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def gene_corpus(tmp_path_factory) -> Path:
    """train.spacy / dev.spacy of synthetic maize sentences with GENE entities."""
    import spacy
    from spacy.tokens import Doc, DocBin
    from spacy.training.iob_utils import biluo_tags_to_spans, iob_to_biluo

    from synthetic import maize_sentences

    nlp = spacy.blank("en")
    folder = tmp_path_factory.mktemp("gene-corpus")
    for split, n, seed in (("train", 60, 0), ("dev", 20, 1)):
        db = DocBin()
        for words, tags in maize_sentences(n, seed=seed):
            doc = Doc(nlp.vocab, words=words)
            doc.ents = biluo_tags_to_spans(doc, iob_to_biluo(tags))
            db.add(doc)
        db.to_disk(folder / f"{split}.spacy")
    return folder


@pytest.fixture(scope="session")
def crf_model(tmp_path_factory) -> Path:
    """A CRF pipeline (configs/crf.cfg, 30 L-BFGS iterations) trained on synthetic maize sentences, on disk."""
    import spacy
    from spacy.tokens import Doc, Span
    from spacy.training import Example
    from thinc.api import Config

    from spacy_maize_ner.tags import tags_to_spans
    from synthetic import maize_sentences

    config = Config().from_disk(ROOT / "configs" / "crf.cfg")
    config["components"]["crf_ner"]["max_iterations"] = 30
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    train = []
    for words, tags in maize_sentences(80, seed=3):
        doc = Doc(nlp.vocab, words=words)
        doc.ents = [Span(doc, s, e, label=label) for s, e, label in tags_to_spans(tags)]
        train.append(doc)
    nlp.initialize(lambda: [Example(nlp.make_doc(d.text), d) for d in train])
    path = tmp_path_factory.mktemp("crf-model") / "model"
    nlp.to_disk(path)
    return path
