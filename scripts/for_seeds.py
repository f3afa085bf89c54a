"""Run a command once per seed: `{seed}` becomes the seed and `{suffix}` '-s<seed>', the end of
every seeded run's folder (spacy_maize_ner/study/runs.py).

    python scripts/for_seeds.py 0,1,2 -- python -m spacy train configs/crf.cfg \
        --output training/crf/crf{suffix} --system.seed {seed} ...
"""
import subprocess
from typing import List

import typer
from wasabi import msg

from spacy_maize_ner.study.runs import parse_seeds, run_for_seeds
from spacy_maize_ner.cli_errors import run_script


def main(
    seeds: str = typer.Argument(..., help="Comma-separated seeds, e.g. 0,1,2 (vars.seeds)"),
    command: List[str] = typer.Argument(..., help="The command, after --; {seed} and {suffix} are replaced"),
) -> None:
    try:
        seed_list = parse_seeds(seeds)
    except ValueError as err:
        msg.fail(str(err), exits=1)
    try:
        run_for_seeds(seed_list, command)
    except subprocess.CalledProcessError as err:
        msg.fail(f"The run for one seed failed (exit code {err.returncode}): {' '.join(err.cmd)}", exits=err.returncode)
    msg.good(f"Ran {len(seed_list)} seed(s): {', '.join(map(str, seed_list))}")


if __name__ == "__main__":
    run_script(main)
