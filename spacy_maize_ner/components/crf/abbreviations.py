"""Long form ( SHORT ) pairs in a sentence, for the CRF's abbreviation features."""
from typing import List, Sequence, Tuple


def abbreviations(words: Sequence[str], max_short: int = 4) -> List[Tuple[int, int, int, int]]:
    """Find "long form ( SHORT )" pairs, a simplified Schwartz & Hearst (2003).

    The short form is 1 to `max_short` tokens inside brackets, starting with a letter or
    digit and holding a letter; the long form is the fewest words before the bracket whose
    letters contain the short form's letters in order, the first matching the start of a
    word, within min(n + 5, 2n) words for an n-character short form.
    RETURNS (List[Tuple[int, int, int, int]]): (long start, long end, short start, short end).
    """
    found = []
    for i, word in enumerate(words):
        if word != "(" or i == 0:
            continue
        end = i + 1
        while end < len(words) and end - i - 1 <= max_short and words[end] != ")":
            end += 1
        if end >= len(words) or words[end] != ")" or end == i + 1 or end - i - 1 > max_short:
            continue
        short = "".join(words[i + 1 : end]).lower()
        letters = [c for c in short if c.isalnum()]
        if not short[0].isalnum() or not any(c.isalpha() for c in short) or len(letters) < 2:
            continue
        limit = min(len(letters) + 5, 2 * len(letters))
        for start in range(i - 1, max(-1, i - 1 - limit), -1):
            if words[start] in ("(", ")", ".", ";", ","):
                break
            if _long_form_matches(letters, [w.lower() for w in words[start:i]]):
                found.append((start, i, i + 1, end))
                break
    return found


def _long_form_matches(letters: List[str], long_words: List[str]) -> bool:
    """Whether the short form's letters occur in order in `long_words`, right to left,
    with the first letter at the start of the first word."""
    if not long_words or not long_words[0] or long_words[0][0] != letters[0]:
        return False
    text = " ".join(long_words)
    pos = len(text)
    for char in reversed(letters[1:]):
        pos = text.rfind(char, 1, pos)
        if pos < 0:
            return False
    return True
