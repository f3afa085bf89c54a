"""scripts/evaluate.py --gpu-id: the project's evaluate steps follow vars.gpu_id."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_a_gpu_that_is_not_there_is_a_clear_error_and_writes_nothing(gene_corpus, tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    import spacy

    model = tmp_path / "rules" / "model-best"
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    model.mkdir(parents=True)
    nlp.to_disk(model)
    output = tmp_path / "metrics"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "evaluate.py"), str(model), "--corpus-dir", str(gene_corpus),
                           "--output", str(output), "--gpu-id", "0"], capture_output=True, text=True)
    assert proc.returncode == 1 and "--gpu-id -1" in proc.stdout + proc.stderr
    assert not output.exists()
    ok = subprocess.run([sys.executable, str(ROOT / "scripts" / "evaluate.py"), str(model), "--corpus-dir", str(gene_corpus),
                         "--output", str(output), "--gpu-id", "-1"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert (output / "rules.json").exists()
