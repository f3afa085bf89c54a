"""The token-classification head `maize_token_ner` and its constrained decoding."""
import itertools
from pathlib import Path

import numpy
import pytest

from spacy_maize_ner.tags import constraints, id_spans, is_valid, tag_names, viterbi, viterbi_batch

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "transformer.cfg"
REGIMES = ROOT / "configs" / "regimes"


@pytest.mark.parametrize("scheme", ["BIO", "BILUO"])
def test_viterbi_never_emits_an_invalid_sequence(scheme):
    """Property test: over random scores (sharp and flat) every decoded sequence is valid."""
    rng = numpy.random.default_rng(0)
    for labels in (["GENE"], ["Chemical", "Disease"], ["A", "B", "C"]):
        tags = tag_names(labels, scheme)
        allowed = constraints(tags, scheme)
        for trial in range(300):
            n = int(rng.integers(0, 25))
            scores = rng.normal(scale=float(rng.choice([0.1, 1.0, 10.0])), size=(n, len(tags)))
            path = viterbi(scores, allowed)
            assert len(path) == n
            assert is_valid(list(path), allowed), (scheme, [tags[i] for i in path])


@pytest.mark.parametrize("scheme", ["BIO", "BILUO"])
def test_viterbi_is_the_best_valid_sequence(scheme):
    """Against brute force over every valid sequence of short inputs."""
    rng = numpy.random.default_rng(1)
    tags = tag_names(["GENE", "X"], scheme)
    allowed = constraints(tags, scheme)
    for n in range(1, 5):
        for _ in range(20):
            scores = rng.normal(size=(n, len(tags)))
            best = max(
                (p for p in itertools.product(range(len(tags)), repeat=n) if is_valid(p, allowed)),
                key=lambda p: sum(scores[i, t] for i, t in enumerate(p)),
            )
            assert tuple(viterbi(scores, allowed)) == best


def test_batched_viterbi_equals_one_by_one():
    rng = numpy.random.default_rng(2)
    tags = tag_names(["GENE"], "BILUO")
    allowed = constraints(tags, "BILUO")
    batch = [rng.normal(size=(n, len(tags))) for n in (0, 1, 7, 3, 12)]
    for together, alone in zip(viterbi_batch(batch, allowed), batch):
        assert list(together) == list(viterbi(alone, allowed))


def test_invalid_sequences_are_recognised():
    tags = tag_names(["GENE"], "BIO")
    allowed = constraints(tags, "BIO")
    index = {t: i for i, t in enumerate(tags)}
    assert not is_valid([index["O"], index["I-GENE"]], allowed)
    assert not is_valid([index["I-GENE"]], allowed)
    assert is_valid([index["B-GENE"], index["I-GENE"], index["O"]], allowed)
    biluo = tag_names(["GENE"], "BILUO")
    allowed = constraints(biluo, "BILUO")
    index = {t: i for i, t in enumerate(biluo)}
    assert not is_valid([index["B-GENE"], index["O"]], allowed)
    assert not is_valid([index["B-GENE"]], allowed)
    assert is_valid([index["B-GENE"], index["L-GENE"], index["U-GENE"]], allowed)


def test_spans_decode_both_schemes():
    bio = tag_names(["GENE"], "BIO")
    i = {t: k for k, t in enumerate(bio)}
    assert id_spans([i["B-GENE"], i["I-GENE"], i["O"], i["B-GENE"], i["B-GENE"]], bio) == [(0, 2, "GENE"), (3, 4, "GENE"), (4, 5, "GENE")]
    biluo = tag_names(["GENE"], "BILUO")
    j = {t: k for k, t in enumerate(biluo)}
    assert id_spans([j["U-GENE"], j["B-GENE"], j["I-GENE"], j["L-GENE"], j["O"]], biluo) == [(0, 1, "GENE"), (1, 4, "GENE")]


def test_unknown_scheme_is_a_clear_error():
    with pytest.raises(ValueError, match="BIO"):
        tag_names(["GENE"], "BIOX")


# --- the component on a tiny random BERT ---------------------------------------------

spacy = pytest.importorskip("spacy")
pytest.importorskip("spacy_transformers")

from tiny_training import overrides  # noqa: E402

from spacy_maize_ner.study.training.regimes import read_regime  # noqa: E402
from spacy_maize_ner.study.training.train import train_regime  # noqa: E402


