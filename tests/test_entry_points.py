"""setup.cfg's entry points (issue 24, item 4): every name resolves in a fresh process through
the registry its group names, with no import of ours first, and every registration in the
package has its entry point in the group of the registry it registers with.

catalogue reads the group `<namespace>_<registry>` of each registry created with
`entry_points=True` (spacy_misc, spacy_architectures, thinc_optimizers, thinc_llm_tasks, ...;
factories: spacy_factories). A name filed under another registry's group is found only if
something else imported its module first, so the checks below look names up by entry point
(installed metadata), never through what an earlier import happened to register.
"""
import ast
import configparser
import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, NamedTuple

import pytest

# the span_getters registry comes with spacy-transformers, the llm_* registries with spacy-llm
pytest.importorskip("spacy_transformers")
pytest.importorskip("spacy_llm")

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "spacy_maize_ner"
NOT_REGISTRIES = {"console_scripts"}
REINSTALL = ".venv/bin/python -m pip install --no-deps -e ."

# Runs in a fresh interpreter: argv[1] is JSON {"groups": [[group, name], ...],
# "registrations": [[registry, name], ...]}; prints JSON {"namespaces", "installed", "problems"}.
RESOLVE = r'''
import importlib.metadata, json, sys

ours = lambda: sorted(m for m in sys.modules if m.split(".")[0] == "spacy_maize_ner")
import catalogue, spacy, spacy_llm, spacy_transformers
from spacy.language import Language
from spacy.util import registry

preloaded = ours()
registries = {"factories": registry._entry_point_factories}
for attr in dir(registry):
    reg = getattr(registry, attr)
    if not attr.startswith("_") and isinstance(reg, catalogue.Registry) and reg.entry_points:
        registries.setdefault(attr, reg)
by_group = {reg.entry_point_namespace: attr for attr, reg in registries.items()}


def resolve(attr, name):
    reg = registries[attr]
    found = reg.get_entry_point(name)
    if found is None:
        return f"no entry point {name!r} in group {reg.entry_point_namespace} (registry.{attr})"
    if attr == "factories":
        registered = Language.has_factory(name)
    else:
        registered = catalogue.REGISTRY.get((*reg.namespace, name)) is found
    if not registered:
        where = getattr(found, "__module__", "?") + "." + getattr(found, "__qualname__", "?")
        return (f"entry point {name!r} in group {reg.entry_point_namespace} loads {where}, "
                f"which does not register {name!r} with registry.{attr}")
    return None


asked = json.loads(sys.argv[1])
problems = []
for group, name in asked["groups"]:
    if group not in by_group:
        problems.append(f"setup.cfg group {group} ({name}) is read by no registry; groups read: {sorted(by_group)}")
    else:
        problems.append(resolve(by_group[group], name))
for attr, name in asked["registrations"]:
    if attr not in registries:
        problems.append(f"{name!r} is registered with registry.{attr}, which reads no entry points")
    else:
        problems.append(resolve(attr, name))
problems = [p for p in problems if p]
installed = {}
for ep in importlib.metadata.distribution("spacy-maize-ner").entry_points:
    installed.setdefault(ep.group, {})[ep.name] = ep.value
print(json.dumps({"namespaces": {attr: reg.entry_point_namespace for attr, reg in registries.items()},
                  "installed": installed, "problems": problems, "preloaded": preloaded}))
'''


class Registration(NamedTuple):
    registry: str  # the attribute of spacy.util.registry ("misc"; "factories" for components)
    name: str
    where: str  # file:line


