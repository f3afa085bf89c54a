"""Plumbing shared by the classic NER baselines (CRF, HMM).

Both are sequence models over the token texts of one sentence that emit IOB2 tags.
Neither can learn from minibatches: crfsuite's L-BFGS and the HMM's counts need the
whole training set at once. So they are fitted in `initialize()`, which `spacy train`
calls with every training example before its loop; `update()` is not defined, the
training loop only evaluates and saves them.
"""
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Protocol, Sequence, Union

import srsly
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Span
from spacy.training import Example, validate_get_examples
from spacy.util import minibatch
from spacy.vocab import Vocab

from ..tags import OUTSIDE, sentences, span_tags, split_tag, tags_to_spans


class SequenceModel(Protocol):
    """A tagger from token texts to IOB2 tags, serializable to plain bytes."""

    def fit(self, words: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> None:
        ...

    def predict(self, words: Sequence[Sequence[str]]) -> List[List[str]]:
        ...

    def to_bytes(self) -> bytes:
        ...

    def from_bytes(self, data: bytes) -> "SequenceModel":
        ...


class SequenceTaggerNER(Pipe):
    """Set `doc.ents` from a sentence-level IOB tagger fitted during `initialize()`.

    Predicted entities replace any entities already on the doc. Sentences come from
    the doc's sentence boundaries (put a `sentencizer` first in the pipeline); a doc
    without them is tagged as a single sequence.
    """

    def __init__(
        self,
        vocab: Vocab,
        model: SequenceModel,
        name: str,
        *,
        scorer: Optional[Callable] = None,
    ) -> None:
        self.vocab = vocab
        self.model = model
        self.name = name
        self.scorer = scorer
        self.cfg: Dict[str, object] = {"labels": [], "fitted": False}

    @property
    def labels(self) -> tuple:
        return tuple(self.cfg["labels"])  # type: ignore[arg-type]

    @property
    def is_fitted(self) -> bool:
        return bool(self.cfg.get("fitted"))

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        labels: Optional[List[str]] = None,
    ) -> None:
        """Fit the model on every sentence of the training examples.

        get_examples (Callable[[], Iterable[Example]]): returns the training examples.
        nlp (Language): the pipeline (unused; part of spaCy's protocol).
        labels (Optional[List[str]]): keep only these entity labels; others are trained as "O".
        """
        validate_get_examples(get_examples, f"{type(self).__name__}.initialize")
        words, tags = collect_sequences(get_examples(), labels)
        if not words:
            raise ValueError(
                f"[{self.name}] The training data has no tokens. Check [paths.train] "
                "and that the corpus was converted (spacy project run convert)."
            )
        found = sorted({split_tag(t)[1] for seq in tags for t in seq if t != OUTSIDE})
        if not found:
            raise ValueError(
                f"[{self.name}] The training data has no entities"
                + (f" with the labels {labels}" if labels else "")
                + ". Check the corpus (python -m spacy_maize_ner stats CORPUS)."
            )
        self.model.fit(words, tags)
        self.cfg["labels"] = found
        self.cfg["fitted"] = True

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations([doc], self.predict([doc]))
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        for docs in minibatch(stream, size=batch_size):
            self.set_annotations(docs, self.predict(docs))
            yield from docs

    def predict(self, docs: Sequence[Doc]) -> List[List[List[str]]]:
        """Tag every sentence of every doc in one call to the model.

        RETURNS (List[List[List[str]]]): per doc, per sentence, one tag per token.
        """
        if not self.is_fitted:
            raise ValueError(
                f"[{self.name}] This component has not been trained. Train it with "
                "`spacy train` or call `nlp.initialize(get_examples)` first."
            )
        spans = [list(sentences(doc)) for doc in docs]
        flat = [[token.text for token in sent] for doc_spans in spans for sent in doc_spans]
        flat_tags = self.model.predict(flat) if flat else []
        result, i = [], 0
        for doc_spans in spans:
            result.append(flat_tags[i : i + len(doc_spans)])
            i += len(doc_spans)
        return result

    def set_annotations(self, docs: Sequence[Doc], predictions: List[List[List[str]]]) -> None:
        for doc, sent_tags in zip(docs, predictions):
            ents = []
            for sent, tags in zip(sentences(doc), sent_tags):
                for start, end, label in tags_to_spans(tags):
                    ents.append(Span(doc, sent.start + start, sent.start + end, label=label))
            doc.ents = ents

    # Serialization: a JSON config plus the model's own bytes; nothing is pickled.

    def to_bytes(self, *, exclude: Iterable[str] = tuple()) -> bytes:
        return srsly.msgpack_dumps({"cfg": self.cfg, "model": self.model.to_bytes()})

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()) -> "SequenceTaggerNER":
        data = srsly.msgpack_loads(bytes_data)
        self.cfg = data["cfg"]
        self.model.from_bytes(data["model"])
        return self

    def to_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "cfg", self.cfg)
        (path / "model").write_bytes(self.model.to_bytes())

    def from_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()) -> "SequenceTaggerNER":
        path = Path(path)
        self.cfg = srsly.read_json(path / "cfg")
        self.model.from_bytes((path / "model").read_bytes())
        return self


def collect_sequences(
    examples: Iterable[Example], labels: Optional[List[str]] = None
) -> "tuple[List[List[str]], List[List[str]]]":
    """Token texts and IOB2 tags of every reference sentence.

    labels (Optional[List[str]]): when given, entities with other labels become "O".
    """
    keep = set(labels) if labels else None
    words: List[List[str]] = []
    tags: List[List[str]] = []
    for eg in examples:
        for sent in sentences(eg.reference):
            sent_tags = span_tags(sent)
            if keep is not None:
                sent_tags = [t if t == OUTSIDE or split_tag(t)[1] in keep else OUTSIDE for t in sent_tags]
            words.append([token.text for token in sent])
            tags.append(sent_tags)
    return words, tags
