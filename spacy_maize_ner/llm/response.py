"""What a model call returns to the task: the answer text and what it cost.

`LLMResponse` is a `str` (the answer text) with attributes, so spacy-llm's own tasks
(`spacy.NER.v3`, ...) can read it like any model's answer while ours also sees the finish
reason, the usage and whether the request failed.
"""
from typing import Any, Dict, Optional


class LLMResponse(str):
    """One answer of an OpenAI-compatible endpoint; the string value is the answer text.

    finish_reason (Optional[str]): "stop", "length" (truncated by max_tokens), ...
    usage (Dict[str, int]): prompt_tokens and completion_tokens as the server counted them.
    cached (bool): whether the answer came from the on-disk cache (no request made).
    error (Optional[str]): why no answer came (retries exhausted); the text is then "".
    """

    finish_reason: Optional[str]
    usage: Dict[str, int]
    cached: bool
    error: Optional[str]

    def __new__(cls, text: str = "", finish_reason: Optional[str] = None, usage: Optional[Dict[str, int]] = None,
                cached: bool = False, error: Optional[str] = None) -> "LLMResponse":
        obj = super().__new__(cls, text)
        obj.finish_reason = finish_reason
        obj.usage = dict(usage or {})
        obj.cached = cached
        obj.error = error
        return obj

    @property
    def text(self) -> str:
        return str.__str__(self)

    def to_json(self) -> Dict[str, Any]:
        return {"text": self.text, "finish_reason": self.finish_reason, "usage": dict(self.usage)}

    @classmethod
    def from_json(cls, data: Dict[str, Any], *, cached: bool = False) -> "LLMResponse":
        return cls(data.get("text") or "", data.get("finish_reason"), data.get("usage"), cached=cached)

    def __reduce__(self):
        return (LLMResponse, (self.text, self.finish_reason, self.usage, self.cached, self.error))
