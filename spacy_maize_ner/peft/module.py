"""The torch module the shim wraps: a peft model whose outputs line up with the wordpieces.

peft prepends prompt tuning's virtual tokens to the sequence, so the encoder returns
`num_virtual_tokens + n` hidden states for `n` wordpieces. spacy-transformers aligns
wordpieces to spaCy tokens by position: with the prompt still there every token would get
the vector of a wordpiece `num_virtual_tokens` places earlier, without an error. This
module runs the prompt itself (so `token_type_ids` are kept, padded for the prompt, where
peft would drop them), and returns the hidden states of the real wordpieces only.
Prefix tuning adds keys and values at every layer but no positions to the output; it
needs the attention mask widened by the prefix. Both use `num_virtual_tokens` positions
of the encoder's position budget (see `text_budget`).
"""
from typing import Optional

import torch
from transformers.modeling_outputs import BaseModelOutput


class PeftTransformer(torch.nn.Module):
    """peft_model (peft.PeftModel): the peft-wrapped Hugging Face encoder."""

    def __init__(self, peft_model) -> None:
        super().__init__()
        self.peft_model = peft_model

    @property
    def config(self):
        """The base encoder's transformers config (hidden_size etc.)."""
        return self.peft_model.get_base_model().config

    @property
    def device(self) -> torch.device:
        return next(self.peft_model.parameters()).device

    @property
    def peft_config(self):
        return self.peft_model.active_peft_config

    @property
    def method(self) -> str:
        return {"LORA": "lora", "PROMPT_TUNING": "prompt", "PREFIX_TUNING": "prefix"}[str(self.peft_config.peft_type.value)]

    @property
    def num_virtual_tokens(self) -> int:
        return int(self.peft_config.num_virtual_tokens) if self.peft_config.is_prompt_learning else 0

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: Optional[torch.Tensor] = None,
        token_type_ids: Optional[torch.Tensor] = None,
        **kwargs,
    ) -> BaseModelOutput:
        """RETURNS (BaseModelOutput): last_hidden_state of shape (batch, n wordpieces, width)."""
        n_virtual = self.num_virtual_tokens
        if n_virtual == 0:
            out = self.peft_model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                                  return_dict=True, **kwargs)
            return BaseModelOutput(last_hidden_state=out.last_hidden_state)
        base = self.peft_model.get_base_model()
        batch_size = input_ids.shape[0]
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        prompt_mask = torch.ones(batch_size, n_virtual, dtype=attention_mask.dtype, device=attention_mask.device)
        attention_mask = torch.cat((prompt_mask, attention_mask), dim=1)
        if self.method == "prefix":
            # Keys and values of the prefix at every layer; positions continue after it.
            past_key_values = self.peft_model.get_prompt(batch_size)
            out = base(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                       past_key_values=past_key_values, use_cache=False, return_dict=True, **kwargs)
            return BaseModelOutput(last_hidden_state=out.last_hidden_state)
        inputs_embeds = self.peft_model.word_embeddings(input_ids)
        prompts = self.peft_model.get_prompt(batch_size=batch_size).to(inputs_embeds.dtype)
        inputs_embeds = torch.cat((prompts, inputs_embeds), dim=1)
        if token_type_ids is not None:
            prompt_types = torch.zeros(batch_size, n_virtual, dtype=token_type_ids.dtype, device=token_type_ids.device)
            token_type_ids = torch.cat((prompt_types, token_type_ids), dim=1)
        out = base(inputs_embeds=inputs_embeds, attention_mask=attention_mask, token_type_ids=token_type_ids,
                   return_dict=True, **kwargs)
        # Strip the prompt: hidden state i is wordpiece i again.
        return BaseModelOutput(last_hidden_state=out.last_hidden_state[:, n_virtual:, :])


def text_budget(hf_config, tokenizer, num_virtual_tokens: int) -> int:
    """The wordpieces a sequence may hold once the prompt has taken its positions.

    RETURNS (int): min(tokenizer limit, max_position_embeddings) - num_virtual_tokens.
    """
    limits = [int(getattr(hf_config, "max_position_embeddings", 0) or 0)]
    model_max = getattr(tokenizer, "model_max_length", None)
    if model_max and model_max < 1_000_000:
        limits.append(int(model_max))
    limit = min(x for x in limits if x > 0)
    budget = limit - num_virtual_tokens
    if budget < 8:
        raise ValueError(
            f"A prompt of {num_virtual_tokens} virtual tokens leaves {budget} of the encoder's {limit} positions "
            "for text. Use a shorter prompt (num_virtual_tokens)."
        )
    return budget
