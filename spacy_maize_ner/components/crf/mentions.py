"""The CRF's mention dictionary: training mentions, matched greedily on lower-cased tokens.

The feature strings (`dict=B|hi`, `dict=E|hi`, `dict=S|lo`) are weights' names in trained
CRF models: they keep their letters whatever the tag scheme.
"""
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

from ...tags import tags_to_spans


class MentionDictionary:
    """Lower-cased token sequences annotated as mentions in training, and how reliably.

    Each entry keeps how often the sequence was annotated as a mention and how often it
    occurs in the training text at all; their ratio, bucketed, is the feature, so a
    sequence that is usually not a gene ("cat", "ii") says so.
    entries (Dict[Tuple[str, ...], Tuple[int, int]]): mention -> (annotated, occurrences).
    """

    def __init__(self, entries: Dict[Tuple[str, ...], Tuple[int, int]]) -> None:
        self.entries = entries
        self.lengths: Dict[str, List[int]] = {}
        for key in entries:
            self.lengths.setdefault(key[0], []).append(len(key))
        for lengths in self.lengths.values():
            lengths.sort(reverse=True)

    @classmethod
    def count(
        cls, words: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], max_tokens: int = 8
    ) -> "MentionDictionary":
        """Count the mentions of IOB2-tagged sentences and their occurrences in the text.

        max_tokens (int): longer mentions are left out.
        """
        lowered = [[w.lower() for w in sent] for sent in words]
        annotated: Counter = Counter()
        for lower, sent_tags in zip(lowered, tags):
            for start, end, _ in tags_to_spans(sent_tags):
                if end - start <= max_tokens:
                    annotated[tuple(lower[start:end])] += 1
        occurrences: Counter = Counter()
        lengths: Dict[str, set] = {}
        for key in annotated:
            lengths.setdefault(key[0], set()).add(len(key))
        for lower in lowered:
            for i, first in enumerate(lower):
                for n in lengths.get(first, ()):
                    key = tuple(lower[i : i + n])
                    if key in annotated:
                        occurrences[key] += 1
        return cls({k: (v, max(v, occurrences[k])) for k, v in annotated.items()})

    def match(self, lower: Sequence[str]) -> List[Optional[str]]:
        """Greedy longest matches, left to right, as one feature (or None) per token.

        lower (Sequence[str]): the lower-cased tokens of a sentence.
        RETURNS (List[Optional[str]]): `dict=B|hi`, `dict=I|hi`, `dict=E|hi`, `dict=S|lo`...:
            position in the match and how often the match was a mention (hi >= 70%,
            mid >= 30%, lo below).
        """
        out: List[Optional[str]] = [None] * len(lower)
        i = 0
        while i < len(lower):
            for n in self.lengths.get(lower[i], ()):
                counts = self.entries.get(tuple(lower[i : i + n])) if i + n <= len(lower) else None
                if counts is None:
                    continue
                ratio = counts[0] / counts[1]
                level = "hi" if ratio >= 0.7 else "mid" if ratio >= 0.3 else "lo"
                if n == 1:
                    out[i] = f"dict=S|{level}"
                else:
                    out[i] = f"dict=B|{level}"
                    for j in range(i + 1, i + n - 1):
                        out[j] = f"dict=I|{level}"
                    out[i + n - 1] = f"dict=E|{level}"
                i += n - 1
                break
            i += 1
        return out

    def to_json(self) -> List[list]:
        """RETURNS (List[list]): [[annotated, occurrences, token, token...], ...], sorted."""
        return sorted([v[0], v[1], *k] for k, v in self.entries.items())

    @classmethod
    def from_json(cls, data: List[list]) -> "MentionDictionary":
        return cls({tuple(row[2:]): (row[0], row[1]) for row in data})
