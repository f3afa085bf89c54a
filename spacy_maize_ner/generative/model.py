"""The decoder's arithmetic for the generative tagger: tag logits under teacher forcing, and
greedy decoding constrained to valid tags with the key-value cache.

Only the rows of the output embedding that belong to the tag ids are multiplied with the
hidden states (never the whole vocabulary: 262,144 rows for Gemma 3), and Gemma's final
soft-capping is applied when the config has it, so the tag logits are the LM's own logits
for those ids, renormalised over the tags.
"""
from typing import List, Sequence

import numpy

from ..tags import Constraints
from .layout import Layout, prompt_ids, word_ids


def _decoder(lm):
    """The transformer stack under the LM head (LoRA layers included when peft wrapped it)."""
    base = lm.get_base_model() if hasattr(lm, "get_base_model") else lm
    return base.get_decoder(), base


def tag_head(lm, tag_ids: Sequence[int]):
    """A function hidden states (..., H) -> tag logits (..., n_tags), from the LM head's tag rows."""
    import torch

    _, base = _decoder(lm)
    head = base.get_output_embeddings()
    index = torch.tensor(list(tag_ids), device=head.weight.device)
    cap = getattr(base.config, "final_logit_softcapping", None)

    def apply(hidden):
        logits = hidden @ head.weight.index_select(0, index).T
        if getattr(head, "bias", None) is not None:
            logits = logits + head.bias.index_select(0, index)
        return torch.tanh(logits / cap) * cap if cap else logits

    return apply


def tag_logits(lm, layouts: Sequence[Layout], tag_ids: Sequence[int], pad_id: int):
    """Logits over the tags at every tag position of a batch (right-padded, one forward pass).

    RETURNS (torch.Tensor): (sum of the layouts' tags, n_tags), in the layouts' order.
    """
    import torch

    decoder, base = _decoder(lm)
    device = base.get_output_embeddings().weight.device
    width = max(len(layout.input_ids) for layout in layouts)
    ids = torch.full((len(layouts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(layouts), width), dtype=torch.long)
    rows, cols = [], []
    for b, layout in enumerate(layouts):
        ids[b, : len(layout.input_ids)] = torch.tensor(layout.input_ids)
        mask[b, : len(layout.input_ids)] = 1
        rows += [b] * len(layout.tag_positions)
        cols += list(layout.tag_positions)
    hidden = decoder(input_ids=ids.to(device), attention_mask=mask.to(device)).last_hidden_state
    return tag_head(lm, tag_ids)(hidden[torch.tensor(rows, device=device), torch.tensor(cols, device=device)])


def decode(lm, tokenizer, words: Sequence[str], tag_ids: Sequence[int], allowed: Constraints, *, instruction: str,
           cache: dict) -> List[int]:
    """Greedy decoding of one sentence: after each word, the best tag that may follow the last one.

    The words are fed, not generated; the model only chooses among `tag_ids`, so the result has
    exactly one valid tag per word. RETURNS (List[int]): indices into the tags.
    """
    import torch

    if not words:
        return []
    decoder, base = _decoder(lm)
    device = base.get_output_embeddings().weight.device
    head = tag_head(lm, tag_ids)
    chosen: List[int] = []
    feed = prompt_ids(tokenizer, words, instruction) + word_ids(tokenizer, words[0], cache)
    past = None
    with torch.no_grad():
        for i in range(len(words)):
            out = decoder(input_ids=torch.tensor([feed], device=device), past_key_values=past, use_cache=True)
            past = out.past_key_values
            scores = head(out.last_hidden_state[0, -1]).float().cpu().numpy()
            valid = allowed.start if i == 0 else allowed.transition[chosen[-1]]
            if i == len(words) - 1:
                valid = valid & allowed.end
            scores = numpy.where(valid, scores, -numpy.inf)
            chosen.append(int(numpy.argmax(scores)))
            if i + 1 < len(words):
                feed = [tag_ids[chosen[-1]]] + word_ids(tokenizer, words[i + 1], cache)
    return chosen


class NoLMHeadError(ValueError):
    """A decoder folder without an LM head whose embeddings are not tied to one."""


def load_causal_lm(location: str):
    """The decoder at `location` with its LM head, in float32.

    provide-decoder (and any `AutoModel.save_pretrained`) writes the bare decoder: its weights
    have no `model.` prefix and no `lm_head`, which AutoModelForCausalLM would silently
    initialise at random. Then the bare weights are loaded into the causal LM's decoder and
    the head is the tied input embedding (Gemma 3 and Qwen2.5 0.5B/1.5B tie them). RAISES
    (NoLMHeadError): a bare decoder whose config does not tie the embeddings.
    """
    import torch
    from transformers import AutoModel, AutoModelForCausalLM

    lm, info = AutoModelForCausalLM.from_pretrained(location, torch_dtype=torch.float32, output_loading_info=True)
    missing = set(info.get("missing_keys") or ())
    if missing - {"lm_head.weight"}:  # a bare decoder: nothing of it reached the causal LM
        bare = AutoModel.from_pretrained(location, torch_dtype=torch.float32)
        lm.get_decoder().load_state_dict(bare.state_dict(), strict=True)
    if "lm_head.weight" in missing:
        if not getattr(lm.config, "tie_word_embeddings", False):
            raise NoLMHeadError(
                f"The decoder at {location} has no LM head (lm_head.weight) and its config does not tie it to the "
                "input embeddings: the generative tagger needs the head's rows for the tag tokens. Save the model "
                "with AutoModelForCausalLM.save_pretrained, or use a decoder with tied embeddings.")
        lm.tie_weights()
    return lm
