"""The freeze-then-unfreeze schedule: bottom layers frozen first, then all layers, slower.

Two registered pieces, wired together in configs/transformer.cfg:
- `spacy_maize_ner.freeze_bottom_layers.v1` ([training.before_update]) switches
  `requires_grad` off for the embeddings and the bottom `n_layers` transformer layers
  while `step < until_step`, and back on afterwards. A parameter without a gradient is
  skipped by thinc's optimizer, so frozen weights stay bitwise unchanged (no weight decay).
- `spacy_maize_ner.two_phase_lr.v1` (an optimizer learn_rate) gives warmup then linear
  decay before `switch_step` and a lower constant-then-decaying rate after it.
With `n_layers = 0` (the default) the callback does nothing: that is the `full` regime.
"""
from typing import Any, Callable, Dict, Iterable, Iterator, List

from spacy.language import Language
from spacy.util import registry


def encoder_parameters(nlp: Language, component: str) -> "Any":
    """The torch module of the transformer component `component` (spacy-transformers)."""
    if component not in nlp.pipe_names:
        raise ValueError(
            f"freeze_bottom_layers: no component '{component}' in the pipeline {nlp.pipe_names}. "
            "Set [training.before_update.component] to the transformer component's name."
        )
    return nlp.get_pipe(component).model.transformer


def bottom_parameters(transformer: Any, n_layers: int) -> List[Any]:
    """The embedding parameters and those of the first `n_layers` layers of a BERT-like model."""
    base = getattr(transformer, "base_model", transformer)
    layers = getattr(getattr(base, "encoder", None), "layer", None)
    embeddings = getattr(base, "embeddings", None)
    if layers is None or embeddings is None:
        raise ValueError(
            f"freeze_bottom_layers supports BERT-like encoders (embeddings + encoder.layer); "
            f"got {type(transformer).__name__}. Use n_layers = 0 for other architectures."
        )
    if n_layers > len(layers):
        raise ValueError(f"freeze_bottom_layers: n_layers = {n_layers} but the encoder has {len(layers)} layers.")
    params = list(embeddings.parameters())
    for layer in list(layers)[:n_layers]:
        params.extend(layer.parameters())
    return params


def set_trainable(params: Iterable[Any], trainable: bool) -> None:
    for param in params:
        param.requires_grad_(trainable)


@registry.callbacks("spacy_maize_ner.freeze_bottom_layers.v1")
def create_freeze_bottom_layers(
    n_layers: int = 0, until_step: int = 0, component: str = "transformer"
) -> Callable[[Language, Dict[str, Any]], None]:
    """n_layers (int): bottom layers (plus embeddings) to freeze; 0 disables the callback.
    until_step (int): the first step at which every layer trains again.
    component (str): the transformer component's name.
    """

    state: Dict[str, Any] = {"params": None, "frozen": None}

    def before_update(nlp: Language, info: Dict[str, Any]) -> None:
        if n_layers <= 0:
            return
        frozen = info["step"] < until_step
        if state["params"] is None:
            state["params"] = bottom_parameters(encoder_parameters(nlp, component), n_layers)
        if frozen != state["frozen"]:  # only at the first step and at until_step
            set_trainable(state["params"], not frozen)
            state["frozen"] = frozen

    return before_update


@registry.schedules("spacy_maize_ner.two_phase_lr.v1")
def two_phase_lr(
    warmup_steps: int, switch_step: int, total_steps: int, initial_rate: float, final_rate: float
) -> Iterator[float]:
    """Phase one (steps before `switch_step`): linear warmup over `warmup_steps` to
    `initial_rate`, then constant. Phase two: `final_rate`, decaying linearly to zero at
    `total_steps`. With `switch_step = 0` this is thinc's warmup_linear(initial_rate).
    """
    step = 0
    while True:
        if step < warmup_steps and (switch_step <= 0 or step < switch_step):
            yield initial_rate * (step + 1) / warmup_steps
        elif switch_step <= 0:
            span = max(1, total_steps - warmup_steps)
            yield initial_rate * max(0.0, 1.0 - (step - warmup_steps) / span)
        elif step < switch_step:
            yield initial_rate
        else:
            span = max(1, total_steps - switch_step)
            yield final_rate * max(0.0, 1.0 - (step - switch_step) / span)
        step += 1


@registry.callbacks("spacy_maize_ner.initialize_components.v1")
def create_initialize_components(components: List[str]) -> Callable[[Language], Language]:
    """An [initialize.before_init] callback that initialises `components` up front.

    spaCy skips `initialize()` for frozen components because it expects them to be
    sourced from a trained pipeline. A frozen *pretrained encoder* (the probe regime) has
    no such source: this loads its weights so the listeners downstream know their width.
    """

    def before_init(nlp: Language) -> Language:
        for name in components:
            if name not in nlp.component_names:  # frozen components may be disabled here
                raise ValueError(f"initialize_components: no component '{name}' in {nlp.component_names}.")
            component = nlp.get_pipe(name)
            component.initialize(lambda: [], nlp=nlp)
            # Link the listeners downstream now (the component may be disabled here, and
            # a listener learns its width when it is linked).
            names = [n for n, _ in nlp.components]
            for _, downstream in nlp.components[names.index(name) + 1 :]:
                if hasattr(component, "find_listeners"):
                    component.find_listeners(downstream)
        return nlp

    return before_init
