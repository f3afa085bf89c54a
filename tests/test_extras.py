"""Optional dependencies fail with the command that installs them (spacy_maize_ner/extras.py)."""
import sys

import pytest

from spacy_maize_ner.extras import require


def test_require_returns_the_module_and_its_submodule():
    import json.decoder

    assert require("json.decoder", feature="x", extra="y") is json.decoder


def test_require_names_feature_extra_and_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "not_installed_here", None)  # import raises ImportError
    with pytest.raises(ImportError) as info:
        require("not_installed_here.sub", feature="Doing X", extra="xtra", package="nih[all]", note="Takes long.")
    message = str(info.value)
    assert message.startswith("Doing X needs the `nih[all]` package")
    assert "pip install -c constraints.txt 'spacy-maize-ner[xtra]'" in message and message.endswith("Takes long.")
    assert isinstance(info.value.__cause__, ImportError)


@pytest.mark.parametrize("module,call,extra", [
    ("peft", lambda: __import__("spacy_maize_ner.peft.methods", fromlist=["x"]).require_peft(), "transformers"),
    ("ray", lambda: __import__("spacy_maize_ner.annotate.distributed", fromlist=["x"]).require_ray(), "ray"),
    ("gguf", lambda: __import__("spacy_maize_ner.decoders.tokenizer", fromlist=["x"]).read_gguf_vocab("m.gguf"),
     "decoders"),
    ("matplotlib", lambda: __import__("spacy_maize_ner.study.analysis.figures", fromlist=["x"]).pyplot(), "analysis"),
])
def test_each_feature_names_its_extra(monkeypatch, module, call, extra):
    monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.delitem(sys.modules, f"{module}.data", raising=False)
    with pytest.raises(ImportError, match=rf"spacy-maize-ner\[{extra}\]"):
        call()


def test_local_server_names_llama_cpp_and_its_build_time(monkeypatch, tmp_path):
    from spacy_maize_ner.study.evaluation.llm_server import LocalServer

    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    monkeypatch.delitem(sys.modules, "llama_cpp.server", raising=False)
    with pytest.raises(ImportError, match=r"llama-cpp-python\[server\].*llm-local.*6 minutes"):
        LocalServer(tmp_path / "m.gguf").start()
