"""project.yml is the map (issue 24, item 5): weasel reruns a command only when its deps or
outputs changed, so a command whose deps omit code it runs silently reuses stale outputs.

Static checks, with the vars' defaults and with `make demo`'s; nothing is trained:
- every command's deps hold the scripts its `script` lines run (scripts/*.py, benchmarks/*.py,
  `python -m spacy_maize_ner`, and the sibling scripts those start by file name), the configs/
  files the lines name, and every module of the package those scripts import, followed with `ast`
  through the package (imports inside functions and relative imports too) and through the
  names their configs register (setup.cfg entry points: `factory = "maize_crf_ner"`,
  `@architectures = "spacy_maize_ner.Encoder.v1"`); a module is covered by its file or a folder
  above it. A package `__init__.py` with nothing but its docstring is not required, and neither
  is the top-level `spacy_maize_ner/__init__.py` (every command imports it; it holds the version);
- no dep names code that is missing (weasel stops at it), never run, or inside another dep;
- a command trained once per seed (scripts/for_seeds.py) declares the `-s<seed>` folder of every
  seed of vars.seeds in its outputs;
- a command with no outputs says why in a `# No outputs: ...` comment of its block;
- the `all` workflow runs on a clean clone: each dep is tracked by git or an output of an
  earlier command of the workflow (weasel stops at a missing dep).
tests/test_workflow.py (slow) checks the other half: every file a tiny `all` run writes is
covered by a declared output.
"""
import ast
import configparser
import re
import shlex
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, Optional, Set

import pytest
import srsly
from weasel.util import parse_config_overrides
from weasel.util.config import substitute_project_variables

from spacy_maize_ner.study.runs import parse_seeds, seed_suffix

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "spacy_maize_ner"
PROJECT = ROOT / "project.yml"
SCRIPT_FILE = re.compile(r"^(?:scripts|benchmarks)/[\w.-]+\.py$")
# `factory = "..."` and `@registry = "..."` lines of a config: names that setup.cfg may register.
REGISTERED = re.compile(r'^\s*(?:factory|@\w+)\s*=\s*"([^"]+)"', re.M)
COMMAND_BLOCK = re.compile(r"^  - name: ([\w-]+)\n(.*?)(?=^  - name: |\Z)", re.M | re.S)
NO_OUTPUTS = re.compile(r"#\s*No outputs:", re.I)
DEMO_VARS = re.compile(r"^DEMO_(?:PEFT_)?VARS\s*[?+]?=(.*)$", re.M)


def demo_overrides() -> Dict[str, Any]:
    """The vars `make demo` sets (the Makefile's DEMO_VARS and DEMO_PEFT_VARS)."""
    args = [a for line in DEMO_VARS.findall((ROOT / "Makefile").read_text(encoding="utf8")) for a in shlex.split(line)]
    return parse_config_overrides(args)


VARIANTS = {"defaults": {}, "make demo": demo_overrides()}


def load_project(overrides: Optional[Dict[str, Any]] = None) -> Dict:
    """project.yml with its vars interpolated (defaults, or `overrides`), as weasel runs it."""
    return substitute_project_variables(srsly.read_yaml(PROJECT), overrides or {})


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def covered(path: str, declared: Iterable[str]) -> bool:
    """Whether `path` or a folder above it is one of `declared`."""
    return any(path == d.rstrip("/") or path.startswith(d.rstrip("/") + "/") for d in declared)


def module_file(name: str) -> Optional[Path]:
    """The file the module `name` (dotted) of the package runs, or None for a name that is no module."""
    base = ROOT.joinpath(*name.split("."))
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@lru_cache(maxsize=None)
def direct_imports(path: Path) -> FrozenSet[Path]:
    """Package modules (with the packages above them) and sibling scripts that `path` imports or
    starts by file name (`ROOT / "scripts" / "train_transformers.py"`), anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf8"), filename=str(path))
    in_package = path.relative_to(ROOT).parts[0] == PACKAGE
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    names: List[str] = []
    found: Set[Path] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if not in_package:
                    continue
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names += [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith(".py"):
            for started in (path.parent / node.value, ROOT / node.value):
                if started.is_file() and started.parent.name in ("scripts", "benchmarks") and "\n" not in node.value:
                    found.add(started)
    for name in names:
        parts = name.split(".")
        if parts[0] == PACKAGE:  # the module and every package it loads on the way (not the top one)
            found.update(f for f in (module_file(".".join(parts[:i])) for i in range(2, len(parts) + 1)) if f)
        elif not in_package and (path.parent / f"{parts[0]}.py").is_file():  # benchmarks/rows.py beside its script
            found.add(path.parent / f"{parts[0]}.py")
    return frozenset(found - {path})


def closure(start: Iterable[Path]) -> Set[Path]:
    """`start` and every file it imports, transitively."""
    seen: Set[Path] = set()
    todo = list(start)
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo += direct_imports(path)
    return seen


def required(path: Path) -> bool:
    """Whether a dep must cover `path`: not a package `__init__.py` holding only its docstring."""
    if path.name != "__init__.py":
        return True
    if path.parent == ROOT / PACKAGE:
        return False
    body = ast.parse(path.read_text(encoding="utf8")).body
    return any(not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)) for s in body)


@lru_cache(maxsize=None)
def entry_points() -> Dict[str, Path]:
    """Registered name -> the module setup.cfg's entry points load for it (all groups)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(ROOT / "setup.cfg")
    modules = {}
    for group, value in parser["options.entry_points"].items():
        for line in (line.strip() for line in value.splitlines()):
            if "=" in line and not line.startswith("#"):
                name, target = (part.strip() for part in line.split("=", 1))
                path = module_file(target.split(":")[0])
                if path is not None and group != "console_scripts":
                    modules[name] = path
    return modules


