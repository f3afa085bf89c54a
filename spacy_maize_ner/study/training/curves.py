"""Learning-curve points: train a pipeline on a seeded subsample of the training DocBin, score it.

A point is one pipeline trained on a seeded subsample of the training DocBin (whole
documents, shuffled with the seed, taken until the sentence count is reached) and scored
on the full dev DocBin with `evaluate_pipeline`, like every other row; its rows go to a
rows file at once (`point_rows`, `merge_rows`), so a curve resumes where it stopped.
Reading the rows back and plotting them is `study/analysis/learning_curve.py`.
"""
import random
import time
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

from ...corpus.stats import count_sentences

# Training-set sizes of the curve in sentences; None means the whole training split.
DEFAULT_SIZES: Tuple[Optional[int], ...] = (100, 250, 500, 1000, 2500, None)


def parse_sizes(spec: str) -> List[Optional[int]]:
    """'100,250,all' -> [100, 250, None]. RETURNS (List[Optional[int]])."""
    sizes: List[Optional[int]] = []
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        if item == "all":
            sizes.append(None)
        elif item.isdigit() and int(item) > 0:
            sizes.append(int(item))
        else:
            raise ValueError(f"Learning-curve size {item!r} is neither a positive integer nor 'all' (e.g. '100,250,all').")
    return sizes


def size_name(size: Optional[int]) -> str:
    return "all" if size is None else str(size)


def subsample(docs: Sequence[Doc], n_sentences: Optional[int], seed: int) -> List[Doc]:
    """Whole docs in a seeded random order until they hold `n_sentences` (None: all docs).

    RETURNS (List[Doc]): the subsample; all docs if the split has fewer sentences.
    """
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    if n_sentences is None:
        return [docs[i] for i in order]
    out, total = [], 0
    for i in order:
        if total >= n_sentences:
            break
        out.append(docs[i])
        total += count_sentences(docs[i])
    return out


def write_subsample(train_path: Path, output: Path, n_sentences: Optional[int], seed: int) -> Dict[str, int]:
    """Write the subsample of `train_path` to `output` (.spacy). RETURNS its docs and sentences."""
    train_path = Path(train_path)
    if not train_path.exists():
        raise FileNotFoundError(f"Training DocBin not found: {train_path}. Run `spacy project run convert` first.")
    vocab = Vocab()
    docs = list(DocBin().from_disk(train_path).get_docs(vocab))
    sample = subsample(docs, n_sentences, seed)
    output.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=sample, store_user_data=False).to_disk(output)
    return {"docs": len(sample), "sentences": sum(count_sentences(d) for d in sample), "available_sentences": sum(count_sentences(d) for d in docs)}


def train_pipeline(
    config: Path,
    output: Path,
    *,
    train: Path,
    dev: Path,
    seed: int,
    regime: Optional[Path] = None,
    overrides: Optional[Dict[str, Any]] = None,
    head: str = "transition",
) -> Path:
    """Train one pipeline with `spacy train` (or a transformer regime) and RETURN model-best.

    config (Path): the pipeline's config (configs/crf.cfg, configs/transformer.cfg).
    regime (Optional[Path]): a regime file (configs/regimes/full.cfg) for transformer configs.
    overrides (Optional[Dict[str, Any]]): more dotted config overrides (paths.encoder, ...).
    head (str): the NER head of a transformer regime: transition or a file of configs/heads/.
    """
    base = {"paths.train": str(train), "paths.dev": str(dev), "system.seed": seed, **(overrides or {})}
    if regime is not None:
        from .regimes import read_regime
        from .train import train_regime

        # the curves compare encoders and regimes on the encoder's output alone (features=()):
        # the full regime's case/shape features (configs/regimes/full.cfg) would mix in the CRF's cues
        return train_regime(Path(config), read_regime(regime), Path(output), overrides=base, head=head, features=())
    from spacy.cli.train import train as spacy_train

    spacy_train(Path(config), Path(output), overrides=base, use_gpu=-1)
    return Path(output) / "model-best"


