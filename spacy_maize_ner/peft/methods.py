"""The PEFT blocks of `spacy_maize_ner.PeftEncoder.v1`: LoRA, prompt tuning, prefix tuning.

Each block is a registered function (`[components.transformer.model.peft]`) that returns a
`PeftMethod`: the method's name and settings, cheap to build from config. The `peft`
config object is only made when the encoder is loaded (`peft_config`), because prompt
methods need the encoder's own sizes and a text initialisation needs its tokenizer.

    [components.transformer.model.peft]
    @misc = "spacy_maize_ner.lora.v1"
    r = 8
    alpha = 16
    dropout = 0.1
    target_modules = ["query", "key", "value", "dense"]
"""
from typing import Any, Dict, List, Literal, NamedTuple, Optional

from spacy.util import registry

from ..extras import require

Method = Literal["lora", "prompt", "prefix"]
# The torch parameter names of each method's trainable weights, for a GroupedAdam group
# (`params` regex) and for the checks that nothing else trains.
ADAPTER_PATTERN = r"lora_|prompt_encoder"


class PeftMethod(NamedTuple):
    """A PEFT method and its settings, as read from the config block."""

    method: str
    settings: Dict[str, Any]

    @property
    def num_virtual_tokens(self) -> int:
        """The positions the method prepends to every sequence (0 for LoRA)."""
        return int(self.settings.get("num_virtual_tokens", 0)) if self.method != "lora" else 0


def require_peft():
    """Import peft, or fail with the install command."""
    return require("peft", feature="spacy_maize_ner.PeftEncoder.v1", extra="transformers")


@registry.misc("spacy_maize_ner.lora.v1")
def create_lora(
    *,
    r: int = 8,
    alpha: int = 16,
    dropout: float = 0.1,
    target_modules: List[str] = ["query", "key", "value"],
    exclude_modules: List[str] = ["pooler.dense"],
    bias: Literal["none", "all", "lora_only"] = "none",
) -> PeftMethod:
    """LoRA: low-rank updates B·A (rank `r`, scaled by alpha / r) beside the frozen weights.

    r (int): the rank of each update.
    alpha (int): the scaling numerator (lora_alpha).
    dropout (float): dropout on the adapter's input.
    target_modules (List[str]): torch module names (suffixes) that get adapters; for BERT
        "query", "key", "value" (attention) and "dense" (attention output and feed-forward).
    RETURNS (PeftMethod): the block.
    """
    if r < 1:
        raise ValueError(f"LoRA rank r must be a positive integer; got r = {r}.")
    if not target_modules:
        raise ValueError('LoRA needs target_modules, e.g. ["query", "key", "value"] for BERT.')
    return PeftMethod("lora", {"r": r, "alpha": alpha, "dropout": dropout, "target_modules": list(target_modules),
                                "exclude_modules": list(exclude_modules), "bias": bias})


@registry.misc("spacy_maize_ner.prompt_tuning.v1")
def create_prompt_tuning(
    *,
    num_virtual_tokens: int = 50,
    init: Literal["random", "text"] = "random",
    init_text: Optional[str] = None,
) -> PeftMethod:
    """Prompt tuning: `num_virtual_tokens` trained embeddings prepended to the input.

    num_virtual_tokens (int): the prompt length; the encoder's position budget for text
        shrinks by as much (512 - prompt length for BERT).
    init (str): "random" or "text" (the embeddings of `init_text`'s wordpieces, repeated
        to the prompt length).
    init_text (Optional[str]): the text for init = "text".
    RETURNS (PeftMethod): the block.
    """
    _check_length(num_virtual_tokens)
    if init == "text" and not init_text:
        raise ValueError('Prompt tuning with init = "text" needs init_text, e.g. init_text = "gene names in maize".')
    if init not in ("random", "text"):
        raise ValueError(f'Prompt init must be "random" or "text"; got {init!r}.')
    return PeftMethod("prompt", {"num_virtual_tokens": num_virtual_tokens, "init": init, "init_text": init_text})


@registry.misc("spacy_maize_ner.prefix_tuning.v1")
def create_prefix_tuning(
    *,
    num_virtual_tokens: int = 20,
    projection: bool = False,
    projection_hidden_size: int = 512,
) -> PeftMethod:
    """Prefix tuning (P-tuning v2): trained keys and values prepended at every layer.

    num_virtual_tokens (int): the prefix length per layer.
    projection (bool): reparameterise the prefix through a two-layer MLP (Li & Liang);
        P-tuning v2 trains the prefixes directly (false).
    projection_hidden_size (int): the MLP's width when projection is true.
    RETURNS (PeftMethod): the block.
    """
    _check_length(num_virtual_tokens)
    return PeftMethod(
        "prefix", {"num_virtual_tokens": num_virtual_tokens, "projection": projection, "projection_hidden_size": projection_hidden_size}
    )


def _check_length(n: int) -> None:
    if n < 1:
        raise ValueError(f"num_virtual_tokens must be a positive integer; got {n}.")


def peft_config(method: PeftMethod, tokenizer_path: Optional[str] = None):
    """RETURNS (peft.PeftConfig): the peft config of `method` (FEATURE_EXTRACTION task).

    tokenizer_path (Optional[str]): the encoder's folder or hub id, for a text-initialised prompt.
    """
    peft = require_peft()
    s = method.settings
    if method.method == "lora":
        return peft.LoraConfig(
            task_type=peft.TaskType.FEATURE_EXTRACTION,
            r=s["r"],
            lora_alpha=s["alpha"],
            lora_dropout=s["dropout"],
            target_modules=list(s["target_modules"]),
            exclude_modules=list(s.get("exclude_modules") or []) or None,
            bias=s.get("bias", "none"),
        )
    if method.method == "prompt":
        text = s.get("init") == "text"
        return peft.PromptTuningConfig(
            task_type=peft.TaskType.FEATURE_EXTRACTION,
            num_virtual_tokens=s["num_virtual_tokens"],
            prompt_tuning_init=peft.PromptTuningInit.TEXT if text else peft.PromptTuningInit.RANDOM,
            prompt_tuning_init_text=s.get("init_text") if text else None,
            tokenizer_name_or_path=tokenizer_path if text else None,
        )
    if method.method == "prefix":
        return peft.PrefixTuningConfig(
            task_type=peft.TaskType.FEATURE_EXTRACTION,
            num_virtual_tokens=s["num_virtual_tokens"],
            prefix_projection=bool(s.get("projection", False)),
            encoder_hidden_size=int(s.get("projection_hidden_size", 512)),
        )
    raise ValueError(f"Unknown PEFT method {method.method!r}; known: lora, prompt, prefix.")
