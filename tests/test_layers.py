"""The package's layers: the plugin never imports the study, and the study's parts import downwards.

Read from the source (every `import` and `from ... import`, at the top of a module or inside a
function), so a lazy import breaks the rule as surely as a top-level one.
"""
import ast
from pathlib import Path
from typing import Dict, Set

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "spacy_maize_ner"
# The study's parts, lowest first. A part may import the plugin, itself and the parts of a
# lower rank; parts of one rank do not import each other (analysis reads what training
# wrote and never trains: it does not import training, nor training it).
STUDY_RANKS = {"runs": 0, "workflow": 1, "evaluation": 2, "training": 3, "analysis": 3, "packaging": 3}
# The plugin's subpackages import each other without a cycle: decoders build on peft, peft on
# encoders; Encoder.v1 and PeftEncoder.v1 reach the decoder architectures by registered name.


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, package_dir: Path = PACKAGE) -> Set[str]:
    """Absolute names of the package's modules that `path` imports."""
    name = module_name(path, package_dir)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets = [target] + [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t == "spacy_maize_ner" or t.startswith("spacy_maize_ner."))
    return found


def study_part(module: str) -> str:
    """'spacy_maize_ner.study.training.curves' -> 'training'; '' outside the study."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "study" else ""


@pytest.fixture(scope="module")
def graph() -> Dict[str, Set[str]]:
    return {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def test_the_plugin_never_imports_the_study(graph):
    bad = sorted(f"{m} -> {t}" for m, ts in graph.items() if not m.startswith("spacy_maize_ner.study") for t in ts
                 if t.startswith("spacy_maize_ner.study"))
    assert not bad, "the plugin (what spacy.load and a packaged pipeline need) imports the study:\n" + "\n".join(bad)


def test_every_part_of_the_study_has_a_rank(graph):
    parts = {study_part(m) for m in graph if study_part(m)}
    assert parts <= set(STUDY_RANKS), f"give {sorted(parts - set(STUDY_RANKS))} a rank in STUDY_RANKS"


def test_the_study_imports_downwards(graph):
    bad = []
    for module, targets in graph.items():
        source = study_part(module)
        for target in targets:
            dest = study_part(target)
            if source and dest and dest != source and STUDY_RANKS[dest] >= STUDY_RANKS[source]:
                bad.append(f"{module} -> {target}")
    assert not bad, "imports that do not go down the study's ranks:\n" + "\n".join(sorted(bad))


def plugin_part(module: str) -> str:
    """'spacy_maize_ner.peft.shim' -> 'peft'; '' in the study and for the package itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] != "study" else ""


def test_the_plugin_has_no_import_cycle(graph):
    edges: Dict[str, Set[str]] = {}
    for module, targets in graph.items():
        for target in targets:
            a, b = plugin_part(module), plugin_part(target)
            if a and b and a != b:
                edges.setdefault(a, set()).add(b)

    def reachable(start: str) -> Set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    cycles = sorted(f"{a} <-> {b}" for a in edges for b in reachable(a) if a < b and a in reachable(b))
    assert not cycles, "the plugin's subpackages import each other in a circle:\n" + "\n".join(cycles)


def test_the_check_sees_lazy_and_relative_imports(tmp_path):
    """The rule reads imports inside functions and relative ones, or it proves nothing."""
    folder = tmp_path / "spacy_maize_ner" / "study" / "analysis"
    folder.mkdir(parents=True)
    module = folder / "x.py"
    module.write_text("def f():\n    from ..training.curves import run_point\n    from ...tags import sentences\n")
    assert imports_of(module, tmp_path / "spacy_maize_ner") >= {"spacy_maize_ner.study.training.curves", "spacy_maize_ner.tags"}
