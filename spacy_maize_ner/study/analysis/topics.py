"""SVD topic mining: TF-IDF over entity-mention contexts (and documents), truncated SVD.

A mention's context is the `window` tokens on each side of a gold entity, without the
entity itself: what the text says around gene mentions. Documents are whole gold docs.
Each topic is a right singular vector; its top terms are those with the largest loadings.
A text's topic weights are its absolute SVD coordinates normalised to sum to 1; the weight
of a topic in a group (corpus/split) is the mean over the group's texts.
"""
from collections import defaultdict
from typing import Any, Dict, List, Sequence

import numpy
from spacy.tokens import Doc


def mention_contexts(docs: Sequence[Doc], window: int = 5) -> List[str]:
    """One text per gold entity: the words around it, the mention left out."""
    texts = []
    for doc in docs:
        for ent in doc.ents:
            left = [t.text for t in doc[max(0, ent.start - window) : ent.start]]
            right = [t.text for t in doc[ent.end : ent.end + window]]
            texts.append(" ".join(left + right))
    return texts


def svd_topics(
    texts: Sequence[str],
    groups: Sequence[str],
    *,
    n_topics: int = 8,
    n_terms: int = 10,
    seed: int = 0,
    max_features: int = 20000,
) -> Dict[str, Any]:
    """TF-IDF + truncated SVD over `texts`; `groups[i]` names the corpus/split of text i.

    RETURNS (Dict[str, Any]): `topics` ([{terms, loadings, explained_variance}]),
        `weights` ({group: [weight per topic]}), `n_texts`, `n_terms` (vocabulary size).
    """
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(texts) != len(groups):
        raise ValueError(f"svd_topics: {len(texts)} texts but {len(groups)} group names.")
    texts = list(texts)
    if len(texts) < 3:
        raise ValueError(f"svd_topics needs at least 3 texts, got {len(texts)}.")
    vectorizer = TfidfVectorizer(
        lowercase=True, stop_words="english", min_df=2 if len(texts) >= 50 else 1,
        max_features=max_features, token_pattern=r"(?u)\b[A-Za-z][A-Za-z0-9-]+\b", sublinear_tf=True,
    )
    matrix = vectorizer.fit_transform(texts)
    vocab = numpy.asarray(vectorizer.get_feature_names_out())
    k = max(1, min(n_topics, matrix.shape[1] - 1, matrix.shape[0] - 1))
    svd = TruncatedSVD(n_components=k, random_state=seed, algorithm="randomized", n_iter=7)
    coords = svd.fit_transform(matrix)
    topics = []
    for i, component in enumerate(svd.components_):
        # A singular vector's sign is arbitrary: orient it so its largest loading is positive.
        if abs(component.min()) > abs(component.max()):
            component = -component
        top = numpy.argsort(-component, kind="stable")[:n_terms]
        topics.append({
            "topic": i,
            "terms": vocab[top].tolist(),
            "loadings": [round(float(v), 4) for v in component[top]],
            "explained_variance": float(svd.explained_variance_ratio_[i]),
        })
    share = numpy.abs(coords)
    share = share / numpy.maximum(share.sum(axis=1, keepdims=True), 1e-12)
    by_group: Dict[str, List[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        by_group[g].append(i)
    weights = {g: share[idx].mean(axis=0).round(6).tolist() for g, idx in sorted(by_group.items())}
    return {"topics": topics, "weights": weights, "n_texts": len(texts), "n_terms": int(matrix.shape[1])}


def corpus_topics(splits: Dict[str, Sequence[Doc]], *, window: int = 5, **kwargs: Any) -> Dict[str, Dict[str, Any]]:
    """Topics over mention contexts and over documents of every split ({name: docs})."""
    out: Dict[str, Dict[str, Any]] = {}
    for kind in ("contexts", "documents"):
        texts: List[str] = []
        groups: List[str] = []
        for name, docs in splits.items():
            chunk = mention_contexts(docs, window) if kind == "contexts" else [d.text for d in docs]
            texts += chunk
            groups += [name] * len(chunk)
        out[kind] = svd_topics(texts, groups, **kwargs)
    return out


def plot_topic_weights(result: Dict[str, Dict[str, Any]], path, caption_text: str):
    """Heatmaps of topic weight per group, one per kind (contexts, documents)."""
    from .figures import heatmap, pyplot, save

    plt = pyplot()
    kinds = list(result)
    fig, axes = plt.subplots(1, len(kinds), figsize=(5.5 * len(kinds), 3.6), squeeze=False)
    for ax, kind in zip(axes[0], kinds):
        weights = result[kind]["weights"]
        groups = list(weights)
        matrix = numpy.asarray([weights[g] for g in groups])
        heatmap(fig, ax, matrix, columns=[f"{t['topic']}: {' '.join(t['terms'][:3])}" for t in result[kind]["topics"]],
                rows=groups, labels=("SVD topic (top 3 terms)", "corpus / split"), title=f"Topic weight over {kind}",
                colour="mean topic share (0-1)", cmap="viridis", rotation=45, ha="right")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return save(fig, path, caption_text)
