"""Optional dependencies: import one, or fail with the command that installs it.

The package's core needs spaCy only; each feature that needs more names its extra in
setup.cfg (`[options.extras_require]`), and `require` is the one place that turns a missing
module into an error with that extra's install command:

    peft = require("peft", feature="spacy_maize_ner.PeftEncoder.v1", extra="transformers")
    -> ImportError: spacy_maize_ner.PeftEncoder.v1 needs the `peft` package:
       pip install -c constraints.txt 'spacy-maize-ner[transformers]' (or pip install peft).
"""
import importlib
from types import ModuleType


def require(module: str, *, feature: str, extra: str, package: str = "", note: str = "") -> ModuleType:
    """Import `module` (dotted names import their parents too) and return it.

    feature (str): what needs it, as the user knows it ("annotate --ray", "Reading a GGUF file").
    extra (str): the extra of setup.cfg that installs it. package (str): the pip requirement for
        users without the extra (default: the top-level module's name). note (str): a sentence
        added to the error (how long a build takes, say).
    RAISES (ImportError): the module is missing; the message has the install command.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = package or module.split(".")[0]
        message = (f"{feature} needs the `{package}` package: pip install -c constraints.txt "
                   f"'spacy-maize-ner[{extra}]' (or pip install '{package}').")
        raise ImportError(message + (f" {note}" if note else "")) from error