def equal_updates_overrides(config: Path, train: Path, overrides: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """A step budget that gives every point of a curve the updates of one epoch of the whole split.

    The transformer config trains one epoch, which on 100 sentences is three updates: the
    curve would then measure updates, not data. Every point instead runs as many steps as
    one epoch of all of `train` (counted with the config's batcher), on its own sample for
    as many epochs as that takes, evaluating four times and stopping after two evaluations
    without a better dev F1; the schedules are fitted to the budget (training/train.py).
    RETURNS (Dict[str, Any]): the overrides; none when `overrides` already set a step
        budget (a budget file or --max-steps wins).
    """
    from .epochs import batcher_from_config, steps_per_epoch

    overrides = overrides or {}
    if int(overrides.get("training.max_steps") or 0) > 0:
        return {}
    steps = steps_per_epoch(train, batcher_from_config(config, overrides))
    every = max(1, steps // 4)
    return {"training.max_epochs": 0, "training.max_steps": steps, "training.eval_frequency": every, "training.patience": 2 * every}


def run_point(
    config: Path,
    workdir: Path,
    *,
    train: Path,
    dev: Path,
    size: Optional[int],
    seed: int,
    regime: Optional[Path] = None,
    overrides: Optional[Dict[str, Any]] = None,
    keep_model: bool = False,
    head: str = "transition",
    select_sentences: Optional[int] = None,
) -> Dict[str, Any]:
    """Train on a seeded subsample of `size` sentences and score on `dev`.

    select_sentences (Optional[int]): evaluate during training (early stopping, model-best)
        on a fixed subsample of this many dev sentences (drawn with seed 0, the same for every
        point) instead of all of dev; the score is always on the whole of `dev`. For decoders,
        whose dev pass costs minutes on a CPU.

    RETURNS (Dict[str, Any]): ents_p/r/f, F1 by entity length (1, 2, >=3 tokens), the
        sample's sentences and docs, train and evaluation seconds, the CPU seconds of training
        (all threads: wall seconds well above them mean the point shared its cores, not that
        its regime is slow), inference words/s on dev, the process's peak memory and the
        pipeline's total and trained parameters: the cost beside the score.
    """
    import resource
    import shutil

    import spacy

    from ..evaluation.scoring import evaluate_pipeline

    workdir = Path(workdir)
    sample_path = workdir / "train.spacy"
    counts = write_subsample(train, sample_path, size, seed)
    select = Path(dev)
    if select_sentences:
        select = workdir / "select.spacy"
        write_subsample(Path(dev), select, select_sentences, 0)
    start, cpu_start = time.perf_counter(), time.process_time()
    model = train_pipeline(config, workdir / "model", train=sample_path, dev=select, seed=seed, regime=regime, overrides=overrides,
                           head=head)
    train_seconds, train_cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    metrics = evaluate_pipeline(spacy.load(model), Path(dev), name=workdir.name, model_path=str(model))
    if not keep_model:
        shutil.rmtree(workdir / "model", ignore_errors=True)
    return {
        "size": size_name(size),
        "train_sentences": counts["sentences"],
        "train_docs": counts["docs"],
        "available_sentences": counts["available_sentences"],
        "seed": seed,
        "ents_p": metrics["ents_p"],
        "ents_r": metrics["ents_r"],
        "ents_f": metrics["ents_f"],
        "train_seconds": train_seconds,
        "train_cpu_seconds": train_cpu_seconds,
        "eval_seconds": metrics["seconds"],
        **({"select_sentences": select_sentences} if select_sentences else {}),
        "words_per_second": metrics["words_per_second"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "parameters_total": (metrics.get("parameters") or {}).get("total"),
        "parameters_trainable": (metrics.get("parameters") or {}).get("trainable"),
        **{f"ents_by_length.{bucket}.f": values.get("f") for bucket, values in (metrics.get("ents_by_length") or {}).items()},
    }


class CurveSpec(NamedTuple):
    """One curve: its name, config, regime file (transformers) and extra overrides."""

    name: str
    config: Path
    regime: Optional[Path] = None
    overrides: Dict[str, Any] = {}


PEFT_SETTINGS = ("r", "alpha", "num_virtual_tokens")


def peft_settings(spec: CurveSpec) -> Dict[str, Any]:
    """The PEFT settings (LoRA rank and alpha, virtual tokens) a curve trains with, from its
    regime file and overrides: rows of one curve name measured at other settings stay apart."""
    if spec.regime is None:
        return {}
    from .regimes import read_regime
    from .sweep import PEFT_KEY

    model_key, _, block_key = PEFT_KEY.rpartition(".")
    block = (read_regime(spec.regime).overrides.get(model_key) or {}).get(block_key) or {}
    settings = {key: block[key] for key in PEFT_SETTINGS if key in block}
    prefix = f"{PEFT_KEY}."
    settings.update({key[len(prefix):]: value for key, value in spec.overrides.items()
                     if key.startswith(prefix) and key[len(prefix):] in PEFT_SETTINGS})
    return settings


class EncoderChangedError(ValueError):
    """A point of a curve would come from other encoder weights than its measured points."""


def curve_encoder_fingerprint(spec: CurveSpec) -> Optional[str]:
    """RETURNS (Optional[str]): the digest of the weights of the curve's encoder folder; None
    for curves without an encoder (CRF, HMM) or with a hub id."""
    from .fingerprint import encoder_fingerprint

    encoder = spec.overrides.get("paths.encoder")
    return encoder_fingerprint(str(encoder)) if encoder else None


def curve_encoder_recipe(spec: CurveSpec) -> Optional[str]:
    """RETURNS (Optional[str]): the recipe digest of the curve's encoder when DAPT made it
    (encoders/fingerprint.encoder_recipe), else None."""
    from .fingerprint import encoder_recipe

    encoder = spec.overrides.get("paths.encoder")
    return encoder_recipe(str(encoder)) if encoder else None


def check_same_encoder(
    rows: Sequence[Dict[str, Any]], spec: CurveSpec, fingerprint: Optional[str], source: Path, *, allow_unrecorded: bool = False,
    recipe: Optional[str] = None,
) -> None:
    """Refuse a point whose encoder weights differ from those of the curve's measured points.

    A curve is spread over sessions, and an encoder folder can be rewritten between them
    (rerunning DAPT gives other weights under the same path): mixing them would draw one
    curve through two encoders. Points that recorded no digest (rows from before 2026-12-02)
    count as other weights unless `allow_unrecorded` (for an encoder known not to have changed,
    such as MiniLM from its pinned package). A hub id has no digest and is not checked.
    Other weights are accepted when every measured point and this encoder have the same DAPT
    `recipe` (a rerun of the same DAPT in a later session: the same encoder up to float
    rounding); the rows keep both digests.
    """
    if fingerprint is None:
        return
    measured = [r.get("params") or {} for r in rows if (r.get("params") or {}).get("curve") == spec.name and r.get("metric") == "ents_f"]
    seen = {params.get("encoder_sha256") for params in measured}
    if allow_unrecorded:
        seen.discard(None)
    if not seen or seen == {fingerprint}:
        return
    if recipe is not None and {params.get("encoder_recipe_sha256") for params in measured} == {recipe}:
        return
    recorded = ", ".join(sorted(s or "not recorded" for s in seen))
    raise EncoderChangedError(
        f"Learning curve '{spec.name}' in {source} was measured with encoder weights {recorded}, but "
        f"{spec.overrides.get('paths.encoder')} now holds {fingerprint}: one curve must come from one encoder. "
        f"Give this encoder a curve of its own (--curve {spec.name}-<tag>), remove the curve's rows from {source} "
        "to measure it again, or restore the encoder the curve was measured with"
        + (f" (its DAPT recipe {recipe} differs from the curve's too)." if recipe else ".")
    )


def point_rows(
    point: Dict[str, Any], spec: CurveSpec, *, data: str, command: str, machine: str, encoder_sha256: Optional[str] = None,
    encoder_recipe: Optional[str] = None,
) -> List[Dict[str, Any]]:
    """Rows in the shared benchmark schema for one measured point; `encoder_sha256` is the
    digest of the encoder's weights (curve_encoder_fingerprint), taken before training, and
    `encoder_recipe` its DAPT recipe's (curve_encoder_recipe)."""
    import datetime

    from ..runs import encoder_short_name

    common = {
        "pipeline": f"lc-{spec.name}-n{point['size']}",
        "encoder": encoder_short_name(str(spec.overrides["paths.encoder"])) if spec.overrides.get("paths.encoder") else None,
        "regime": spec.regime.stem if spec.regime else Path(spec.config).stem,
        "params": {"config": str(spec.config), "curve": spec.name, "size": point["size"], "train_sentences": point["train_sentences"],
                   "train_docs": point["train_docs"], "available_sentences": point["available_sentences"],
                   **({"max_steps": spec.overrides["training.max_steps"]} if spec.overrides.get("training.max_steps") else {}),
                   **({"select_sentences": point["select_sentences"]} if point.get("select_sentences") else {}),
                   **({"encoder_sha256": encoder_sha256} if encoder_sha256 else {}),
                   **({"encoder_recipe_sha256": encoder_recipe} if encoder_recipe else {}),
                   **peft_settings(spec)},
        "data": data,
        "split": "dev",
        "seed": point["seed"],
        "machine": machine,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": command,
    }
    metrics = ("ents_p", "ents_r", "ents_f", "train_seconds", "train_cpu_seconds")  # CPU seconds: points since 2026-12-02
    # Cost and F1 by entity length: points since 2026-12-03 (decoder taggers, issue 26).
    metrics += ("words_per_second", "peak_rss_mb", "parameters_total", "parameters_trainable")
    metrics += tuple(sorted(m for m in point if m.startswith("ents_by_length.")))
    return [dict(common, metric=m, value=point[m]) for m in metrics if point.get(m) is not None]


def merge_rows(path: Path, new: List[Dict[str, Any]]) -> None:
    """Replace rows with the same (pipeline, data, metric, seed) in `path` and append the rest."""
    import json

    path = Path(path)
    rows = json.loads(path.read_text(encoding="utf8")) if path.exists() else []
    key = lambda r: (r["pipeline"], r["data"], r["metric"], r["seed"])  # noqa: E731
    keys = {key(r) for r in new}
    rows = [r for r in rows if key(r) not in keys] + new
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf8")


def run_curves(
    specs: Sequence[CurveSpec],
    *,
    train: Path,
    dev: Path,
    sizes: Sequence[Optional[int]],
    seeds: Sequence[int],
    rows_path: Path,
    workdir: Path,
    data: str,
    command: str,
    skip_done: bool = True,
) -> int:
    """Measure every (curve, size, seed) point, writing its rows to `rows_path` as it ends.

    Points already in `rows_path` are skipped (resumable). RETURNS (int): points measured.
    """
    import json

    from tqdm import tqdm

    from ..evaluation.scoring import machine_description

    rows = json.loads(Path(rows_path).read_text(encoding="utf8")) if Path(rows_path).exists() else []
    done = {(r["pipeline"], r["seed"]) for r in rows if r["metric"] == "ents_f"} if skip_done else set()
    jobs = [(spec, size, seed) for spec in specs for size in sizes for seed in seeds
            if (f"lc-{spec.name}-n{size_name(size)}", seed) not in done]
    fingerprints = {spec.name: curve_encoder_fingerprint(spec) for spec in specs}
    recipes = {spec.name: curve_encoder_recipe(spec) for spec in specs}
    for spec in {spec.name: spec for spec, _, _ in jobs}.values():  # before the first point, not hours in
        check_same_encoder(rows, spec, fingerprints[spec.name], Path(rows_path), recipe=recipes[spec.name])
    for spec, size, seed in tqdm(jobs, desc="learning curve", unit="point"):
        point = run_point(spec.config, Path(workdir) / f"{spec.name}-n{size_name(size)}-s{seed}", train=train, dev=dev,
                          size=size, seed=seed, regime=spec.regime, overrides=dict(spec.overrides))
        merge_rows(rows_path, point_rows(point, spec, data=data, command=command, machine=machine_description(),
                                         encoder_sha256=fingerprints[spec.name], encoder_recipe=recipes[spec.name]))
        tqdm.write(f"{spec.name} n={size_name(size)} seed={seed}: F1 {point['ents_f']:.4f} ({point['train_sentences']} sentences)")
    return len(jobs)
