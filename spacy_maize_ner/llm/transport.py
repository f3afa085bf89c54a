"""One HTTP request to an OpenAI-compatible endpoint, and what its answer means.

`send` posts the JSON payload and classifies the outcome: an `LLMResponse` on success,
`RetryableError` for what may pass (429, 5xx, timeouts, dropped or cut connections, a body
that is not the protocol's JSON), `RequestError` for what will not (401, 403, 404, 400:
wrong key, model or endpoint). Headers, and so the API key, never appear in an error.
"""
import json
from typing import Any, Dict, Literal, Optional

import requests

from ..cli_errors import MaizeNerError
from .response import LLMResponse
from .retry import is_retryable_status, parse_retry_after

Api = Literal["chat", "completions"]
PATHS = {"chat": "/chat/completions", "completions": "/completions"}


class RetryableError(Exception):
    """A failure that may pass: `reason` names it for the counters, `retry_after` in seconds."""

    def __init__(self, reason: str, detail: str, retry_after: Optional[float] = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.retry_after = retry_after


class RequestError(MaizeNerError):
    """A failure that retrying will not fix (authentication, unknown model, bad request).

    Its message is the whole story (what failed, which key variable, what to set): the
    scripts print it alone (`spacy_maize_ner.cli_errors`); callers catch this type (or
    `MaizeNerError`) to end a run with the message and no traceback.
    """


def endpoint_url(base_url: str, api: Api) -> str:
    """`base_url` (e.g. https://api.deepseek.com or http://127.0.0.1:8080/v1) + the API's path."""
    if api not in PATHS:
        raise ValueError(f"Unknown api {api!r}: use 'chat' (/chat/completions) or 'completions' (/completions).")
    return base_url.rstrip("/") + PATHS[api]


def build_payload(api: Api, model: str, prompt: str, params: Dict[str, Any], system: str = "") -> Dict[str, Any]:
    """The request body: chat messages or a plain completion prompt, plus generation params."""
    payload: Dict[str, Any] = {"model": model}
    if api == "chat":
        messages = [{"role": "system", "content": system}] if system else []
        payload["messages"] = messages + [{"role": "user", "content": prompt}]
    else:
        payload["prompt"] = prompt
    payload.update({k: v for k, v in params.items() if v is not None})
    return payload


def parse_body(api: Api, body: Dict[str, Any]) -> LLMResponse:
    """The answer text, finish reason and usage of a 200 response body."""
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise RetryableError("bad_body", f"no 'choices' in the response (keys: {sorted(body)[:8]})")
    choice = choices[0]
    if api == "chat":
        message = choice.get("message") or {}
        text = message.get("content") if isinstance(message, dict) else None
    else:
        text = choice.get("text")
    usage = body.get("usage") or {}
    return LLMResponse(
        text=text if isinstance(text, str) else "",
        finish_reason=choice.get("finish_reason"),
        usage={k: int(usage[k]) for k in ("prompt_tokens", "completion_tokens") if isinstance(usage.get(k), (int, float))},
    )


def send(
    session: requests.Session,
    url: str,
    payload: Dict[str, Any],
    *,
    api: Api,
    api_key: Optional[str],
    timeout: float,
    key_env: str = "",
) -> LLMResponse:
    """Post one request. RETURNS (LLMResponse); raises RetryableError or RequestError."""
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    try:
        resp = session.post(url, data=json.dumps(payload).encode("utf8"), headers=headers, timeout=timeout)
        content = resp.content  # reads the whole body: a cut body raises here
    except requests.Timeout as err:
        raise RetryableError("timeout", f"no answer from {url} within {timeout} s") from err
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as err:
        raise RetryableError("connection", f"connection to {url} failed or dropped ({type(err).__name__})") from err
    status = resp.status_code
    if status != 200:
        snippet = content[:300].decode("utf8", "replace")
        if is_retryable_status(status):
            raise RetryableError(f"http_{status}", f"{url} answered {status}", parse_retry_after(resp.headers))
        if status in (401, 403):
            where = f"the environment variable {key_env}" if key_env else "no key (api_key_env is empty)"
            raise RequestError(
                f"{url} refused the request with {status} ({snippet!r}). The key came from {where}: "
                f"set it to a valid key for this provider (export {key_env or 'THE_KEY_VARIABLE'}=...)."
            )
        raise RequestError(
            f"{url} answered {status}: {snippet!r}. Check base_url, model ({payload.get('model')!r}) "
            "and the generation parameters in the [components.llm.model] block of the config."
        )
    try:
        body = json.loads(content.decode("utf8"))
    except ValueError as err:
        raise RetryableError("bad_body", f"{url} sent a body that is not JSON ({len(content)} bytes)") from err
    if not isinstance(body, dict):
        raise RetryableError("bad_body", f"{url} sent JSON that is not an object")
    return parse_body(api, body)

