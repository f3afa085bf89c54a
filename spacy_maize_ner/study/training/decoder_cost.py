"""The expected cost of the `decoders` workflow, printed before it starts.

Decoders cost far more per update than MiniLM on a CPU. `expected_cost` multiplies the
updates each run will make (the step budget, or one epoch of the training DocBin at the
config's batch size) by a measured seconds-per-update (`MEASURED`), per decoder and regime,
and adds scoring the dev split. Decoders without a measurement are scaled from their
parameter count against the measured Gemma 3 270M. The figures are CPU figures; on a GPU
the same runs take minutes.
"""
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

# Seconds per update on this project's 2-core CPU (one torch thread, nice 10, cores shared
# with other runs), 1,000-word batches of BC2GM, token head; measured by
# scripts/train_decoders.py --smoke (docs/decoders.md, "Cost").
# Smoke run 2026-12-03 (decoder-lora-bidirectional, token head, real Gemma 3 270M from
# provide-decoder, 64 BC2GM train sentences, 300-word batches, one thread, nice 10, load ~12
# on 2 cores): 3.2 and 4.0 CPU-seconds per update (25-31 s wall under that contention).
# Scaled linearly to 1,000-word batches: ~12 s per LoRA update, in line with the issue's
# ~1.5 h per 436 updates. Full fine-tuning is not measured: LoRA x 1.5 (weight gradients)
# until it is.
MEASURED: Dict[str, Dict[str, float]] = {
    "gemma3-270m": {"parameters": 268_098_176, "lora": 12.0, "full": 18.0},
}
# One epoch of BC2GM train at 1,000-word batches (configs/transformer.cfg).
UPDATES_PER_EPOCH_BC2GM = 436
DEV_SENTENCES_BC2GM = 2_519


@dataclass
class RunCost:
    decoder: str
    regime: str
    updates: int
    seconds_per_update: float
    basis: str

    @property
    def hours(self) -> float:
        return self.updates * self.seconds_per_update / 3600


def decoder_parameters(folder: Path) -> Optional[int]:
    """Parameters recorded by provide-decoder (provenance.json), else None."""
    path = Path(folder) / "provenance.json"
    if path.exists():
        return json.loads(path.read_text()).get("model", {}).get("parameters")
    return None


def seconds_per_update(decoder: str, regime: str, parameters: Optional[int]) -> tuple:
    """(seconds, basis) for one update of `decoder` in `regime` on this CPU."""
    kind = "lora" if "lora" in regime else "full"
    name = Path(decoder).name
    if name in MEASURED and MEASURED[name].get(kind):
        return MEASURED[name][kind], "measured"
    ref = MEASURED["gemma3-270m"]
    if parameters and ref.get(kind):
        return ref[kind] * parameters / ref["parameters"], f"scaled from gemma3-270m by parameters ({parameters:,})"
    return float("nan"), "unknown (no measurement, no parameter count)"


def expected_cost(decoders: Sequence[str], regimes: Sequence[str], max_steps: int = 0) -> List[RunCost]:
    updates = max_steps or UPDATES_PER_EPOCH_BC2GM
    out = []
    for decoder in decoders:
        params = decoder_parameters(Path(decoder))
        for regime in regimes:
            seconds, basis = seconds_per_update(decoder, regime, params)
            out.append(RunCost(str(decoder), regime, updates, seconds, basis))
    return out


def cost_lines(costs: Sequence[RunCost], seeds: int = 1) -> List[str]:
    lines = [f"Expected cost on this CPU ({seeds} seed(s); a GPU takes minutes):"]
    total = 0.0
    for c in costs:
        hours = c.hours * seeds
        total += hours if hours == hours else 0.0
        lines.append(f"  {Path(c.decoder).name} / {c.regime}: {c.updates} updates x {c.seconds_per_update:.1f} s "
                     f"= {hours:.1f} h ({c.basis})")
    lines.append(f"  total training: about {total:.1f} h, plus scoring {DEV_SENTENCES_BC2GM:,} dev sentences per run")
    return lines
