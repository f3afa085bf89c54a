"""Word shapes for the CRF's shape features: `ZmCCT9` -> `XxXXXd` -> `XxXd`."""
from typing import List, Optional


def word_shape(word: str, max_length: Optional[int] = 12) -> str:
    """`ZmCCT9` -> `XxXXXd`: X upper, x lower, d digit, other characters kept.

    word (str): the token text.
    max_length (Optional[int]): longer shapes are cut and end in `~`; None keeps all.
    RETURNS (str): the shape.
    """
    out = []
    for char in word if max_length is None else word[: max_length + 1]:
        if char.isupper():
            out.append("X")
        elif char.islower():
            out.append("x")
        elif char.isdigit():
            out.append("d")
        else:
            out.append(char)
    if max_length is not None and len(out) > max_length:
        out[max_length] = "~"
    return "".join(out)


def brief_shape(shape: str) -> str:
    """`XxXXXd` -> `XxXd`: a word shape with runs of one character collapsed.

    shape (str): a shape from `word_shape(word, max_length=None)`.
    RETURNS (str): the brief shape.
    """
    out: List[str] = []
    for char in shape:
        if not out or out[-1] != char:
            out.append(char)
    return "".join(out)
