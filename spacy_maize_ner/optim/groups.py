"""Parameter groups: one learning-rate schedule per component (and per parameter name).

spaCy trains every component with one optimizer and one learning rate. A head trained
from scratch on a pretrained encoder wants a rate one or two orders above the encoder's,
and so do adapters and prompts (PEFT). Scaling gradients (the listener's `grad_factor`)
cannot do this: Adam divides the scale away. So `spacy_maize_ner.GroupedAdam.v1` keeps
thinc's Adam update and swaps in each group's rate for the parameters of that group.

A parameter belongs to the first group whose `components` holds the component being
updated and whose `params` (a regular expression, searched in the parameter's name; torch
names such as `encoder.layer.0.attention.self.query.lora_A.default.weight` for a
transformer, thinc names such as `W`, `b` for a thinc layer) matches; groups with a
`params` pattern are tried before groups without one. Parameters of no group follow
`learn_rate`, the optimizer's own schedule.

The optimizer only sees `(node id, parameter name)` keys. Which component a key belongs to
is recorded by the `spacy_maize_ner.bind_parameter_groups.v1` callback
([initialize.after_init]), which walks each component's model once the pipeline is
initialised (so that lazily loaded encoders and adapters are there).
"""
import re
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

from spacy.language import Language
from spacy.util import registry
from thinc.api import Model, Optimizer
from thinc.types import FloatsXd

FloatOrSchedule = Union[float, Iterator[float], List[float]]
# (node or shim id, parameter name) -> the component that owns it; see bind_components.
COMPONENT_OF_KEY: Dict[Tuple[int, str], str] = {}


class ParamGroup(NamedTuple):
    name: str
    components: Tuple[str, ...]
    params: Optional["re.Pattern[str]"]
    schedule: Iterator[float]


class GroupedOptimizer(Optimizer):
    """thinc's Optimizer with one learning-rate schedule per parameter group."""

    def __init__(self, learn_rate: FloatOrSchedule, *, groups: Sequence[ParamGroup], **kwargs: Any) -> None:
        super().__init__(learn_rate, **kwargs)
        # Groups with a parameter pattern first, so `adapters` wins over `transformer`.
        self.groups: List[ParamGroup] = sorted(groups, key=lambda g: g.params is None)
        self.group_rates: Dict[str, float] = {g.name: next(g.schedule) for g in self.groups}
        # The rate each group's parameters received at their last update (read by tests and logs).
        self.last_rates: Dict[str, float] = {}
        self._key_groups: Dict[Tuple[int, str], Optional[ParamGroup]] = {}

    def group_of(self, key: Tuple[int, str]) -> Optional[ParamGroup]:
        """The group of the parameter `key` (None: the default rate)."""
        if key not in self._key_groups:
            component = COMPONENT_OF_KEY.get(key)
            if component is None and any(g.components for g in self.groups):
                raise RuntimeError(
                    f"GroupedAdam has groups by component but no component owns the parameter {key}. "
                    "Add the binding callback to the config:\n[initialize.after_init]\n"
                    '@callbacks = "spacy_maize_ner.bind_parameter_groups.v1"'
                )
            name = str(key[1])
            found = None
            for group in self.groups:
                if group.components and component not in group.components:
                    continue
                if group.params is not None and not group.params.search(name):
                    continue
                found = group
                break
            self._key_groups[key] = found
        return self._key_groups[key]

    def __call__(self, key: Tuple[int, str], weights: FloatsXd, gradient: FloatsXd, *, lr_scale: float = 1.0):
        group = self.group_of(key)
        if group is None:
            self.last_rates["default"] = self.learn_rate
            return super().__call__(key, weights, gradient, lr_scale=lr_scale)
        base_rate = self.learn_rate
        self.learn_rate = self.group_rates[group.name]
        self.last_rates[group.name] = self.learn_rate
        try:
            return super().__call__(key, weights, gradient, lr_scale=lr_scale)
        finally:
            self.learn_rate = base_rate

    def step_schedules(self) -> None:
        super().step_schedules()
        for group in self.groups:
            try:
                self.group_rates[group.name] = next(group.schedule)
            except StopIteration:  # an exhausted schedule keeps its last value
                pass


def _schedule(value: FloatOrSchedule) -> Iterator[float]:
    if isinstance(value, (int, float)):
        rate = float(value)

        def constant() -> Iterator[float]:
            while True:
                yield rate

        return constant()
    return iter(value)


@registry.optimizers("spacy_maize_ner.GroupedAdam.v1")
def create_grouped_adam(
    learn_rate: FloatOrSchedule = 0.001,
    *,
    groups: Dict[str, Dict[str, Any]] = {},
    L2: float = 0.0,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    grad_clip: float = 1.0,
    use_averages: bool = False,
    L2_is_weight_decay: bool = True,
) -> GroupedOptimizer:
    """Adam (as thinc's Adam.v1) with a learning-rate schedule per parameter group.

    learn_rate (float or schedule): the rate of parameters outside every group.
    groups (Dict[str, Dict]): name -> {"components": [...], "params": regex or null,
        "learn_rate": float or schedule}.
    RETURNS (GroupedOptimizer): the optimizer.
    """
    parsed = []
    for name, spec in groups.items():
        unknown = set(spec) - {"components", "params", "learn_rate"}
        if unknown or "learn_rate" not in spec:
            raise ValueError(
                f"[training.optimizer.groups.{name}] takes components (list of component names), "
                f"params (a regular expression or null) and learn_rate (a float or a schedule); "
                f"got keys {sorted(spec)}."
            )
        pattern = spec.get("params")
        parsed.append(
            ParamGroup(
                name=name,
                components=tuple(spec.get("components") or ()),
                params=re.compile(pattern) if pattern else None,
                schedule=_schedule(spec["learn_rate"]),
            )
        )
    return GroupedOptimizer(
        learn_rate,
        groups=parsed,
        L2=L2,
        beta1=beta1,
        beta2=beta2,
        eps=eps,
        grad_clip=grad_clip,
        use_averages=use_averages,
        L2_is_weight_decay=L2_is_weight_decay,
    )


def parameter_keys(model: Model) -> Iterator[Tuple[int, str]]:
    """The optimizer keys of every parameter of `model`: thinc nodes and torch shims."""
    for node in model.walk():
        for name in node.param_names:
            yield (node.id, name)
        for shim in node.shims:
            torch_model = getattr(shim, "_model", None)
            if hasattr(torch_model, "named_parameters"):
                for name, _ in torch_model.named_parameters():
                    yield (shim.id, name)


def bind_components(nlp: Language) -> Language:
    """Record which component owns each parameter key, for GroupedOptimizer.

    The keys are unique in a process (thinc's node and shim ids never repeat), so one
    table serves every pipeline; the first component that holds a key owns it.
    """
    for name, component in nlp.components:
        model = getattr(component, "model", None)
        if isinstance(model, Model):
            for key in parameter_keys(model):
                COMPONENT_OF_KEY.setdefault(key, name)
    return nlp


@registry.callbacks("spacy_maize_ner.bind_parameter_groups.v1")
def create_bind_parameter_groups() -> Callable[[Language], Language]:
    """An [initialize.after_init] callback for `spacy_maize_ner.GroupedAdam.v1`."""
    return bind_components