def ents(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


@pytest.fixture(scope="module")
def token_head(tiny_bert, gene_corpus, tmp_path_factory):
    folder = tmp_path_factory.mktemp("trf-token")
    extra = {
        "training.max_steps": 60,
        "training.eval_frequency": 30,
        "training.optimizer.groups.head.learn_rate.initial_rate": 0.01,
        "training.optimizer.groups.head.learn_rate.warmup_steps": 1,
    }
    train_regime(CONFIG, read_regime(REGIMES / "full.cfg"), folder, overrides(gene_corpus, tiny_bert, **extra), head="token")
    return folder


def test_token_head_learns(token_head, gene_corpus):
    from spacy_maize_ner.study.evaluation.scoring import evaluate_pipeline

    nlp = spacy.load(token_head / "model-last")
    assert nlp.get_pipe_meta("ner").factory == "maize_token_ner"
    assert nlp.get_pipe("ner").labels == ("GENE",)
    scores = evaluate_pipeline(nlp, gene_corpus / "dev.spacy", name="token")
    # the synthetic genes are distinctive: 60 steps on a random tiny BERT learn them well
    assert scores["ents_f"] > 0.5, scores["ents_f"]


def test_token_head_save_load_predicts_identically(token_head, tmp_path):
    texts = ["Expression of ZmCCT9 was higher in the mutant lines .", "We cloned Vgt1 and tb1 from B73 ."]
    nlp = spacy.load(token_head / "model-last")
    first = [ents(d) for d in nlp.pipe(texts)]
    nlp.to_disk(tmp_path / "copy")
    again = spacy.load(tmp_path / "copy")
    assert [ents(d) for d in again.pipe(texts)] == first
    assert again.get_pipe("ner").to_bytes() == nlp.get_pipe("ner").to_bytes()


def test_token_head_predictions_are_valid_sequences(token_head):
    nlp = spacy.load(token_head / "model-last")
    ner = nlp.get_pipe("ner")
    docs = [nlp.make_doc(t) for t in ["ZmCCT9 and Vgt1 tb1 in B73 lines .", "no genes here at all ."]]
    for doc in docs:
        nlp.get_pipe("transformer")(doc)
    for ids in ner.predict(docs):
        assert is_valid(list(ids), ner.allowed)


def test_transition_head_is_the_default(tiny_bert, gene_corpus, tmp_path):
    best = train_regime(CONFIG, read_regime(REGIMES / "full.cfg"), tmp_path, overrides(gene_corpus, tiny_bert))
    nlp = spacy.load(best)
    assert nlp.get_pipe_meta("ner").factory == "ner"
    assert nlp.meta["maize_ner"]["head"] == "transition"
    assert nlp.config["components"]["ner"]["model"]["@architectures"] == "spacy.TransitionBasedParser.v2"
    doc = nlp("ZmCCT9 was expressed .")
    assert doc.has_annotation("ENT_IOB")  # the loaded head ran on the listener's vectors


def test_unknown_head_names_the_known_ones(tiny_bert, gene_corpus, tmp_path):
    with pytest.raises(FileNotFoundError, match="token"):
        train_regime(CONFIG, read_regime(REGIMES / "full.cfg"), tmp_path, overrides(gene_corpus, tiny_bert), head="crf-layer")


# The transition head's CLI run is slow (a second `spacy train` process); in-process training of
# the default head is test_transition_head_is_the_default.
@pytest.mark.parametrize("head,factory", [pytest.param("transition", "ner", marks=pytest.mark.slow),
                                          ("token", "maize_token_ner")])
def test_spacy_train_cli_trains_either_head(tiny_bert, gene_corpus, tmp_path, head, factory):
    """Plain `spacy train` (no project scripts) on the config, or on it composed with a head file."""
    import json
    import subprocess
    import sys

    from spacy_maize_ner.study.training.regimes import compose_config, head_file

    config = tmp_path / "config.cfg"
    compose_config(CONFIG, head_file(ROOT / "configs" / "heads", head)).to_disk(config)
    args = [f"--{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in overrides(gene_corpus, tiny_bert).items()]
    run = subprocess.run(
        [sys.executable, "-m", "spacy", "train", str(config), "--output", str(tmp_path / "out"), *args],
        capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert spacy.load(tmp_path / "out" / "model-last").get_pipe_meta("ner").factory == factory


def test_step_budget_fits_the_schedule():
    from spacy_maize_ner.study.training.train import fit_schedule_to_budget
    from spacy.util import load_config

    config = load_config(CONFIG, overrides={"training.max_steps": 150}, interpolate=False)
    assert fit_schedule_to_budget(config, {}) == {
        "training.optimizer.learn_rate.total_steps": 150,
        "training.optimizer.learn_rate.warmup_steps": 15,
    }
    explicit = {"training.optimizer.learn_rate.warmup_steps": 3}
    assert fit_schedule_to_budget(config, explicit) == {"training.optimizer.learn_rate.total_steps": 150}
    assert fit_schedule_to_budget(load_config(CONFIG, interpolate=False), {}) == {}


def test_report_marks_reduced_budgets():
    from spacy_maize_ner.study.evaluation.report import regime_lines

    row = {"pipeline": "minilm-full", "maize_ner": {"regime": "full", "head": "token", "encoder": "e",
                                                   "budget": {"max_steps": 150, "max_epochs": 3, "train_limit": 3000}}}
    text = "\n".join(regime_lines([row]))
    assert "150 steps on 3,000 training docs" in text and "Reduced training budget" in text
    row["maize_ner"]["budget"] = {"max_steps": 0, "max_epochs": 3, "train_limit": 0}
    assert "Reduced training budget" not in "\n".join(regime_lines([row]))


def test_crf_loss_gradient_matches_finite_differences():
    from spacy_maize_ner.heads.crf_layer import crf_loss

    rng = numpy.random.default_rng(3)
    tags = tag_names(["GENE"], "BIO")
    allowed = constraints(tags, "BIO")
    emissions, T = rng.normal(size=(5, 3)), rng.normal(size=(3, 3))
    gold = numpy.array([0, 1, 2, 0, 1])  # O B I O B
    loss, d_em, d_T = crf_loss(emissions, gold, T, allowed)
    eps = 1e-6
    for (i, j) in [(0, 0), (2, 1), (4, 2)]:
        bumped = emissions.copy()
        bumped[i, j] += eps
        assert abs((crf_loss(bumped, gold, T, allowed)[0] - loss) / eps - d_em[i, j]) < 1e-4
    for (i, j) in [(1, 2), (0, 1), (2, 0)]:
        bumped = T.copy()
        bumped[i, j] += eps
        assert abs((crf_loss(emissions, gold, bumped, allowed)[0] - loss) / eps - d_T[i, j]) < 1e-4
    # the likelihood is over valid sequences only: it equals brute force
    paths = [p for p in itertools.product(range(3), repeat=5) if is_valid(p, allowed)]
    score = lambda p: sum(emissions[k, t] for k, t in enumerate(p)) + sum(T[a, b] for a, b in zip(p, p[1:]))
    log_z = numpy.log(sum(numpy.exp(score(p)) for p in paths))
    assert abs(loss - (log_z - score(tuple(gold)))) < 1e-9


def test_crf_layer_trains_and_round_trips(tiny_bert, gene_corpus, tmp_path):
    extra = {
        "training.max_steps": 60,
        "training.eval_frequency": 30,
        "components.ner.model.crf": True,
        "training.optimizer.groups.head.learn_rate.initial_rate": 0.01,
        "training.optimizer.groups.head.learn_rate.warmup_steps": 1,
    }
    train_regime(CONFIG, read_regime(REGIMES / "full.cfg"), tmp_path, overrides(gene_corpus, tiny_bert, **extra), head="token")
    nlp = spacy.load(tmp_path / "model-last")
    ner = nlp.get_pipe("ner")
    T = ner.transitions.get_param("T")
    assert T.shape == (3, 3) and numpy.abs(T).sum() > 0  # learned, not the zero init
    texts = ["Expression of ZmCCT9 was higher in the mutant lines .", "We cloned Vgt1 and tb1 from B73 ."]
    first = [ents(d) for d in nlp.pipe(texts)]
    nlp.to_disk(tmp_path / "copy")
    assert [ents(d) for d in spacy.load(tmp_path / "copy").pipe(texts)] == first
    from spacy_maize_ner.study.evaluation.scoring import evaluate_pipeline

    assert evaluate_pipeline(nlp, gene_corpus / "dev.spacy", name="crf")["ents_f"] > 0.5


def test_demo_budget_evaluates_in_training_on_a_dev_subset():
    """The demo's in-training evaluations only pick model-best: a 1,000-sentence subset keeps
    `make demo` short (`evaluate` scores the whole dev split for the reported rows)."""
    from spacy_maize_ner.study.training.train import budget_overrides
    from spacy.util import load_config

    overrides = budget_overrides(ROOT / "configs" / "budgets" / "demo.cfg", cli={"training.max_steps": 150})
    config = load_config(CONFIG, overrides=overrides, interpolate=False)
    assert config["corpora"]["dev"]["limit"] == 1000
    assert config["corpora"]["train"]["limit"] == 3000
