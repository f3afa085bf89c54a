"""Read an LLM's answer into mentions, whatever shape it came in.

Accepted shapes (the prompt asks for one; small models often answer in another):

- JSON: `{"GENE": ["BRCA1", "p53"]}`, `["BRCA1", ...]` (one label), `[{"text": .., "label": ..}]`,
  `{"mentions": [...]}`, inside ```json fences or after some chatter.
- inline marks: the text repeated with mentions marked, `<GENE>BRCA1</GENE>`; these carry
  positions (see `align.align_inline`).
- lists: spacy-llm's `1. BRCA1 | True | GENE | reason` lines, bullets (`- BRCA1`), `GENE: BRCA1, p53`.

`status` is "parsed" (a shape above), "empty" (nothing but whitespace), or "malformed"
(none of the above; complete quoted strings of broken JSON are salvaged as mentions).
"""
import json
import re
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

NONE_ANSWERS = {"none", "no", "n/a", "==none==", "no genes", "no mentions", "nothing", "[]", "{}"}
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.S)
_QUOTED = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+(.*\S)\s*$")
_KEYS = {"text", "mention", "span", "entity", "label", "type", "mentions", "entities", "start", "end"}


class Mention(NamedTuple):
    text: str
    label: str


class Marked(NamedTuple):
    """An inline-marked answer: the answer with marks removed and the marked ranges in it."""

    text: str
    spans: List[Tuple[int, int, str]]


class Parsed(NamedTuple):
    status: str  # parsed, empty, malformed
    shape: str  # json, inline, list, none, salvaged, ""
    mentions: List[Mention]
    marked: Optional[Marked] = None
    unknown_labels: int = 0


class LabelResolver:
    """Map the labels a model writes (any case, "Gene" for "GENE") onto the task's labels."""

    def __init__(self, labels: Sequence[str]) -> None:
        self.labels = list(labels)
        self._lookup = {self._norm(label): label for label in labels}

    @staticmethod
    def _norm(label: str) -> str:
        return re.sub(r"[^a-z0-9]", "", label.lower())

    def __call__(self, label: Optional[str]) -> Optional[str]:
        if label is None or not str(label).strip():
            return self.labels[0] if len(self.labels) == 1 else None
        norm = self._norm(str(label))
        if norm in self._lookup:
            return self._lookup[norm]
        if norm.endswith("s") and norm[:-1] in self._lookup:  # "GENES"
            return self._lookup[norm[:-1]]
        return None


def parse_answer(text: str, labels: Sequence[str], answer_format: str = "json") -> Parsed:
    """text (str): the answer. labels: the task's labels. answer_format: "json" or "inline"."""
    resolve = LabelResolver(labels)
    if not text or not text.strip():
        return Parsed("empty", "", [])
    stripped = text.strip()
    if stripped.lower().strip(" .") in NONE_ANSWERS:
        return Parsed("parsed", "none", [])
    if answer_format == "inline":
        marked = parse_inline(stripped, labels)
        if marked is not None:
            return Parsed("parsed", "inline", [], marked=marked)
    fenced = _FENCE.search(stripped)
    body = fenced.group(1) if fenced else stripped
    start = _json_start(body)
    if start is not None:
        try:
            value, _ = json.JSONDecoder().raw_decode(body[start:])
        except ValueError:
            value = _NOT_JSON
        if value is not _NOT_JSON:
            mentions, unknown = _from_json(value, resolve)
            if mentions is not None:
                return Parsed("parsed", "json", mentions, unknown_labels=unknown)
        salvaged = _salvage_strings(body[start:], resolve)
        if salvaged:
            return Parsed("malformed", "salvaged", salvaged)
    mentions, unknown = _from_lines(stripped, resolve)
    if mentions is not None:
        return Parsed("parsed", "list", mentions, unknown_labels=unknown)
    if answer_format != "inline":
        marked = parse_inline(stripped, labels)
        if marked is not None:
            return Parsed("parsed", "inline", [], marked=marked)
    return Parsed("malformed", "", [])


_NOT_JSON = object()


def _json_start(text: str) -> Optional[int]:
    positions = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    return min(positions) if positions else None


