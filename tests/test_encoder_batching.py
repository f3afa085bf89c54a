"""Inference in length-sorted chunks (spacy_maize_ner/encoders/batching.py): same vectors, less padding."""
from pathlib import Path

import pytest

pytest.importorskip("spacy_transformers")

import numpy  # noqa: E402
import spacy  # noqa: E402

from spacy_maize_ner.encoders.batching import DEFAULT_CHUNK_ROWS, _right_padded_lengths, chunks_by_length, use_sorted_chunks  # noqa: E402
from spacy_maize_ner.study.training.regimes import read_regime  # noqa: E402
from spacy_maize_ner.study.training.train import train_regime  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORDS = "the maize gene tb1 encodes a TCP factor that represses branching in Zea mays and ZmMADS1 binds its promoter".split()


@pytest.fixture(scope="module")
def pipeline(tiny_bert, gene_corpus, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("chunks")
    overrides = {"paths.train": str(gene_corpus / "train.spacy"), "paths.dev": str(gene_corpus / "dev.spacy"),
                 "paths.encoder": str(tiny_bert), "training.max_steps": 2, "training.max_epochs": 0,
                 "training.logger.progress_bar": False}
    train_regime(ROOT / "configs" / "transformer.cfg", read_regime(ROOT / "configs" / "regimes" / "full.cfg"), folder, overrides)
    return folder / "model-last"


def texts(n: int = 40) -> list:
    """Documents of 1 to 40 words: one strided span each, of very different lengths."""
    return [" ".join(WORDS[j % len(WORDS)] for j in range(i, i + 1 + (i * 7) % 40)) for i in range(n)]


def widths_seen(nlp) -> list:
    """Record the (rows, width) of every encoder call of the loaded pipeline."""
    shim = nlp.get_pipe("transformer").model.layers[0].shims[0]
    seen, forward = [], shim._model.forward

    def spy(*args, **kwargs):
        seen.append(tuple(kwargs["input_ids"].shape))
        return forward(*args, **kwargs)

    shim._model.forward = spy
    return seen


def test_chunks_are_sorted_by_length_and_cover_every_row():
    lengths = [5, 1, 9, 3, 9, 2, 7]
    chunks = chunks_by_length(lengths, 3)
    assert [len(c) for c in chunks] == [3, 3, 1]
    assert sorted(i for c in chunks for i in c) == list(range(7))
    flat = [lengths[i] for c in chunks for i in c]
    assert flat == sorted(lengths)


def test_only_right_padding_is_trimmed():
    import torch

    right = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]])
    assert _right_padded_lengths(right) == [3, 2, 4]
    left = torch.tensor([[0, 1, 1, 1], [1, 1, 1, 1]])
    assert _right_padded_lengths(left) is None


def test_a_loaded_pipeline_reads_chunks_of_its_own_width_with_the_same_vectors_and_entities(pipeline):
    nlp = spacy.load(pipeline)
    trf = nlp.get_pipe("transformer").model
    assert trf.layers[0]._func.chunk_rows == DEFAULT_CHUNK_ROWS  # the default, also for a pipeline loaded from disk
    docs = [nlp.make_doc(t) for t in texts()]
    seen = widths_seen(nlp)
    chunked = trf.predict(docs)
    assert DEFAULT_CHUNK_ROWS == 8 and [rows for rows, _ in seen] == [8] * 5  # 40 spans in chunks of 8
    assert seen[0][1] < seen[-1][1] == chunked.model_output.last_hidden_state.shape[1]  # short rows read short
    seen.clear()
    use_sorted_chunks(trf, 0)
    plain = trf.predict(docs)
    assert len(seen) == 1 and seen[0][0] == 40  # spacy-transformers' one padded tensor
    mask = plain.wordpieces.attention_mask.astype(bool)
    a = chunked.model_output.last_hidden_state.detach().numpy()
    b = plain.model_output.last_hidden_state.detach().numpy()
    assert a.shape == b.shape
    assert numpy.allclose(a[mask], b[mask], atol=1e-5)
    use_sorted_chunks(trf, 0)
    ents_plain = [[(e.start, e.end, e.label_) for e in d.ents] for d in nlp.pipe(texts(), batch_size=64)]
    use_sorted_chunks(trf, DEFAULT_CHUNK_ROWS)
    ents_chunked = [[(e.start, e.end, e.label_) for e in d.ents] for d in nlp.pipe(texts(), batch_size=64)]
    assert ents_chunked == ents_plain


def test_a_small_batch_and_training_run_as_spacy_transformers_does(pipeline):
    from spacy.training import Example
    from thinc.api import Adam

    nlp = spacy.load(pipeline)
    seen = widths_seen(nlp)
    list(nlp.pipe(texts(DEFAULT_CHUNK_ROWS), batch_size=64))  # one chunk's spans: nothing to sort
    assert [rows for rows, _ in seen] == [DEFAULT_CHUNK_ROWS]
    seen.clear()
    examples = [Example(nlp.make_doc(t), nlp.make_doc(t)) for t in texts(40)]
    nlp.update(examples, sgd=Adam(1e-6))  # is_train: one tensor, with gradients
    assert [rows for rows, _ in seen] == [40]


def test_the_chunk_size_is_a_config_value(pipeline):
    config = spacy.load(pipeline).config
    assert config["components"]["transformer"]["model"]["inference_chunk_rows"] == DEFAULT_CHUNK_ROWS
    nlp = spacy.load(pipeline, config={"components.transformer.model.inference_chunk_rows": 0})
    seen = widths_seen(nlp)
    list(nlp.pipe(texts(), batch_size=64))
    assert [rows for rows, _ in seen] == [40]
