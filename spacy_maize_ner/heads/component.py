"""`maize_token_ner`: a token-classification NER head (softmax over BIO/BILUO tags).

The alternative to spaCy's transition-based `ner`: per spaCy token, a softmax over tags,
trained with cross-entropy, decoded with constrained Viterbi so that every prediction is
a valid tag sequence. It sets `doc.ents` (replacing entities already there) and scores
with spaCy's NER scorer, so it is interchangeable with `ner` in every config.
"""
from itertools import islice
from typing import Callable, Dict, Iterable, List, Optional, Sequence

import numpy
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc, Span
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.vocab import Vocab
from thinc.api import Config, Model, set_dropout_rate
from thinc.types import Floats2d

from ..components.defaults import NER_SCORE_WEIGHTS
from ..tags import Scheme, constraints, id_spans, tag_names, viterbi_batch
from .crf_layer import crf_loss, gold_tag_ids
from .model import TRANSITIONS

DEFAULT_MODEL = """
[model]
@architectures = "spacy_maize_ner.TokenClassifier.v1"
hidden_width = 0
dropout = 0.1
crf = false

[model.tok2vec]
@architectures = "spacy-transformers.TransformerListener.v1"
grad_factor = 1.0
upstream = "*"

[model.tok2vec.pooling]
@layers = "reduce_mean.v1"
"""


@Language.factory(
    "maize_token_ner",
    assigns=["doc.ents", "token.ent_iob", "token.ent_type"],
    default_config={
        "model": Config().from_str(DEFAULT_MODEL)["model"],
        "scheme": "BIO",
        "scorer": {"@scorers": "spacy.ner_scorer.v1"},
    },
    default_score_weights=NER_SCORE_WEIGHTS,
)
def make_token_ner(
    nlp: Language, name: str, model: Model[List[Doc], List[Floats2d]], scheme: Scheme, scorer: Optional[Callable]
) -> "TokenNER":
    """scheme (str): "BIO" or "BILUO"; decoding is constrained to valid sequences either way."""
    return TokenNER(nlp.vocab, model, name, scheme=scheme, scorer=scorer)


