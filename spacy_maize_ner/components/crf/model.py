"""A linear-chain CRF tagger (python-crfsuite) behind the `SequenceModel` protocol.

The fitted model is crfsuite's own binary file, kept as bytes and opened in memory by
`pycrfsuite.Tagger.open_inmemory`; `to_bytes` wraps it with the label encoding in
msgpack, so nothing is pickled. Training is deterministic: crfsuite's L-BFGS has no
random state and the sentences are appended in corpus order.
"""
import tempfile
from pathlib import Path
from typing import Dict, List, Literal, Optional, Sequence, Union

import pycrfsuite
import srsly

from ...tags import from_scheme, scheme_name, to_scheme
from .features import CrfFeatures

Algorithm = Literal["lbfgs", "l2sgd", "ap", "pa", "arow"]
ALGORITHMS = ("lbfgs", "l2sgd", "ap", "pa", "arow")


class CrfTagger:
    """Fits crfsuite on all sentences at once and tags sentences of token texts.

    features (CrfFeatures): maps the token texts of a sentence to attributes.
    algorithm (str): crfsuite's training algorithm; c1 (L1) applies to "lbfgs" only,
        c2 (L2) to "lbfgs" and "l2sgd".
    c1 (float): L1 regularisation; drops weak features, so a smaller, faster model.
    c2 (float): L2 regularisation.
    max_iterations (int): optimiser iterations (L-BFGS also stops when it converges).
    all_possible_transitions (bool): weights for label transitions unseen in training,
        so the model can learn that they are unlikely.
    min_freq (float): ignore attributes seen fewer times in training.
    scheme (str): the labels inside the CRF, "BILUO" (U- single-token, L- last token) or
        "BIO" (spacy_maize_ner/tags.py; the older names "bioes" and "iob" are read too).
        Output is always BIO.
    verbose (bool): print crfsuite's training log.
    """

    def __init__(
        self,
        features: CrfFeatures,
        *,
        algorithm: Algorithm = "lbfgs",
        c1: float = 0.05,
        c2: float = 0.01,
        max_iterations: int = 200,
        all_possible_transitions: bool = True,
        min_freq: float = 0.0,
        scheme: str = "BILUO",
        verbose: bool = False,
    ) -> None:
        if algorithm not in ALGORITHMS:
            raise ValueError(
                f"CrfTagger: unknown algorithm {algorithm!r}; crfsuite offers {list(ALGORITHMS)}. "
                'Set [components.crf_ner] algorithm = "lbfgs", for example.'
            )
        try:
            scheme = scheme_name(scheme)
        except ValueError as err:
            raise ValueError(f"CrfTagger: {err} Set it in [components.crf_ner] scheme.") from None
        self.features = features
        self.algorithm = algorithm
        self.params: Dict[str, Union[float, int, bool]] = {
            "max_iterations": max_iterations,
            "feature.possible_transitions": all_possible_transitions,
            "feature.minfreq": min_freq,
        }
        if algorithm == "lbfgs":
            self.params["c1"] = c1
        if algorithm in ("lbfgs", "l2sgd"):
            self.params["c2"] = c2
        self.scheme = scheme
        self.verbose = verbose
        self.model_bytes: Optional[bytes] = None
        self._tagger: Optional[pycrfsuite.Tagger] = None

    def fit(self, words: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> None:
        """Train on every sentence; replaces any previous model.

        words (Sequence[Sequence[str]]): token texts per sentence.
        tags (Sequence[Sequence[str]]): IOB2 tags per sentence.
        """
        trainer = pycrfsuite.Trainer(algorithm=self.algorithm, verbose=self.verbose)
        trainer.set_params(self.params)
        folds = self.features.fit(words, tags)
        for i, (sent_words, sent_tags) in enumerate(zip(words, tags)):
            if not sent_words:
                continue
            labels = to_scheme(sent_tags, self.scheme)
            mentions = folds[i % len(folds)] if folds else None
            trainer.append(self.features(sent_words, mentions), labels)
        # crfsuite can only write its model to a file; read it back and keep the bytes.
        with tempfile.TemporaryDirectory() as tmp:
            model_path = Path(tmp) / "model.crfsuite"
            trainer.train(str(model_path))
            self._load(model_path.read_bytes())

    def _load(self, model_bytes: bytes) -> None:
        tagger = pycrfsuite.Tagger()
        tagger.open_inmemory(model_bytes)
        self.model_bytes = model_bytes
        self._tagger = tagger

    def predict(self, words: Sequence[Sequence[str]]) -> List[List[str]]:
        """Tag sentences.

        words (Sequence[Sequence[str]]): token texts per sentence.
        RETURNS (List[List[str]]): IOB2 tags per sentence.
        """
        if self._tagger is None:
            raise ValueError(
                "CrfTagger: the CRF has not been fitted. Call `fit` (the component does so "
                "in `nlp.initialize`) or load a trained model with `from_bytes`."
            )
        tag = self._tagger.tag
        features = self.features
        out: List[List[str]] = []
        for sent_words in words:
            if not sent_words:
                out.append([])
                continue
            tags = tag(features(sent_words))
            out.append(from_scheme(tags, self.scheme))
        return out

    def to_bytes(self) -> bytes:
        """RETURNS (bytes): msgpack of the tag scheme, what the features learned (JSON-like)
        and crfsuite's binary model (or None)."""
        return srsly.msgpack_dumps(
            {"scheme": self.scheme, "features": self.features.get_state(), "crfsuite": self.model_bytes}
        )

    def from_bytes(self, data: bytes) -> "CrfTagger":
        """Load what `to_bytes` wrote.

        data (bytes): the serialized model.
        RETURNS (CrfTagger): self.
        """
        msg = srsly.msgpack_loads(data)
        self.scheme = scheme_name(msg["scheme"] if "scheme" in msg else msg["encoding"])  # "encoding": saved before 2026-12-03
        self.features.set_state(msg.get("features", {}))
        if msg["crfsuite"] is not None:
            self._load(msg["crfsuite"])
        else:
            self.model_bytes, self._tagger = None, None
        return self
