"""The PEFT sweep: which runs a list of ranks and prompt lengths stands for.

Each run is a regime file (configs/regimes/{lora,prompt,prefix}.cfg) plus the overrides
of one setting; its folder name says the setting (`minilm-lora-r8`, `minilm-prompt-n50`,
`minilm-prefix-n20`). LoRA keeps alpha = 2 r, so the scale alpha / r of the update is the
same at every rank and the rank alone varies.
"""
from typing import Dict, List, NamedTuple, Sequence

PEFT_KEY = "components.transformer.model.peft"


class SweepRun(NamedTuple):
    regime: str
    name: str
    overrides: Dict[str, object]


def sweep_runs(ranks: Sequence[int] = (), lengths: Sequence[int] = (), prefix_lengths: Sequence[int] = ()) -> List[SweepRun]:
    """RETURNS (List[SweepRun]): LoRA at each rank, prompt tuning at each length, prefix tuning at each length."""
    runs = [SweepRun("lora", f"lora-r{r}", {f"{PEFT_KEY}.r": r, f"{PEFT_KEY}.alpha": 2 * r}) for r in ranks]
    runs += [SweepRun("prompt", f"prompt-n{n}", {f"{PEFT_KEY}.num_virtual_tokens": n}) for n in lengths]
    runs += [SweepRun("prefix", f"prefix-n{n}", {f"{PEFT_KEY}.num_virtual_tokens": n}) for n in prefix_lengths]
    for run in runs:
        value = next(iter(run.overrides.values()))
        if int(value) < 1:
            raise ValueError(f"PEFT sweep: {run.name} is not a valid setting (ranks and lengths are positive integers).")
    return runs
