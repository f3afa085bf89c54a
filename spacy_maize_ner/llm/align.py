"""Map mentions from an answer to exact character offsets in the text.

Matching policy, per mention string (the answer says *what*, the text says *where*):

1. **Exact case, every occurrence.** All occurrences of the mention in the text whose start
   and end fall on token boundaries are tagged: a gene named twice is tagged twice, and the
   order of the answer does not matter (spacy-llm's `spacy.NER.v3` searches lower-cased
   text forward from the last match, so it tags a repeated mention once and loses
   mentions listed out of text order).
2. **Else any case** (`re.IGNORECASE`), at token boundaries. Exact-case hits win: when
   "IL-2" occurs exactly, "il-2" elsewhere is not tagged for it.
3. **Else ignoring whitespace** between characters ("IL-2" for the tokenised "IL - 2"), any
   case, at token boundaries.
4. Otherwise the mention is dropped and counted: **unaligned** when it occurs in the text
   but not at token boundaries (inside a longer token; never shortened or widened, unlike
   spacy-llm's `contract`/`expand` alignment), **hallucinated** when it does not occur.

Overlapping results (e.g. "insulin" and "insulin receptor") keep the longest
(`spacy.util.filter_spans`), and the dropped ones are counted. Inline-marked answers carry
positions: the marked answer is aligned to the text character by character
(`difflib.SequenceMatcher`), so only the marked occurrence is tagged.
"""
import difflib
import re
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Set, Tuple

from .parser import Marked, Mention


class Found(NamedTuple):
    start: int  # character offsets in the text
    end: int
    label: str
    how: str  # exact, case, space, inline


class Alignment(NamedTuple):
    found: List[Found]
    counts: Dict[str, int]  # exact, case, space, inline, hallucinated, unaligned


def token_bounds(tokens: Iterable[Tuple[int, int]]) -> Tuple[Set[int], Set[int]]:
    """tokens: (start_char, end_char) of each token. RETURNS (starts, ends)."""
    starts, ends = set(), set()
    for start, end in tokens:
        starts.add(start)
        ends.add(end)
    return starts, ends


def _at_bounds(spans: Iterable[Tuple[int, int]], starts: Set[int], ends: Set[int]) -> List[Tuple[int, int]]:
    return [(s, e) for s, e in spans if s in starts and e in ends]


def find_mention(text: str, mention: str, starts: Set[int], ends: Set[int]) -> Tuple[List[Tuple[int, int]], str]:
    """Every place of `mention` in `text` by the policy above.

    RETURNS (Tuple[List[Tuple[int, int]], str]): the (start, end) offsets and how they were
        found: "exact", "case", "space", or "unaligned"/"hallucinated" with no offsets.
    """
    mention = mention.strip()
    if not mention:
        return [], "hallucinated"
    exact, i = [], text.find(mention)
    while i >= 0:
        exact.append((i, i + len(mention)))
        i = text.find(mention, i + 1)
    hits = _at_bounds(exact, starts, ends)
    if hits:
        return hits, "exact"
    any_case = [m.span() for m in re.finditer(re.escape(mention), text, re.I)]
    hits = _at_bounds(any_case, starts, ends)
    if hits:
        return hits, "case"
    chars = [re.escape(c) for c in mention if not c.isspace()]
    spaced = [m.span() for m in re.finditer(r"\s*".join(chars), text, re.I)] if chars else []
    hits = _at_bounds(spaced, starts, ends)
    if hits:
        return hits, "space"
    return [], "unaligned" if (exact or any_case or spaced) else "hallucinated"


def align_mentions(text: str, mentions: Sequence[Mention], starts: Set[int], ends: Set[int]) -> Alignment:
    """Offsets of every mention of a list answer (duplicates in the answer count once)."""
    counts = dict.fromkeys(("exact", "case", "space", "inline", "hallucinated", "unaligned"), 0)
    found: List[Found] = []
    seen = set()
    for mention in mentions:
        key = (mention.text.strip(), mention.label)
        if key in seen:
            continue
        seen.add(key)
        spans, how = find_mention(text, mention.text, starts, ends)
        counts[how] += 1
        found.extend(Found(s, e, mention.label, how) for s, e in spans)
    return Alignment(found, counts)


def char_map(source: str, target: str) -> List[Optional[int]]:
    """For each character of `target`, its position in `source` (None where they differ).

    Equal stretches map one to one; replaced stretches of equal length too (a model that
    changed quotes or dashes).
    """
    mapping: List[Optional[int]] = [None] * len(target)
    matcher = difflib.SequenceMatcher(None, source, target, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and a1 - a0 == b1 - b0):
            for k in range(b1 - b0):
                mapping[b0 + k] = a0 + k
    return mapping


def align_inline(text: str, marked: Marked, starts: Set[int], ends: Set[int]) -> Alignment:
    """Offsets of the marks of an inline answer in the original text.

    A mark whose ends map onto token boundaries is kept where it is; one that does not
    (the model rewrote that stretch) falls back to the policy above, keeping the
    occurrence nearest to where the mark was.
    """
    counts = dict.fromkeys(("exact", "case", "space", "inline", "hallucinated", "unaligned"), 0)
    mapping = char_map(text, marked.text) if marked.text != text else list(range(len(text)))
    found: List[Found] = []
    for s, e, label in marked.spans:
        ms = mapping[s] if s < len(mapping) else None
        me = mapping[e - 1] if 0 < e <= len(mapping) else None
        if ms is not None and me is not None and ms in starts and me + 1 in ends and me >= ms:
            found.append(Found(ms, me + 1, label, "inline"))
            counts["inline"] += 1
            continue
        spans, how = find_mention(text, marked.text[s:e], starts, ends)
        counts[how] += 1
        if spans:
            guess = ms if ms is not None else round(s * len(text) / max(1, len(marked.text)))
            best = min(spans, key=lambda span: abs(span[0] - guess))
            found.append(Found(best[0], best[1], label, how))
    return Alignment(found, counts)