def setup_cfg_entry_points(path: Path = ROOT / "setup.cfg") -> Dict[str, Dict[str, str]]:
    """{group: {name: "module:function"}} from [options.entry_points], parsed as setuptools does
    (full-line comments inside a value are dropped)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path)
    groups = {}
    for group, value in parser["options.entry_points"].items():
        lines = [line.strip() for line in value.splitlines() if line.strip()]
        groups[group] = {k.strip(): v.strip() for k, v in (line.split("=", 1) for line in lines)}
    return groups


def _registry_chain(node: ast.AST) -> bool:
    """Whether `node` is `registry`, `spacy.registry` or `spacy.util.registry`."""
    return (isinstance(node, ast.Name) and node.id == "registry") or (isinstance(node, ast.Attribute) and node.attr == "registry")


def _first_name(call: ast.Call, constants: Dict[str, str]) -> str:
    arg = call.args[0] if call.args else None
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.Name) and arg.id in constants:
        return constants[arg.id]
    return ""


def source_registrations(package: Path = PACKAGE) -> List[Registration]:
    """Every `@registry.<x>("...")`, `registry.<x>.register("...", func=...)` and
    `@Language.factory/component("...")` in the package (a name held in a module-level string
    constant counts too)."""
    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        constants = {t.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                     and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                     for t in node.targets if isinstance(t, ast.Name)}
        decorators = {id(d) for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))
                      for d in node.decorator_list}
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            func, registry = call.func, None
            if isinstance(func.value, ast.Name) and func.value.id == "Language" and func.attr in ("factory", "component"):
                registry = "factories"
            elif func.attr == "register" and isinstance(func.value, ast.Attribute) and _registry_chain(func.value.value):
                registry = func.value.attr
            elif id(call) in decorators and _registry_chain(func.value):
                registry = func.attr
            if registry:
                where = f"{path.relative_to(package.parent)}:{call.lineno}"
                found.append(Registration(registry, _first_name(call, constants) or f"<unreadable name at {where}>", where))
    return found


@pytest.fixture(scope="module")
def resolved(tmp_path_factory) -> dict:
    """One fresh interpreter, outside the checkout, that imports spaCy, spacy-transformers and
    spacy-llm (for their registries) but nothing of ours, and looks every name up."""
    groups = [[group, name] for group, names in setup_cfg_entry_points().items() if group not in NOT_REGISTRIES
              for name in names]
    registrations = [[r.registry, r.name] for r in source_registrations()]
    asked = json.dumps({"groups": groups, "registrations": registrations})
    proc = subprocess.run([sys.executable, "-c", RESOLVE, asked], capture_output=True, text=True, cwd=tmp_path_factory.mktemp("elsewhere"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_scan_finds_the_registrations():
    """The scan sees each form: a decorator, .register(...) and a factory named by a constant."""
    names = {(r.registry, r.name) for r in source_registrations()}
    assert ("misc", "spacy_maize_ner.lora.v1") in names
    assert ("llm_tasks", "spacy_maize_ner.ExactNER.v1") in names
    assert ("factories", "maize_int8") in names
    assert ("tokenizers", "spacy_maize_ner.BioTokenizer.v1") in names
    assert not [r for r in source_registrations() if r.name.startswith("<unreadable")]


def test_nothing_of_ours_is_imported_before_the_lookups(resolved):
    assert resolved["preloaded"] == [], "spaCy or an extra imported our package before the lookups"


def test_installed_entry_points_are_setup_cfgs(resolved):
    declared = {group: names for group, names in setup_cfg_entry_points().items()}
    assert resolved["installed"] == declared, f"the installed entry points are not setup.cfg's: run {REINSTALL}"


def test_every_entry_point_resolves_in_a_fresh_process(resolved):
    assert resolved["problems"] == [], "\n".join(["names that do not resolve without an import of ours:"]
                                                 + resolved["problems"])


def test_every_registration_has_an_entry_point_in_its_registrys_group(resolved):
    groups = setup_cfg_entry_points()
    missing = []
    for r in source_registrations():
        group = resolved["namespaces"].get(r.registry, f"<no entry-point group for registry.{r.registry}>")
        if r.name not in groups.get(group, {}):
            elsewhere = [g for g, names in groups.items() if r.name in names]
            missing.append(f"{r.where}: {r.name!r} is registered with registry.{r.registry}; setup.cfg must list it "
                           f"under {group}" + (f" (it is under {', '.join(elsewhere)})" if elsewhere else ""))
    assert not missing, "\n".join(missing + [f"then run {REINSTALL}"])