def _from_json(value, resolve: LabelResolver) -> Tuple[Optional[List[Mention]], int]:
    out: List[Mention] = []
    unknown = 0

    def add(item, label=None) -> None:
        nonlocal unknown
        if isinstance(item, str):
            resolved = resolve(label)
            if resolved is None:
                unknown += 1
            elif item.strip():
                out.append(Mention(item.strip(), resolved))
        elif isinstance(item, dict):
            text = next((item[k] for k in ("text", "mention", "span", "entity", "name") if isinstance(item.get(k), str)), None)
            lab = next((item[k] for k in ("label", "type", "category") if isinstance(item.get(k), str)), label)
            if text is not None:
                add(text, lab)
        elif isinstance(item, list):
            for sub in item:
                add(sub, label)

    if isinstance(value, dict):
        for key, items in value.items():
            if key.lower() in ("mentions", "entities", "genes", "answer", "results"):
                add(items, None if key.lower() in ("mentions", "entities", "answer", "results") else key)
            elif isinstance(items, (list, str)):
                if resolve(key) is None:
                    unknown += len(items) if isinstance(items, list) else 1
                else:
                    add(items, key)
        return out, unknown
    if isinstance(value, list):
        add(value)
        return out, unknown
    return None, 0


def _salvage_strings(text: str, resolve: LabelResolver) -> List[Mention]:
    """Complete quoted strings of broken or truncated JSON that are neither keys nor labels."""
    out = []
    for match in _QUOTED.finditer(text):
        value = match.group(1)
        after = text[match.end():].lstrip()
        if after.startswith(":") or value.lower() in _KEYS:
            continue  # a key
        try:
            value = json.loads(f'"{value}"')
        except ValueError:
            pass
        label = resolve(None)
        if value.strip() and label is not None:
            out.append(Mention(value.strip(), label))
    return out


def _from_lines(text: str, resolve: LabelResolver) -> Tuple[Optional[List[Mention]], int]:
    """List answers: numbered or bulleted lines, `a | True | LABEL | why`, `LABEL: a, b`."""
    out: List[Mention] = []
    unknown = 0
    recognised = False
    for line in text.splitlines():
        if not line.strip():
            continue
        bullet = _BULLET.match(line)
        body = bullet.group(1) if bullet else line.strip()
        if "|" in body:  # spacy-llm's chain-of-thought format
            parts = [p.strip() for p in body.split("|")]
            recognised = True
            if len(parts) >= 3 and parts[1].lower() in ("true", "false"):
                if parts[1].lower() == "false":
                    continue
                label = resolve(parts[2])
                if label is None:
                    unknown += 1
                elif parts[0]:
                    out.append(Mention(parts[0], label))
            elif parts[0] and resolve(None):
                out.append(Mention(parts[0], resolve(None)))
            continue
        prefix = re.match(r"^([A-Za-z][A-Za-z _-]{0,30}):\s*(.*)$", body)
        if prefix and resolve(prefix.group(1)) is not None:
            recognised = True
            label = resolve(prefix.group(1))
            rest = prefix.group(2).strip()
            if rest.lower().strip(" .") in NONE_ANSWERS or not rest:
                continue
            for item in re.split(r";|,\s+", rest):
                item = item.strip().strip('"').strip()
                if item:
                    out.append(Mention(item, label))
            continue
        if bullet:
            recognised = True
            item = body.strip().strip('"').strip()
            label = resolve(None)
            if label is not None and item.lower().strip(" .") not in NONE_ANSWERS:
                out.append(Mention(item, label))
    return (out, unknown) if recognised else (None, 0)


def parse_inline(text: str, labels: Sequence[str]) -> Optional[Marked]:
    """`<GENE>..</GENE>` marks (any case; `<ENT>` also for a single label): RETURNS None if no mark."""
    names = "|".join(re.escape(label) for label in labels)
    pattern = re.compile(rf"<({names}|ent|entity|e)>(.*?)</\1>", re.I | re.S)
    resolve = LabelResolver(labels)
    parts, spans, pos, length = [], [], 0, 0
    found = False
    for match in pattern.finditer(text):
        label = resolve(match.group(1)) if match.group(1).lower() not in ("ent", "entity", "e") else resolve(None)
        before = text[pos : match.start()]
        parts.append(before)
        length += len(before)
        inner = match.group(2)
        if label is not None and inner.strip():
            lead = len(inner) - len(inner.lstrip())
            spans.append((length + lead, length + len(inner.rstrip()), label))
        parts.append(inner)
        length += len(inner)
        pos = match.end()
        found = True
    if not found:
        return None
    parts.append(text[pos:])
    return Marked("".join(parts), spans)


def answer_examples(mentions: Dict[str, List[str]]) -> str:
    """The JSON answer for a few-shot example: {"GENE": ["a", "b"]} (labels in order)."""
    return json.dumps(mentions, ensure_ascii=False)