class TokenNER(TrainablePipe):
    def __init__(
        self,
        vocab: Vocab,
        model: Model,
        name: str = "ner",
        *,
        scheme: Scheme = "BIO",
        scorer: Optional[Callable] = None,
    ) -> None:
        tag_names([], scheme)  # validates the scheme
        self.vocab = vocab
        self.model = model
        self.name = name
        self.scorer = scorer
        self.cfg: Dict[str, object] = {"labels": [], "scheme": scheme}
        self._allowed = None

    @property
    def labels(self) -> tuple:
        return tuple(self.cfg["labels"])  # type: ignore[arg-type]

    @property
    def label_data(self) -> List[str]:
        return list(self.labels)

    @property
    def tags(self) -> List[str]:
        return tag_names(self.labels, self.cfg["scheme"])  # type: ignore[arg-type]

    @property
    def allowed(self):
        if self._allowed is None or self._allowed.start.shape[0] != len(self.tags):
            self._allowed = constraints(self.tags, self.cfg["scheme"])  # type: ignore[arg-type]
        return self._allowed

    @property
    def transitions(self) -> Optional[Model]:
        """The CRF layer's transition scores (TokenClassifier.v1 with crf = true), else None."""
        return self.model.get_ref(TRANSITIONS) if self.model.has_ref(TRANSITIONS) else None

    def add_label(self, label: str) -> int:
        if not isinstance(label, str):
            raise ValueError(f"[{self.name}] Entity labels are strings; got {label!r}.")
        if label in self.labels:
            return 0
        self._require_no_output_width(f"add the label {label!r}")
        self.cfg["labels"] = [*self.labels, label]
        self.vocab.strings.add(label)
        return 1

    def _require_no_output_width(self, action: str) -> None:
        output = self.model.get_ref("output_layer")
        if output.has_dim("nO") and output.get_dim("nO") is not None and output.has_param("W"):
            raise ValueError(f"[{self.name}] Cannot {action} after the head was initialised: retrain it.")

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        labels: Optional[Sequence[str]] = None,
    ) -> None:
        """Collect the labels (or take `labels`) and size the output layer for their tags."""
        validate_get_examples(get_examples, "TokenNER.initialize")
        if labels is None:
            found = sorted({ent.label_ for eg in get_examples() for ent in eg.reference.ents})
        else:
            found = list(labels)
        if not found:
            raise ValueError(
                f"[{self.name}] The training data has no entities, so there are no labels to learn. "
                "Check [paths.train] (python -m spacy_maize_ner stats CORPUS)."
            )
        self.cfg["labels"] = found
        for label in found:
            self.vocab.strings.add(label)
        self.model.get_ref("output_layer").set_dim("nO", len(self.tags))
        if self.transitions is not None:
            self.transitions.set_dim("nO", len(self.tags))
        sample = [eg.predicted for eg in islice(get_examples(), 10)]
        self.model.initialize(X=sample)

    def predict(self, docs: Iterable[Doc]) -> List[numpy.ndarray]:
        """RETURNS (List[numpy.ndarray]): per doc, the tag index of each token (a valid sequence)."""
        docs = list(docs)
        if not any(len(doc) for doc in docs):
            return [numpy.zeros(len(doc), dtype="int64") for doc in docs]
        scores = [self.model.ops.to_numpy(s) for s in self.model.predict(docs)]
        if self.transitions is not None:  # CRF: emissions plus learned transitions
            T = self.model.ops.to_numpy(self.transitions.get_param("T"))
            return viterbi_batch(scores, self.allowed, T)
        return viterbi_batch([_log_softmax(s) for s in scores], self.allowed)

    def set_annotations(self, docs: Iterable[Doc], tag_ids: List[numpy.ndarray]) -> None:
        tags = self.tags
        for doc, ids in zip(docs, tag_ids):
            doc.ents = [Span(doc, start, end, label=label) for start, end, label in id_spans(ids, tags)]

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd=None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        examples = list(examples)
        validate_examples(examples, "TokenNER.update")
        losses = {} if losses is None else losses
        losses.setdefault(self.name, 0.0)
        if not any(len(eg.predicted) for eg in examples):
            return losses
        set_dropout_rate(self.model, drop)
        scores, backprop = self.model.begin_update([eg.predicted for eg in examples])
        loss, d_scores = self.get_loss(examples, scores)
        backprop(d_scores)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def get_loss(self, examples: Iterable[Example], scores: List[Floats2d]):
        """Mean cross-entropy over the tokens with a gold tag; missing tags get no gradient.

        With a CRF layer, a doc whose gold tags are all known contributes its CRF negative
        log-likelihood instead (and the transitions' gradient); a doc with missing tags
        falls back to the per-token cross-entropy on its known tokens.
        """
        ops = self.model.ops
        index = {tag: i for i, tag in enumerate(self.tags)}
        scheme = self.cfg["scheme"]
        golds = [gold_tag_ids(eg.get_aligned_ner(), index, scheme) for eg in examples]  # type: ignore[arg-type]
        n_tokens = max(1, sum(int((g >= 0).sum()) for g in golds))
        loss, d_scores = 0.0, []
        transitions = self.transitions
        T = ops.to_numpy(transitions.get_param("T")) if transitions is not None else None
        d_T = numpy.zeros_like(T) if T is not None else None
        for s, gold in zip(scores, golds):
            emissions = ops.to_numpy(s)
            if T is not None and len(gold) and (gold >= 0).all():
                doc_loss, d, d_trans = crf_loss(emissions.astype("float64"), gold, T, self.allowed)
                loss += doc_loss
                d_T += d_trans
                d_scores.append(ops.asarray2f((d / n_tokens).astype("float32")))
                continue
            probs = _softmax(emissions)
            d = probs.copy()
            known = gold >= 0
            rows = numpy.nonzero(known)[0]
            d[rows, gold[known]] -= 1.0
            d[~known] = 0.0
            loss += float(-numpy.log(probs[rows, gold[known]] + 1e-12).sum())
            d_scores.append(ops.asarray2f((d / n_tokens).astype("float32")))
        if transitions is not None:
            transitions.inc_grad("T", ops.asarray2f((d_T / n_tokens).astype("float32")))
        return loss / n_tokens, d_scores


def _softmax(x: numpy.ndarray) -> numpy.ndarray:
    e = numpy.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _log_softmax(x: numpy.ndarray) -> numpy.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - numpy.log(numpy.exp(shifted).sum(axis=-1, keepdims=True))
