"""The token sequence of the generative tagger: an instruction, the sentence, then each word
followed by its tag, one tag id per spaCy token.

    <bos>? Tag each word: B begins a gene mention, I continues it, O is outside.\\n
    Sentence: The tb1 gene .\\nTags: The O tb1 B gene O . O

The words after "Tags:" are not generated: they are written into the sequence, each as the
ids of " " + word, and the model chooses only the id after each word among the tag ids (one
token per tag: " O", " B", " I" by default). So a sentence of n tokens always gets n tags, in
order, and no position can be lost or invented. Training reads the same sequence with the
gold tags (teacher forcing); the loss is the cross-entropy over the tag ids at each tag's
position. All ids are assembled here, word by word, so training and decoding see the same
pieces.
"""
from typing import Dict, List, NamedTuple, Optional, Sequence

INSTRUCTION = "Tag each word: B begins a gene mention, I continues it, O is outside."
# The texts of the tags of one label, in tags.tag_names order (O, B-, I-).
DEFAULT_TAG_TEXTS = (" O", " B", " I")


class TagVocabularyError(ValueError):
    """Tag texts that cannot be told apart by their first token, or labels without tag texts."""


class TagVocabulary(NamedTuple):
    """The tags (tags.tag_names order) and the token id that stands for each."""

    tags: List[str]
    ids: List[int]


class Layout(NamedTuple):
    """One sentence's ids, and the positions whose next-token logits choose each word's tag."""

    input_ids: List[int]
    tag_positions: List[int]


def tag_vocabulary(tokenizer, tags: Sequence[str], tag_texts: Optional[Dict[str, str]] = None) -> TagVocabulary:
    """The id of each tag: the first token of its text (`tag_texts`, or DEFAULT_TAG_TEXTS for one label).

    RAISES (TagVocabularyError): several labels without `tag_texts`, a tag without text, or two
        tags whose texts begin with the same token.
    """
    if tag_texts is None:
        if len(tags) != len(DEFAULT_TAG_TEXTS):
            raise TagVocabularyError(
                f"The generative tagger has default tag texts for one label; tags {list(tags)} need tag_texts in "
                '[components.ner] (one text per tag, e.g. {"O": " O", "B-Chemical": " BC", ...}) whose first tokens differ.')
        tag_texts = dict(zip(tags, DEFAULT_TAG_TEXTS))
    missing = [t for t in tags if t not in tag_texts]
    if missing:
        raise TagVocabularyError(f"tag_texts has no text for {missing}: give one per tag of {list(tags)}.")
    ids = []
    for tag in tags:
        pieces = tokenizer(tag_texts[tag], add_special_tokens=False)["input_ids"]
        if not pieces:
            raise TagVocabularyError(f"The text {tag_texts[tag]!r} of tag {tag} has no tokens.")
        ids.append(pieces[0])
    if len(set(ids)) != len(ids):
        raise TagVocabularyError(
            f"The tag texts {[tag_texts[t] for t in tags]} begin with the same token for two tags (ids {ids}); "
            "choose texts whose first tokens differ.")
    return TagVocabulary(list(tags), ids)


def prompt_ids(tokenizer, words: Sequence[str], instruction: str = INSTRUCTION) -> List[int]:
    """The instruction, the sentence and "Tags:" (with the tokenizer's <bos> where it adds one)."""
    text = f"{instruction}\nSentence: {' '.join(words)}\nTags:"
    return list(tokenizer(text, add_special_tokens=True)["input_ids"])


def word_ids(tokenizer, word: str, cache: Optional[Dict[str, List[int]]] = None) -> List[int]:
    """The ids of " " + word (never empty: a word the tokenizer drops becomes its unknown or pad id)."""
    if cache is not None and word in cache:
        return cache[word]
    ids = list(tokenizer(" " + word, add_special_tokens=False)["input_ids"])
    if not ids:
        fallback = tokenizer.unk_token_id if tokenizer.unk_token_id is not None else tokenizer.pad_token_id
        ids = [fallback if fallback is not None else 0]
    if cache is not None:
        cache[word] = ids
    return ids


def teacher_forced(tokenizer, words: Sequence[str], tag_ids: Sequence[int], *, instruction: str = INSTRUCTION,
                   cache: Optional[Dict[str, List[int]]] = None) -> Layout:
    """The sequence with every word followed by its (gold) tag id, and where each tag is chosen.

    tag_ids: one id per word (the ids of TagVocabulary). RETURNS (Layout): position p of
        tag_positions holds the last id of word i: its logits choose tag i.
    """
    if len(tag_ids) != len(words):
        raise ValueError(f"{len(words)} words but {len(tag_ids)} tags.")
    ids = prompt_ids(tokenizer, words, instruction)
    positions = []
    for word, tag in zip(words, tag_ids):
        ids += word_ids(tokenizer, word, cache)
        positions.append(len(ids) - 1)
        ids.append(tag)
    return Layout(ids, positions)
