"""t-SNE of contextual token vectors, coloured by gold B/I/O tag.

A token's vector is the pipeline's own transformer output pooled over the token's
wordpieces, as its NER head sees it: the pooling layer of the head's listener
(`trfs2arrays` in its model) when there is one, else mean pooling. Every pipeline is run
on the same sampled gold tokens (gold words, so tokens align 1:1 with the tags), and the
same t-SNE settings; each picture gets two numbers computed in the full vector space: the
kNN label purity (share of a token's k nearest neighbours with its tag) and the silhouette
score of the B/I/O labels.
"""
import random
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy
from spacy.language import Language
from spacy.tokens import Doc

TAGS = ("B", "I", "O")
TAG_COLOURS = {"B": "#d62728", "I": "#ff7f0e", "O": "#9e9e9e"}


def sample_tokens(docs: Sequence[Doc], n: int, seed: int) -> List[Tuple[int, int]]:
    """(doc index, token index) of up to `n` gold tokens: a third B, a third I, the rest O.

    Where a tag has fewer tokens, the others fill the sample. Sorted, so the order does
    not depend on the seed beyond the choice.
    """
    by_tag: Dict[str, List[Tuple[int, int]]] = {t: [] for t in TAGS}
    for i, doc in enumerate(docs):
        for token in doc:
            by_tag[token.ent_iob_ or "O"].append((i, token.i))
    rng = random.Random(seed)
    chosen: List[Tuple[int, int]] = []
    quota = {"B": n // 3, "I": n // 3}
    for tag in ("B", "I"):
        pool = by_tag[tag]
        chosen += rng.sample(pool, min(quota[tag], len(pool)))
    rest = [p for p in by_tag["O"]]
    chosen += rng.sample(rest, min(n - len(chosen), len(rest)))
    if len(chosen) < n:  # few O tokens: top up with more B/I
        taken = set(chosen)
        left = [p for t in ("B", "I") for p in by_tag[t] if p not in taken]
        chosen += rng.sample(left, min(n - len(chosen), len(left)))
    return sorted(chosen)


def find_transformer(nlp: Language) -> Tuple[str, Any]:
    """The pipeline's transformer component (the one setting doc._.trf_data)."""
    for name, pipe in nlp.pipeline:
        if type(pipe).__name__ == "Transformer" or name == "transformer":
            return name, pipe
    raise ValueError(
        f"Pipeline has no transformer component (components: {nlp.pipe_names}); the t-SNE of "
        "contextual vectors needs a spacy-transformers `transformer` component."
    )


def _pooling(nlp: Language) -> Any:
    """The head's own `trfs2arrays` layer (listener pooling), else mean pooling."""
    from thinc.api import Model

    for _name, pipe in nlp.pipeline:
        model = getattr(pipe, "model", None)
        if isinstance(model, Model):
            for node in model.walk():
                if node.name == "trfs2arrays":
                    return node
    from spacy_transformers.layers.trfs2arrays import trfs2arrays
    from thinc.api import reduce_mean

    return trfs2arrays(reduce_mean(), 1.0)


def token_vectors(nlp: Language, docs: Sequence[Doc], positions: Sequence[Tuple[int, int]], *, batch_size: int = 32, progress: bool = True) -> numpy.ndarray:
    """Contextual vectors of the tokens at `positions`. RETURNS (n_tokens, width) array."""
    from tqdm import tqdm

    _name, trf = find_transformer(nlp)
    pooling = _pooling(nlp)
    wanted = sorted({d for d, _ in positions})
    fresh = [Doc(nlp.vocab, words=[t.text for t in docs[i]], spaces=[bool(t.whitespace_) for t in docs[i]]) for i in wanted]
    vectors: Dict[int, numpy.ndarray] = {}
    annotated = trf.pipe(fresh, batch_size=batch_size)
    for i, doc in tqdm(zip(wanted, annotated), total=len(wanted), desc="token vectors", disable=not progress, leave=False):
        (arr,) = pooling.predict([doc._.trf_data])
        vectors[i] = pooling.ops.to_numpy(arr)
        doc._.trf_data = None  # free the wordpiece outputs
    return numpy.stack([vectors[d][t] for d, t in positions]).astype(numpy.float32)


def knn_purity(vectors: numpy.ndarray, labels: Sequence[str], k: int = 10) -> float:
    """Mean share of each point's k nearest neighbours (Euclidean, full space) with its label."""
    from sklearn.neighbors import NearestNeighbors

    k = min(k, len(labels) - 1)
    if k < 1:
        return float("nan")
    labels = numpy.asarray(labels)
    nn = NearestNeighbors(n_neighbors=k + 1).fit(vectors)
    _dist, idx = nn.kneighbors(vectors)
    return float((labels[idx[:, 1:]] == labels[:, None]).mean())


def silhouette(vectors: numpy.ndarray, labels: Sequence[str]) -> Optional[float]:
    """Silhouette score of the labels in the full space (None with fewer than two labels)."""
    from sklearn.metrics import silhouette_score

    if len(set(labels)) < 2 or len(labels) <= len(set(labels)):
        return None
    return float(silhouette_score(vectors, numpy.asarray(labels)))


def tsne(vectors: numpy.ndarray, *, seed: int, perplexity: float = 30.0) -> numpy.ndarray:
    """2-D t-SNE (PCA init, fixed seed: the same input gives the same picture)."""
    from sklearn.manifold import TSNE

    perplexity = min(perplexity, max(2.0, (len(vectors) - 1) / 3))
    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed, learning_rate="auto").fit_transform(vectors)


def representation_panel(nlp: Language, docs: Sequence[Doc], positions: Sequence[Tuple[int, int]], *, seed: int, progress: bool = True) -> Dict[str, Any]:
    """Vectors, 2-D embedding and the two numbers for one pipeline on the sampled tokens."""
    labels = [docs[d][t].ent_iob_ or "O" for d, t in positions]
    vectors = token_vectors(nlp, docs, positions, progress=progress)
    return {
        "labels": labels,
        "embedding": tsne(vectors, seed=seed),
        "knn_purity": knn_purity(vectors, labels),
        "silhouette": silhouette(vectors, labels),
        "width": int(vectors.shape[1]),
    }


def plot_panels(panels: Sequence[Tuple[str, Dict[str, Any]]], path: Path, caption_text: str, columns: int = 2) -> Path:
    """One scatter per (title, panel), coloured by B/I/O, with its numbers in the title."""
    from .figures import pyplot, save

    plt = pyplot()
    rows = (len(panels) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.9 * rows + 0.6), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    for ax, (title, panel) in zip(axes.flat, panels):
        emb, labels = panel["embedding"], numpy.asarray(panel["labels"])
        for tag in ("O", "I", "B"):
            mask = labels == tag
            ax.scatter(emb[mask, 0], emb[mask, 1], s=5, alpha=0.6, color=TAG_COLOURS[tag], label=f"{tag} ({int(mask.sum())})")
        sil = panel["silhouette"]
        ax.set_title(f"{title}\nkNN purity {panel['knn_purity']:.3f}, silhouette " + (f"{sil:.3f}" if sil is not None else "–"), fontsize=8)
        ax.set_xlabel("t-SNE 1 (no unit)")
        ax.set_ylabel("t-SNE 2 (no unit)")
        ax.legend(fontsize=7, markerscale=2, title="gold tag", title_fontsize=7)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return save(fig, path, caption_text)