def script_tokens(command: Dict) -> Iterator[List[str]]:
    for line in command.get("script", []):
        yield shlex.split(line)


def scripts_run(command: Dict) -> Set[Path]:
    """The python files the command's script lines run (scripts, benchmarks, `-m spacy_maize_ner`)."""
    found = set()
    for tokens in script_tokens(command):
        for i, token in enumerate(tokens):
            if SCRIPT_FILE.match(token):
                found.add(ROOT / token)
            elif token == "-m" and i + 1 < len(tokens) and tokens[i + 1].split(".")[0] == PACKAGE:
                found.add(module_file(tokens[i + 1] + ".__main__") or module_file(tokens[i + 1]))
    return found


def configs_named(command: Dict) -> Set[str]:
    return {t for tokens in script_tokens(command) for t in tokens if t.startswith("configs/")}


def config_files(command: Dict) -> Set[Path]:
    """The configs a command reads: those its lines name and the configs/ files or folders in its deps."""
    paths = {ROOT / p for p in configs_named(command)} | {ROOT / d for d in command.get("deps", []) if d.startswith("configs/")}
    return {f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*.cfg")))}


def code_needed(command: Dict) -> Set[Path]:
    """Scripts and package modules the command runs: its scripts' imports and its configs' registered names."""
    names = {m for cfg in config_files(command) for m in REGISTERED.findall(cfg.read_text(encoding="utf8"))}
    registered = {entry_points()[n] for n in names if n in entry_points()}
    return closure(scripts_run(command) | registered)


def missing_deps(command: Dict) -> List[str]:
    deps = command.get("deps", [])
    missing = sorted({rel(p) for p in code_needed(command) if required(p) and not covered(rel(p), deps)})
    missing += sorted(c for c in configs_named(command) if not covered(c, deps))
    return missing


def stale_deps(command: Dict) -> List[str]:
    """Deps on code that does not exist (weasel stops at them) or that the command never runs."""
    needed = {rel(p) for p in code_needed(command)}
    stale = []
    for dep in command.get("deps", []):
        if dep.split("/")[0] in (PACKAGE, "scripts") or SCRIPT_FILE.match(dep) or dep.startswith("configs/"):
            if not (ROOT / dep).exists():
                stale.append(f"{dep} (not found)")
            elif not dep.startswith("configs/") and not any(covered(n, [dep]) for n in needed):
                stale.append(f"{dep} (not run)")
            elif any(covered(dep, [other]) for other in command["deps"] if other != dep):
                stale.append(f"{dep} (inside another dep)")
    return stale


def declared_outputs(command: Dict) -> List[str]:
    return command.get("outputs", []) + command.get("outputs_no_cache", [])


def seeded_outputs(command: Dict, seeds: List[int]) -> List[str]:
    """The folders a command run through scripts/for_seeds.py writes for each seed of `seeds`."""
    found = []
    for tokens in script_tokens(command):
        if "scripts/for_seeds.py" in tokens:
            for token in (t for t in tokens if "{suffix}" in t):
                found += [token.replace("{suffix}", seed_suffix(seed)) for seed in seeds]
    return found


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_command_depends_on_its_code_and_configs(variant):
    commands = load_project(VARIANTS[variant])["commands"]
    problems = [f"{c['name']}: add to deps: {', '.join(missing)}" for c in commands if (missing := missing_deps(c))]
    assert not problems, f"project.yml deps ({variant} vars) miss what the commands run:\n" + "\n".join(problems)


def test_no_command_depends_on_code_it_does_not_run():
    problems = [f"{c['name']}: remove from deps: {', '.join(stale)}" for c in load_project()["commands"] if (stale := stale_deps(c))]
    assert not problems, "project.yml deps name code that is missing or not run:\n" + "\n".join(problems)


def test_seeded_runs_declare_every_seed_folder():
    project = load_project()
    seeds = parse_seeds(project["vars"]["seeds"])
    problems = []
    for command in project["commands"]:
        missing = [p for p in seeded_outputs(command, seeds) if not covered(p, declared_outputs(command))]
        if missing:
            problems.append(f"{command['name']}: add to outputs: {', '.join(missing)}")
    assert not problems, f"per-seed folders of vars.seeds {seeds} not in outputs:\n" + "\n".join(problems)


def test_seeded_outputs_are_found():
    command = {"script": ["python scripts/for_seeds.py 0,1 -- python -m spacy train configs/crf.cfg --output training/crf/crf{suffix}"]}
    assert seeded_outputs(command, [0, 1]) == ["training/crf/crf-s0", "training/crf/crf-s1"]


def test_a_command_without_outputs_says_why():
    blocks = dict(COMMAND_BLOCK.findall(PROJECT.read_text(encoding="utf8")))
    silent = [c["name"] for c in load_project()["commands"] if not declared_outputs(c) and not NO_OUTPUTS.search(blocks[c["name"]])]
    assert not silent, f"Commands without outputs and without a '# No outputs: <why>' comment in project.yml: {silent}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_all_runs_on_a_clean_clone(variant):
    try:
        tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    project = load_project(VARIANTS[variant])
    commands = {c["name"]: c for c in project["commands"]}
    made: List[str] = []
    problems = []
    for name in project["workflows"]["all"]:
        for dep in commands[name].get("deps", []):
            if not (covered(dep, made) or any(covered(t, [dep]) for t in tracked)):
                problems.append(f"{name}: {dep}")
        made += declared_outputs(commands[name])
    assert not problems, f"deps of `all` ({variant} vars) that neither git tracks nor an earlier command makes:\n" + "\n".join(problems)


@pytest.fixture
def tiny_root(tmp_path, monkeypatch):
    """A project of a few files in place of the repository (ROOT), for the checks' own tests."""
    files = {
        "setup.cfg": "[options.entry_points]\nspacy_factories =\n    tiny_ner = spacy_maize_ner.top:make_tiny\n",
        "configs/tiny.cfg": '[components.ner]\nfactory = "tiny_ner"\n',
        f"{PACKAGE}/__init__.py": "from .about import __version__\n",
        f"{PACKAGE}/about.py": "__version__ = '0'\n",
        f"{PACKAGE}/top.py": "",
        f"{PACKAGE}/mid.py": "",
        f"{PACKAGE}/sub/__init__.py": '"""Only a docstring."""\n',
        f"{PACKAGE}/sub/a.py": "def f():\n    from .b import g\n    from .. import mid\n",
        f"{PACKAGE}/sub/b.py": "",
        f"{PACKAGE}/pkg/__init__.py": "from .c import x\n",
        f"{PACKAGE}/pkg/c.py": "",
        "scripts/run.py": f"import subprocess\nfrom {PACKAGE}.sub.a import f\nOTHER = 'other.py'\n",
        "scripts/other.py": f"from {PACKAGE}.pkg import x\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf8")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    entry_points.cache_clear()
    yield tmp_path
    entry_points.cache_clear()


def test_the_checks_follow_imports(tiny_root):
    """Function-level and relative imports, the packages on the way, scripts started by name."""
    package = tiny_root / PACKAGE
    assert closure([tiny_root / "scripts" / "run.py"]) == {
        tiny_root / "scripts" / "run.py", tiny_root / "scripts" / "other.py", package / "sub" / "__init__.py",
        package / "sub" / "a.py", package / "sub" / "b.py", package / "mid.py", package / "pkg" / "__init__.py",
        package / "pkg" / "c.py",
    }
    command = {"script": ["python scripts/run.py configs/tiny.cfg"], "deps": ["scripts/run.py", f"{PACKAGE}/sub"]}
    # sub/__init__.py holds only a docstring (not required); top.py is the factory configs/tiny.cfg names
    assert missing_deps(command) == ["scripts/other.py", f"{PACKAGE}/mid.py", f"{PACKAGE}/pkg/__init__.py",
                                     f"{PACKAGE}/pkg/c.py", f"{PACKAGE}/top.py", "configs/tiny.cfg"]
    command["deps"] += ["configs/tiny.cfg", "scripts/other.py", PACKAGE + "/mid.py", f"{PACKAGE}/pkg", f"{PACKAGE}/top.py",
                        f"{PACKAGE}/pkg/c.py"]
    assert missing_deps(command) == [] and stale_deps(command) == [f"{PACKAGE}/pkg/c.py (inside another dep)"]
    assert stale_deps({"script": ["python scripts/run.py"], "deps": [f"{PACKAGE}/about.py", "scripts/gone.py"]}) == [
        f"{PACKAGE}/about.py (not run)", "scripts/gone.py (not found)"]
