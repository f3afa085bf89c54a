"""Entity co-occurrence: the N most frequent gene mentions co-mentioned within documents.

A mention is its identifier when the corpus has one (`ent.kb_id_`), else its normalised
surface form (lowercased, whitespace collapsed, spaces around hyphens and brackets
removed). Cell (i, j) counts the documents mentioning both i and j; the diagonal counts
the documents mentioning i.
"""
import re
from collections import Counter
from itertools import combinations
from typing import Any, Dict, Sequence

import numpy
from spacy.tokens import Doc

_SPACES = re.compile(r"\s+")
_AROUND = re.compile(r"\s*([-/()\[\]])\s*")


def normalise_mention(text: str) -> str:
    """'IL - 2 Receptor' -> 'il-2 receptor'."""
    text = _SPACES.sub(" ", text.strip().lower())
    return _AROUND.sub(r"\1", text)


def mention_key(ent: Any) -> str:
    return ent.kb_id_ if getattr(ent, "kb_id_", "") else normalise_mention(ent.text)


def cooccurrence(docs: Sequence[Doc], top_n: int = 20) -> Dict[str, Any]:
    """RETURNS (Dict[str, Any]): `names` (top N by document frequency), `matrix` (N x N doc
    counts), `documents` (docs read), `docs_with_pairs` (docs with two distinct top mentions)."""
    per_doc = [{mention_key(e) for e in doc.ents} for doc in docs]
    freq = Counter(m for mentions in per_doc for m in mentions)
    names = [m for m, _ in sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n]]
    index = {m: i for i, m in enumerate(names)}
    matrix = numpy.zeros((len(names), len(names)), dtype=int)
    with_pairs = 0
    for mentions in per_doc:
        present = sorted(index[m] for m in mentions if m in index)
        for i in present:
            matrix[i, i] += 1
        for i, j in combinations(present, 2):
            matrix[i, j] += 1
            matrix[j, i] += 1
        with_pairs += len(present) > 1
    return {"names": names, "matrix": matrix.tolist(), "documents": len(docs), "docs_with_pairs": with_pairs}


def plot_cooccurrence(result: Dict[str, Any], path, caption_text: str):
    """Heatmap of co-mention counts (diagonal blanked: it is each mention's own frequency)."""
    from .figures import heatmap, pyplot, save

    plt = pyplot()
    names = result["names"]
    matrix = numpy.asarray(result["matrix"], dtype=float).reshape(len(names), len(names))
    shown = matrix.copy()
    numpy.fill_diagonal(shown, numpy.nan)
    size = max(4.5, 0.32 * len(names) + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1.2, size))
    heatmap(fig, ax, shown, columns=[n[:24] for n in names],
            rows=[f"{n[:24]} ({int(matrix[i, i])})" for i, n in enumerate(names)],
            labels=("gene mention (normalised)", "gene mention (documents mentioning it)"),
            title=f"Co-mentions of the {len(names)} most frequent gene mentions",
            colour="documents mentioning both (count)", cmap="magma_r", aspect="equal", tick_size=7, rotation=90)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return save(fig, path, caption_text)
