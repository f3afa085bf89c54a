"""benchmarks/bench_transformers.py: the flags become the overrides a run trains with."""
import sys
from pathlib import Path

from thinc.api import Config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def test_total_steps_moves_the_schedule_and_leaves_the_budget_and_evaluations_alone(tmp_path):
    from bench_transformers import overrides_for

    LR = "training.optimizer.learn_rate"
    config = Config().from_disk(ROOT / "configs" / "transformer.cfg", interpolate=False)
    epochs = config["training"]["max_epochs"]
    shipped = overrides_for(tmp_path, tmp_path / "enc", 0, epochs=epochs, lr=2e-4, batch_words=1000)
    fitted = overrides_for(tmp_path, tmp_path / "enc", 0, epochs=epochs, lr=2e-4, batch_words=1000, total_steps=436)
    schedule, training = config["training"]["optimizer"]["learn_rate"], config["training"]
    # the defaults are the shipped config's, so the benchmark's rows describe what users train
    assert shipped[f"{LR}.total_steps"] == schedule["total_steps"] and shipped[f"{LR}.warmup_steps"] == schedule["warmup_steps"]
    assert shipped["training.eval_frequency"] == training["eval_frequency"]
    assert shipped["training.batcher.size"] == training["batcher"]["size"]
    assert shipped["training.max_epochs"] == training["max_epochs"] == 4  # the best budget measured
    assert (fitted[f"{LR}.total_steps"], fitted[f"{LR}.warmup_steps"]) == (436, 43)
    changed = {key for key in shipped if shipped[key] != fitted[key]}
    assert changed == {f"{LR}.total_steps", f"{LR}.warmup_steps"}


def test_the_benchmark_trains_the_shipped_epochs_unless_told_otherwise():
    import inspect

    import bench_transformers

    config = Config().from_disk(ROOT / "configs" / "transformer.cfg", interpolate=False)
    run_default = inspect.signature(bench_transformers.run).parameters["epochs"].default.default
    job_default = inspect.signature(bench_transformers.job).parameters["epochs"].default
    assert run_default == job_default == config["training"]["max_epochs"]


def test_the_crf_layer_is_refused_for_a_head_that_has_none(tmp_path):
    """--crf belongs to the token head; asked of the transition head it is an error before any
    corpus is built or any model trained."""
    from typer.testing import CliRunner

    import bench_transformers

    result = CliRunner().invoke(bench_transformers.app, ["job", "minilm", "full", "--head", "transition", "--crf",
                                                         "--shared", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "--head token" in result.output
    assert not (tmp_path / "nowhere").exists()
