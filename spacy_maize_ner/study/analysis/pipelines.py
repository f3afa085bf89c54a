"""All trained pipelines found: metrics files, their seeds, families and comparisons.

Reads every `<pipeline>.json` of the evaluate command (with its `<pipeline>.docs.jsonl`),
groups seed runs into configurations (analysis/seeds.py) and says which pairs the report
compares. Nothing here is a fixed list of pipelines: new ones (LoRA, LLMs) join by their
metrics files.
"""
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ...components.defaults import META_KEY
from ..evaluation.predictions import predictions_path, read_predictions
from ..runs import CLASSIC_PIPELINES, RunId, seed_group
from .seeds import mean_std

REQUIRED_KEYS = ("ents_f", "ents_p", "ents_r", "data")
DOMAIN_PAIRS = (("bert", "biobert"),)  # general -> domain encoder, besides <name> -> <name>_dapt


class MetricsError(ValueError):
    """A metrics file that is missing, unreadable or lacks what the report needs."""


def read_metrics_file(path: Path) -> Dict[str, Any]:
    """One metrics file, checked. Errors name the file and say how to fix it."""
    path = Path(path)
    if not path.exists():
        raise MetricsError(f"Metrics file not found: {path}. Run the evaluate command (spacy project run evaluate).")
    try:
        row = json.loads(path.read_text(encoding="utf8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise MetricsError(f"Malformed metrics file {path}: not valid JSON ({err}). Delete it and re-run the evaluate command.") from None
    if not isinstance(row, dict):
        raise MetricsError(f"Malformed metrics file {path}: expected a JSON object, found {type(row).__name__}.")
    missing = [k for k in REQUIRED_KEYS if k not in row]
    if missing:
        raise MetricsError(
            f"Malformed metrics file {path}: missing {', '.join(missing)}. It was not written by "
            "scripts/evaluate.py; re-run the evaluate command."
        )
    row.setdefault("pipeline", path.stem)
    row["_path"] = str(path)
    return row


def family(row: Dict[str, Any]) -> str:
    """crf, hmm, dictionary, majority, transformer, peft or llm: what kind of pipeline a row is."""
    if row.get("family"):
        return str(row["family"])
    name = seed_group(row["pipeline"])[0].lower()
    info = row.get(META_KEY) or {}
    if info.get("llm") or name.startswith("llm") or "-llm" in name:
        return "llm"
    regime = str(info.get("regime") or "")
    if regime in ("lora", "prompt", "prefix", "peft"):
        return "peft"
    if info.get("encoder") or regime:
        return "transformer"
    for known in (*CLASSIC_PIPELINES, "majority"):
        if known in name:
            return known
    return "other"


@dataclass
class Configuration:
    """One pipeline configuration and its seed runs (metrics rows)."""

    name: str
    runs: List[Dict[str, Any]] = field(default_factory=list)

    @property
    def family(self) -> str:
        return family(self.runs[0])

    @property
    def info(self) -> Dict[str, Any]:
        return self.runs[0].get(META_KEY) or {}

    @property
    def seeds(self) -> List[Optional[int]]:
        return [r.get("seed") for r in self.runs]

    def stat(self, key: str) -> Dict[str, Any]:
        return mean_std([r.get(key) for r in self.runs])

    def stat_nested(self, *keys: str) -> Dict[str, Any]:
        values = []
        for run in self.runs:
            value: Any = run
            for key in keys:
                value = value.get(key) if isinstance(value, dict) else None
            values.append(value)
        return mean_std(values)

    def predictions(self) -> List[List[Dict[str, Any]]]:
        """Per-document records of every seed run (errors name the missing file)."""
        return [read_predictions(predictions_path(r["_path"])) for r in self.runs]


def load_configurations(metrics_dir: Path) -> List[Configuration]:
    """Every metrics file in `metrics_dir`, grouped into configurations, sorted by name."""
    metrics_dir = Path(metrics_dir)
    if not metrics_dir.is_dir():
        raise MetricsError(f"Metrics folder not found: {metrics_dir}. Run the evaluate command (spacy project run evaluate).")
    paths = sorted(metrics_dir.glob("*.json"))
    if not paths:
        raise MetricsError(f"No metrics files (*.json) in {metrics_dir}. Run the evaluate command (spacy project run evaluate).")
    groups: Dict[str, Configuration] = {}
    for path in paths:
        row = read_metrics_file(path)
        base = seed_group(row["pipeline"])[0]
        groups.setdefault(base, Configuration(base)).runs.append(row)
    # the same DocBin named relative to the project root by one command and absolute by another
    datas = {os.path.normpath(os.path.abspath(r["data"])) for c in groups.values() for r in c.runs}
    if len(datas) > 1:
        raise MetricsError(
            f"Metrics in {metrics_dir} were scored on different data ({sorted(datas)}): rows would not be "
            "comparable. Re-run the evaluate command for every pipeline on the same corpus."
        )
    for conf in groups.values():
        conf.runs.sort(key=lambda r: (r.get("seed") is None, r.get("seed") or 0))
    return [groups[k] for k in sorted(groups)]


def _best(confs: List[Configuration]) -> Optional[Configuration]:
    scored = [c for c in confs if c.stat("ents_f")["mean"] is not None]
    return max(scored, key=lambda c: c.stat("ents_f")["mean"]) if scored else None


def run_id(conf: Configuration) -> Optional[RunId]:
    """The configuration's run (runs.RunId), or None for a name that is not one (an LLM's)."""
    try:
        return RunId.parse(conf.name)
    except ValueError:
        return None


def peft_encoder_and_setting(conf: Configuration) -> Tuple[str, str]:
    """('minilm', 'lora-r8') for the workflow's `minilm-lora-r8` (training/peft/), ('minilm',
    'lora') for `minilm-lora`: `RunId.parse`."""
    run = run_id(conf)
    if run is None:
        return conf.name, ""
    return run.encoder, "-".join(part for part in (run.setting, run.head, run.tag) if part)


def comparison_pairs(confs: List[Configuration]) -> List[Tuple[str, Configuration, Configuration]]:
    """(what, a, b) for each pair the report compares; the difference is F1(a) - F1(b).

    General vs domain encoder (per regime), full vs LoRA (per encoder), best encoder vs CRF,
    best LLM vs best encoder: each only where both sides exist.
    """
    by_name = {c.name: c for c in confs}
    trf = [c for c in confs if c.family == "transformer"]
    pairs: List[Tuple[str, Configuration, Configuration]] = []
    for conf in trf:
        run = run_id(conf)
        if run is None or run.family in CLASSIC_PIPELINES:
            continue
        domains = [f"{run.encoder}_dapt"] + [d for g, d in DOMAIN_PAIRS if g == run.encoder]
        for domain in domains:
            other = by_name.get(replace(run, encoder=domain, seed=None).name)
            if other is not None:
                pairs.append((f"domain vs general encoder ({run.setting})", other, conf))
    for conf in confs:
        if conf.family == "peft":
            encoder, setting = peft_encoder_and_setting(conf)
            full = by_name.get(RunId(encoder=encoder, setting="full").name)
            if full is not None:
                pairs.append((f"full vs {setting} ({encoder})", full, conf))
    best_encoder = _best([c for c in confs if c.family in ("transformer", "peft")])
    if best_encoder is not None and "crf" in by_name:
        pairs.append(("best encoder vs CRF", best_encoder, by_name["crf"]))
    best_llm = _best([c for c in confs if c.family == "llm"])
    if best_llm is not None and best_encoder is not None:
        pairs.append(("best LLM vs best encoder", best_llm, best_encoder))
    return pairs
