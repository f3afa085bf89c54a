"""Few-shot examples drawn, seeded, from a training DocBin (spacy_maize_ner.FewShotDocBin.v1)."""
import copy
import functools
import random
from pathlib import Path
from typing import Any, Callable, Dict, List

from spacy.tokens import Doc


def example_from_doc(doc: Doc) -> Dict[str, Any]:
    """A prompt example: the text, its mentions per label (once each, in text order) and
    the text with the mentions marked inline (<GENE>..</GENE>)."""
    mentions: Dict[str, List[str]] = {}
    marked, pos = [], 0
    for ent in doc.ents:
        if ent.text not in mentions.setdefault(ent.label_, []):
            mentions[ent.label_].append(ent.text)
        marked.append(doc.text[pos : ent.start_char])
        marked.append(f"<{ent.label_}>{ent.text}</{ent.label_}>")
        pos = ent.end_char
    marked.append(doc.text[pos:])
    return {"text": doc.text, "mentions": mentions, "marked": "".join(marked)}


def sample_examples(path: Path, *, k: int, seed: int, min_mentions: int = 1, max_chars: int = 400) -> List[Dict[str, Any]]:
    """k documents of the DocBin at `path`, drawn with `random.Random(seed)`.

    Documents with fewer than `min_mentions` entities or more than `max_chars` characters are
    not drawn (examples should show mentions and keep the prompt short).
    RETURNS (List[Dict[str, Any]]): examples as made by `example_from_doc`.
    """
    if k <= 0:  # zero-shot: no corpus needed
        return []
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"Few-shot examples: training DocBin {path} not found. Convert the corpus first "
            "(spacy project run convert) or set [components.llm.task.examples] path."
        )
    stat = path.stat()  # one read per file version and draw in a process (pipelines built in a loop)
    drawn = _draw(str(path.resolve()), stat.st_mtime_ns, stat.st_size, k, seed, min_mentions, max_chars)
    return copy.deepcopy(drawn)


@functools.lru_cache(maxsize=16)
def _draw(path_str: str, mtime_ns: int, size: int, k: int, seed: int, min_mentions: int, max_chars: int) -> List[Dict[str, Any]]:
    import spacy
    from spacy.tokens import DocBin

    path = Path(path_str)
    docs = list(DocBin().from_disk(path).get_docs(spacy.blank("en").vocab))
    pool = [d for d in docs if len(d.ents) >= min_mentions and len(d.text) <= max_chars]
    if len(pool) < k:
        raise ValueError(f"{path}: only {len(pool)} documents have >= {min_mentions} mentions and <= {max_chars} "
                         f"characters, {k} examples asked for. Lower k or min_mentions, or raise max_chars.")
    rng = random.Random(seed)
    return [example_from_doc(doc) for doc in rng.sample(pool, k)]


def make_fewshot_docbin(*, path: str, k: int = 5, seed: int = 0, min_mentions: int = 1,
                        max_chars: int = 400) -> Callable[[], List[Dict[str, Any]]]:
    """Few-shot examples from the training split (spacy_maize_ner.FewShotDocBin.v1).

    path (str): the training DocBin (e.g. corpus/train.spacy), read on first use.
    k (int): number of examples (0: zero-shot, nothing is read). seed (int): which ones.
    min_mentions (int): draw only documents with at least this many entities.
    max_chars (int): draw only documents at most this long.
    RETURNS (Callable[[], List[Dict]]): reads and draws the examples when called.
    """
    return lambda: sample_examples(Path(path), k=k, seed=seed, min_mentions=min_mentions, max_chars=max_chars)
