"""int8 inference (spacy_maize_ner/encoders/quantize.py) on the tiny BERT."""
from pathlib import Path

import pytest

pytest.importorskip("spacy_transformers")

import numpy  # noqa: E402
import spacy  # noqa: E402
import torch  # noqa: E402

from spacy_maize_ner.annotate.run import load_int8  # noqa: E402
from spacy_maize_ner.encoders.quantize import (COMPONENT, encoder_module, inference_meta, is_quantized,  # noqa: E402
                                               quantize_pipeline, write_cpu_pipeline)
from spacy_maize_ner.study.training.regimes import read_regime  # noqa: E402
from spacy_maize_ner.study.training.train import train_regime  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ["Expression of ZmCCT9 was higher in the mutant lines . We cloned Vgt1 from the B73 inbred line .",
         "The tb1 allele delays flowering under long days ."]


@pytest.fixture(scope="module")
def pipeline(tiny_bert, gene_corpus, tmp_path_factory) -> Path:
    """The tiny transformer pipeline, trained 2 steps (transition head)."""
    folder = tmp_path_factory.mktemp("int8")
    overrides = {"paths.train": str(gene_corpus / "train.spacy"), "paths.dev": str(gene_corpus / "dev.spacy"),
                 "paths.encoder": str(tiny_bert), "training.max_steps": 2, "training.max_epochs": 0,
                 "training.eval_frequency": 2, "training.logger.progress_bar": False, "training.batcher.size": 300}
    train_regime(ROOT / "configs" / "transformer.cfg", read_regime(ROOT / "configs" / "regimes" / "full.cfg"), folder, overrides)
    return folder / "model-last"


def hidden(nlp):
    return [numpy.asarray(d._.trf_data.model_output.last_hidden_state) for d in nlp.pipe(TEXTS)]


def test_linear_layers_become_int8_and_outputs_stay_close(pipeline):
    nlp = spacy.load(pipeline)
    before = hidden(nlp)
    _, shim = encoder_module(nlp)
    n_linear = sum(1 for m in shim._model.modules() if type(m) is torch.nn.Linear)
    report = quantize_pipeline(nlp)
    assert report.linear_layers == n_linear > 0
    assert not any(type(m) is torch.nn.Linear for m in shim._model.modules())
    quantized = [m for m in shim._model.modules() if isinstance(m, torch.ao.nn.quantized.dynamic.Linear)]
    assert len(quantized) == n_linear
    # one scale per output channel (per tensor lost 0.86 F1 more on the MiniLM pipeline)
    assert {m.weight().qscheme() for m in quantized} == {torch.per_channel_affine}
    assert report.int8_bytes < report.float_bytes
    after = hidden(nlp)
    for a, b in zip(before, after):
        assert a.shape == b.shape
        assert not numpy.array_equal(a, b)  # it did change the arithmetic ...
        cos = (a * b).sum(-1) / (numpy.linalg.norm(a, axis=-1) * numpy.linalg.norm(b, axis=-1))
        assert cos.min() > 0.99  # ... and the vectors point the same way
    assert quantize_pipeline(nlp).linear_layers == 0  # a second call is a no-op


def test_per_matrix_scales_for_comparison_and_a_bad_value_refused(pipeline):
    nlp = spacy.load(pipeline)
    with pytest.raises(ValueError, match="per_channel"):
        quantize_pipeline(nlp, scales="per_row")
    quantize_pipeline(nlp, scales="per_tensor")
    _, shim = encoder_module(nlp)
    schemes = {m.weight().qscheme() for m in shim._model.modules() if isinstance(m, torch.ao.nn.quantized.dynamic.Linear)}
    assert schemes == {torch.per_tensor_affine}


def test_a_quantized_pipeline_refuses_to_be_saved(pipeline, tmp_path):
    nlp = spacy.load(pipeline)
    quantize_pipeline(nlp)
    with pytest.raises(ValueError, match="write_cpu_pipeline"):
        nlp.to_disk(tmp_path / "copy")


