"""Registration of the LLM functions in spacy-llm's registries (needs the `llm` extra).

setup.cfg declares the same names as entry points (`thinc_llm_models`, `thinc_llm_tasks`,
`spacy_misc`): spacy-llm creates its registries with `entry_points=True` through
`spacy.util.registry.create`, which names them in the "thinc" namespace, so catalogue reads
those groups and finds the names in any process without importing this package; importing
this module registers them directly too (tests, notebooks). tests/test_entry_points.py
checks every group.
"""
from ..extras import require

registry = require("spacy_llm.registry", feature="The LLM pipelines", extra="llm", package="spacy-llm>=0.7,<0.8").registry

# after the check: these modules import spacy_llm themselves
from .examples import make_fewshot_docbin  # noqa: E402
from .model import make_openai_compatible  # noqa: E402
from .task import make_exact_ner_task  # noqa: E402

registry.llm_models.register("spacy_maize_ner.OpenAICompatible.v1", func=make_openai_compatible)
registry.llm_tasks.register("spacy_maize_ner.ExactNER.v1", func=make_exact_ner_task)
registry.misc.register("spacy_maize_ner.FewShotDocBin.v1", func=make_fewshot_docbin)

__all__ = ["make_openai_compatible", "make_exact_ner_task", "make_fewshot_docbin"]
