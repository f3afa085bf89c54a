"""`maize_dictionary_ner`: a gene dictionary baseline, the lexicon a researcher already has.

Two `PhraseMatcher`s over the pipeline's own tokens: exact case (attr ORTH) for
case-sensitive terms (short symbols, common English words; see `genes.build_lexicon`),
lower case (attr LOWER) for the others. Of overlapping matches the longest is kept,
then the earliest (`spacy.util.filter_spans`); the matches replace the doc's entities.
The terms are saved with the pipeline (`terms.jsonl`), so `spacy.load` rebuilds the
matchers in any process.
"""
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Tuple, Union

import srsly
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import filter_spans

from ..components.defaults import DEFAULT_LABEL, NER_SCORE_WEIGHTS
from .genes import LexiconTerm, build_lexicon, read_lexicon

DEFAULT_CONFIG = {"label": DEFAULT_LABEL, "short_max": 3, "min_length": 2, "scorer": {"@scorers": "spacy.ner_scorer.v1"}}


@Language.factory(
    "maize_dictionary_ner",
    default_config=DEFAULT_CONFIG,
    assigns=["doc.ents"],
    default_score_weights=NER_SCORE_WEIGHTS,
)
def make_dictionary_ner(
    nlp: Language, name: str, *, label: str, short_max: int, min_length: int, scorer: Optional[Callable] = None
) -> "DictionaryNER":
    return DictionaryNER(nlp, name, label=label, short_max=short_max, min_length=min_length, scorer=scorer)


class DictionaryNER(Pipe):
    """Tag every lexicon term as an entity of one label.

    label (str): the label of terms that have none (lexicon files from gene tables).
    short_max (int): terms up to this many characters match with their exact case only
        (used when terms are added as text: `initialize`, `add_texts`).
    min_length (int): shorter terms are skipped.
    scorer (Optional[Callable]): scores `doc.ents` for `nlp.evaluate` and `spacy evaluate`
        (default `spacy.ner_scorer.v1`: ents_p/r/f and per type).
    """

    def __init__(self, nlp: Language, name: str = "maize_dictionary_ner", *, label: str = DEFAULT_LABEL,
                 short_max: int = 3, min_length: int = 2, scorer: Optional[Callable] = None) -> None:
        self.name, self.label = name, label
        self.scorer = scorer
        self.short_max, self.min_length = short_max, min_length
        self.vocab = nlp.vocab
        self._make_doc: Callable[[str], Doc] = nlp.make_doc
        self.terms: List[LexiconTerm] = []
        self._build()

    def _build(self) -> None:
        self.exact = PhraseMatcher(self.vocab, attr="ORTH")
        self.lower = PhraseMatcher(self.vocab, attr="LOWER")
        patterns: Dict[Tuple[bool, str], List[Doc]] = {}
        for t in self.terms:
            patterns.setdefault((t.case_sensitive, t.label or self.label), []).append(self._make_doc(t.text))
        for (sensitive, label), docs in patterns.items():
            (self.exact if sensitive else self.lower).add(label, docs)

    def add_terms(self, terms: Iterable[LexiconTerm]) -> None:
        """Add lexicon terms (e.g. `read_lexicon(path)`) and rebuild the matchers."""
        seen = {(t.text, t.case_sensitive, t.label) for t in self.terms}
        for t in terms:
            if (t.text, t.case_sensitive, t.label) not in seen:
                seen.add((t.text, t.case_sensitive, t.label))
                self.terms.append(t)
        self._build()

    def add_texts(self, texts: Iterable[str], kind: str = "mention", label: str = "") -> List:
        """Add strings with the case rule of `build_lexicon`, under `label` ("" = the
        component's label). RETURNS (List): the skipped terms."""
        terms, skipped = build_lexicon(
            ((t, t, kind) for t in texts), label=label, short_max=self.short_max, min_length=self.min_length
        )
        self.add_terms(terms)
        return skipped

    def __call__(self, doc: Doc) -> Doc:
        spans = [Span(doc, start, end, label=key) for matcher in (self.exact, self.lower)
                 for key, start, end in matcher(doc)]
        doc.ents = filter_spans(spans)
        return doc

    def initialize(self, get_examples: Optional[Callable[[], Iterable[Example]]] = None, *,
                   nlp: Optional[Language] = None, lexicon: Optional[str] = None,
                   from_examples: bool = True) -> None:
        """Add the gold mentions of the training examples and/or a lexicon file.

        lexicon (Optional[str]): a lexicon JSONL file (`genes.write_lexicon`).
        from_examples (bool): add the text of every gold entity, under its own label.
        """
        if lexicon:
            self.add_terms(read_lexicon(lexicon))
        if from_examples and get_examples is not None:
            by_label: Dict[str, List[str]] = {}
            for eg in get_examples():
                for ent in eg.reference.ents:
                    by_label.setdefault(ent.label_, []).append(ent.text)
            for label, texts in by_label.items():
                self.add_texts(texts, label=label)

    def update(self, examples, *, drop: float = 0.0, sgd=None, losses=None) -> Dict[str, float]:
        """Nothing to learn by gradient: the dictionary is filled in `initialize`."""
        return losses if losses is not None else {}

    # serialization ------------------------------------------------------------------
    def _data(self) -> Dict:
        return {"label": self.label, "short_max": self.short_max, "min_length": self.min_length,
                "terms": [list(t) for t in self.terms]}

    def _load(self, data: Dict) -> None:
        self.label, self.short_max, self.min_length = data["label"], data["short_max"], data["min_length"]
        self.terms = [LexiconTerm(*t) for t in data["terms"]]
        self._build()

    def to_bytes(self, *, exclude=tuple()) -> bytes:
        return srsly.msgpack_dumps(self._data())

    def from_bytes(self, bytes_data: bytes, *, exclude=tuple()) -> "DictionaryNER":
        self._load(srsly.msgpack_loads(bytes_data))
        return self

    def to_disk(self, path: Union[str, Path], *, exclude=tuple()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        data = self._data()
        srsly.write_jsonl(path / "terms.jsonl", [t._asdict() for t in self.terms])
        srsly.write_json(path / "cfg.json", {k: v for k, v in data.items() if k != "terms"})

    def from_disk(self, path: Union[str, Path], *, exclude=tuple()) -> "DictionaryNER":
        path = Path(path)
        data = dict(srsly.read_json(path / "cfg.json"))
        data["terms"] = [[o["text"], o["symbol"], o["kind"], o["case_sensitive"], o.get("label", "")]
                         for o in srsly.read_jsonl(path / "terms.jsonl")]
        self._load(data)
        return self
