"""How many parameters a pipeline has, and how many of them were trained.

Used for the parameter-performance bubble plot. Neural components are counted from their
thinc parameters and wrapped torch modules; the classic baselines by what they fit:
CRF feature and transition weights, HMM counts, dictionary terms. Components listed in
`[training] frozen_components` count as not trained; so does every component of a
pipeline saved without training (regime `none`).
"""
from typing import Any, Dict

from spacy.language import Language
from ...components.defaults import META_KEY


def _count_numbers(obj: Any) -> int:
    """Numbers in nested dicts/lists/arrays (the fitted counts of a model)."""
    import numpy

    if isinstance(obj, bool):
        return 0
    if isinstance(obj, (int, float)):
        return 1
    if isinstance(obj, numpy.ndarray):
        return int(obj.size)
    if isinstance(obj, dict):
        return sum(_count_numbers(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_count_numbers(v) for v in obj)
    return 0


def _thinc_parameters(model: Any) -> Dict[str, int]:
    """RETURNS (Dict[str, int]): `count`, all parameters, and `trainable`, those an optimizer
    updates: every thinc parameter and the torch parameters with requires_grad (a LoRA or
    prompt-tuned encoder keeps its frozen base in the count but not in `trainable`)."""
    total = trainable = 0
    seen = set()
    for node in model.walk():
        for name in node.param_names:
            if node.has_param(name):
                size = int(node.get_param(name).size)
                total, trainable = total + size, trainable + size
        for shim in node.shims:
            torch_model = getattr(shim, "_model", None)
            if torch_model is not None and id(torch_model) not in seen and hasattr(torch_model, "parameters"):
                seen.add(id(torch_model))
                for p in torch_model.parameters():
                    total += int(p.numel())
                    trainable += int(p.numel()) if p.requires_grad else 0
    return {"count": total, "trainable": trainable}


def component_parameters(pipe: Any) -> Dict[str, Any]:
    """RETURNS (Dict[str, Any]): `count` and `kind` (what was counted) of one component."""
    from thinc.api import Model

    model = getattr(pipe, "model", None)
    if isinstance(model, Model):
        return {**_thinc_parameters(model), "kind": "weights"}
    tagger = getattr(model, "_tagger", None)
    if tagger is not None and hasattr(tagger, "info"):  # crfsuite
        info = tagger.info()
        return {"count": len(info.state_features) + len(info.transitions), "kind": "crf feature and transition weights"}
    if getattr(model, "data", None) is not None:  # HMM counts
        return {"count": _count_numbers(model.data), "kind": "hmm counts"}
    terms = getattr(pipe, "terms", None)
    if terms is not None:
        return {"count": len(terms), "kind": "dictionary terms"}
    return {"count": 0, "kind": "none"}


def count_parameters(nlp: Language) -> Dict[str, Any]:
    """Total and trained parameters of a pipeline, per component.

    RETURNS (Dict[str, Any]): `total`, `trainable` and `components` ({name: {count, kind,
        trained}}).
    """
    training = nlp.config.get("training", {}) or {}
    frozen = set(training.get("frozen_components") or [])
    regime = (nlp.meta.get(META_KEY) or {}).get("regime")
    components = {}
    for name, pipe in nlp.pipeline:
        try:
            info = component_parameters(pipe)
        except Exception as err:  # a component of unknown shape must not stop the evaluation
            info = {"count": 0, "kind": f"not counted ({type(err).__name__})"}
        info["trained"] = name not in frozen and regime != "none" and info["count"] > 0
        components[name] = info
    return {
        "total": sum(c["count"] for c in components.values()),
        "trainable": sum(c.get("trainable", c["count"]) for c in components.values() if c["trained"]),
        "components": components,
    }