def test_cpu_pipeline_quantizes_itself_when_loaded(pipeline, tmp_path):
    out = write_cpu_pipeline(pipeline, tmp_path / "cpu")
    assert not is_quantized(spacy.load(pipeline))
    nlp = spacy.load(out)
    assert is_quantized(nlp)
    assert nlp.pipe_names == ["maize_sentencizer", "transformer", COMPONENT, "ner"]
    assert inference_meta(out)["int8"] and inference_meta(out)["sentence_spans"]
    docs = list(nlp.pipe(TEXTS))
    assert docs[0]._.trf_data.model_output.last_hidden_state.shape[0] == 2  # two sentences, one row each
    packed = spacy.load(write_cpu_pipeline(pipeline, tmp_path / "packed", pack=True))
    assert packed(TEXTS[0])._.trf_data.model_output.last_hidden_state.shape[0] == 1  # both sentences in one span
    assert inference_meta(tmp_path / "packed")["pack"]
    # the same predictions as quantizing the float pipeline with sentence spans by hand
    from spacy_maize_ner.encoders.spans import use_sentence_spans

    by_hand = use_sentence_spans(spacy.load(pipeline))
    quantize_pipeline(by_hand)
    for a, b in zip(docs, by_hand.pipe(TEXTS)):
        assert [(e.start, e.end, e.label_) for e in a.ents] == [(e.start, e.end, e.label_) for e in b.ents]
        assert numpy.allclose(a._.trf_data.model_output.last_hidden_state, b._.trf_data.model_output.last_hidden_state)
    # a CPU pipeline written again from the int8 one: no double component, float weights on disk
    again = write_cpu_pipeline(out, tmp_path / "again", int8=False)
    assert COMPONENT not in spacy.load(again).pipe_names


def test_cpu_pipeline_never_overwrites(pipeline, tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        write_cpu_pipeline(pipeline, target)
    assert (target / "keep.txt").read_text() == "mine"


def test_int8_on_gpu_or_without_encoder_is_a_clear_error(pipeline, crf_model):
    with pytest.raises(ValueError, match="CPU"):
        load_int8(pipeline, gpu_id=0)
    with pytest.raises(ValueError, match="no encoder"):
        quantize_pipeline(spacy.load(crf_model))


def test_load_int8_quantizes(pipeline):
    assert is_quantized(load_int8(str(pipeline)))


@pytest.mark.slow  # a fresh process importing torch; entry points resolve fresh in test_entry_points.py
def test_cpu_pipeline_loads_in_a_fresh_process(pipeline, tmp_path):
    """Entry points (setup.cfg) find maize_int8 and sentence_spans.v1 without any import of ours."""
    import subprocess
    import sys

    out = write_cpu_pipeline(pipeline, tmp_path / "cpu")
    code = ("import spacy, torch; nlp = spacy.load(%r); nlp(%r); "
            "m = [s for n in nlp.get_pipe('transformer').model.walk() for s in n.shims][0]._model; "
            "print(nlp.pipe_names, any(isinstance(x, torch.ao.nn.quantized.dynamic.Linear) for x in m.modules()))") % (str(out), TEXTS[0])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "['maize_sentencizer', 'transformer', 'maize_int8', 'ner'] True"


def test_annotate_int8_quantizes_after_loading(pipeline, tmp_path, monkeypatch):
    import json

    from typer.testing import CliRunner

    from spacy_maize_ner.cli import app
    from spacy_maize_ner.encoders import quantize

    seen = []
    original = quantize.quantize_pipeline
    monkeypatch.setattr(quantize, "quantize_pipeline", lambda nlp, **kw: seen.append(nlp) or original(nlp, **kw))
    texts = tmp_path / "in.jsonl"
    texts.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    result = CliRunner().invoke(app, ["annotate", str(pipeline), str(texts), str(tmp_path / "out.jsonl"), "--int8", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert len(seen) == 1 and is_quantized(seen[0])
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 2


@pytest.mark.parametrize("extra, problem", [(["--gpu-id", "0"], "CPU"), (["--ray"], "not available with --ray")])
def test_annotate_int8_refusals_are_one_paragraph(pipeline, tmp_path, extra, problem):
    from typer.testing import CliRunner

    from spacy_maize_ner.cli import app

    texts = tmp_path / "in.txt"
    texts.write_text(TEXTS[0] + "\n")
    result = CliRunner().invoke(app, ["annotate", str(pipeline), str(texts), str(tmp_path / "out.jsonl"), "--int8", *extra])
    assert result.exit_code == 1
    assert problem in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out.jsonl").exists()


def test_annotate_reads_a_cpu_pipeline(pipeline, tmp_path):
    import json

    from typer.testing import CliRunner

    from spacy_maize_ner.cli import app

    cpu = write_cpu_pipeline(pipeline, tmp_path / "cpu", pack=True)
    texts = tmp_path / "in.jsonl"
    texts.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    result = CliRunner().invoke(app, ["annotate", str(cpu), str(texts), str(tmp_path / "out.jsonl"), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in (tmp_path / "out.jsonl").read_text().splitlines()] == ["d0", "d1"]
