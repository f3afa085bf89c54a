"""Made-up maize sentences with gene mentions, for tests that need a small corpus.

Nothing here comes from a real corpus: the sentences are generated from templates.
"""
import random
from typing import List, Tuple

GENES = [
    ["ZmCCT9"], ["Vgt1"], ["tb1"], ["ZmPIF3"], ["ZmNAC111"], ["Dwarf8"], ["ZmMADS69"],
    ["teosinte", "branched1"], ["ZmRAP2", ".", "7"], ["Zm", "-", "GA20ox"], ["ZCN8"], ["ZmWRKY33"],
]
TEMPLATES = [
    "Expression of {g} was higher in the mutant lines .",
    "We cloned {g} from the B73 inbred line .",
    "The {g} allele delays flowering under long days .",
    "Knockout of {g} reduced plant height in the field .",
    "{g} interacts with {g} in maize leaves .",
    "No difference was observed between the two hybrids .",
    "Drought stress induced {g} and repressed {g} .",
]


def maize_sentences(n: int, seed: int = 0) -> List[Tuple[List[str], List[str]]]:
    """`n` sentences as (words, IOB2 tags) with GENE mentions."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words: List[str] = []
        tags: List[str] = []
        for piece in rng.choice(TEMPLATES).split():
            if piece == "{g}":
                gene = rng.choice(GENES)
                words.extend(gene)
                tags.extend(["B-GENE"] + ["I-GENE"] * (len(gene) - 1))
            else:
                words.append(piece)
                tags.append("O")
        out.append((words, tags))
    return out


def write_iob(path, sentences) -> None:
    """Write (words, tags) sentences as token<TAB>tag lines, blank line between sentences."""
    with open(path, "w", encoding="utf8") as file_:
        for words, tags in sentences:
            for word, tag in zip(words, tags):
                file_.write(f"{word}\t{tag}\n")
            file_.write("\n")


def make_docs(vocab, n: int, seed: int):
    """`n` synthetic sentences (maize_sentences) as Docs of `vocab` with their GENE entities."""
    from spacy.tokens import Doc, Span

    from spacy_maize_ner.tags import tags_to_spans

    docs = []
    for words, tags in maize_sentences(n, seed=seed):
        doc = Doc(vocab, words=words)
        doc.ents = [Span(doc, s, e, label=label) for s, e, label in tags_to_spans(tags)]
        docs.append(doc)
    return docs
