"""Expected errors of the workflow scripts end with their message alone (issue 28, item 23)."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
import srsly

from spacy_maize_ner.cli_errors import MaizeNerError, run_script

ROOT = Path(__file__).resolve().parents[1]


def scripts_run_by_project():
    commands = srsly.read_yaml(ROOT / "project.yml")["commands"]
    names = set()
    for command in commands:
        for line in command.get("script", []):
            for word in line.split():
                if word.startswith("scripts/") and word.endswith(".py"):
                    names.add(word)
    return sorted(names)


@pytest.mark.parametrize("script", scripts_run_by_project())
def test_every_project_script_ends_through_run_script(script):
    tree = ast.parse((ROOT / script).read_text(encoding="utf8"))
    main_blocks = [node for node in tree.body if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)]
    assert main_blocks, f"{script} has no __main__ block"
    calls = [ast.unparse(stmt) for stmt in main_blocks[0].body]
    assert any(call.startswith("run_script(") for call in calls), f"{script}: {calls}"


def run(args, **env):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300)


def test_regime_typo_gives_the_message_alone(tmp_path):
    """`spacy project run train-transformers . --vars.regimes fulll`: no traceback."""
    result = run(["scripts/train_transformers.py", "assets/encoders/minilm", "fulll", str(tmp_path / "out")],
                 MAIZE_NER_VERBOSE="")
    assert result.returncode == 1
    assert "fulll.cfg not found" in result.stderr and "full" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout and "─" not in result.stderr  # no rich frame
    assert "--verbose" in result.stderr
    assert not (tmp_path / "out").exists()


def test_verbose_flag_and_variable_show_the_traceback(tmp_path):
    flagged = run(["scripts/train_transformers.py", "assets/encoders/minilm", "fulll", str(tmp_path / "o"), "--verbose"],
                  MAIZE_NER_VERBOSE="")
    assert flagged.returncode == 1 and "Traceback" in flagged.stderr and "fulll.cfg not found" in flagged.stderr


def test_run_script_in_process(capsys, monkeypatch):
    monkeypatch.delenv("MAIZE_NER_VERBOSE", raising=False)

    def bad_value(head: str = "transition") -> None:
        raise ValueError(f"Unknown head {head!r}: use transition or token.")

    with pytest.raises(SystemExit) as exit_:
        run_script(bad_value, ["--head", "tokenn"])
    err = capsys.readouterr().err
    assert exit_.value.code == 1 and "Unknown head 'tokenn'" in err and "Traceback" not in err

    monkeypatch.setenv("MAIZE_NER_VERBOSE", "1")
    with pytest.raises(SystemExit):
        run_script(bad_value, ["--head", "tokenn"])
    assert "Traceback" in capsys.readouterr().err

    def own_error() -> None:
        raise MaizeNerError("The endpoint refused the key.")

    monkeypatch.delenv("MAIZE_NER_VERBOSE")
    with pytest.raises(SystemExit):
        run_script(own_error, [])
    assert capsys.readouterr().err.startswith("\u2718 The endpoint refused the key.")


def test_a_bug_keeps_its_traceback():
    def bug() -> None:
        raise TypeError("a bug")

    with pytest.raises(TypeError):
        run_script(bug, [])
