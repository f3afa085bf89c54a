"""A linear-chain CRF tagger (python-crfsuite) behind the `SequenceModel` protocol."""
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence

import pycrfsuite
import srsly

from ...tags import bioes_to_iob, iob_to_bioes
from .features import CrfFeatures


class CrfTagger:
    """Fits crfsuite on all sentences at once; stores crfsuite's own binary model.

    features (CrfFeatures): maps token texts to attributes.
    encoding (str): "bioes" (trained internally, decoded to IOB2) or "iob".
    """

    def __init__(
        self,
        features: CrfFeatures,
        *,
        algorithm: str = "lbfgs",
        c1: float = 0.05,
        c2: float = 0.01,
        max_iterations: int = 200,
        all_possible_transitions: bool = True,
        min_freq: float = 0.0,
        encoding: str = "bioes",
        verbose: bool = False,
    ) -> None:
        if encoding not in ("bioes", "iob"):
            raise ValueError(f"encoding must be 'bioes' or 'iob', got {encoding!r}.")
        self.features = features
        self.algorithm = algorithm
        self.params = {
            "c1": c1,
            "c2": c2,
            "max_iterations": max_iterations,
            "feature.possible_transitions": all_possible_transitions,
            "feature.minfreq": min_freq,
        }
        if algorithm != "lbfgs":
            self.params.pop("c1")
        self.encoding = encoding
        self.verbose = verbose
        self.model_bytes: Optional[bytes] = None
        self._tagger: Optional[pycrfsuite.Tagger] = None

    def fit(self, words: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> None:
        trainer = pycrfsuite.Trainer(algorithm=self.algorithm, verbose=self.verbose)
        trainer.set_params(self.params)
        for sent_words, sent_tags in zip(words, tags):
            if not sent_words:
                continue
            labels = iob_to_bioes(sent_tags) if self.encoding == "bioes" else list(sent_tags)
            trainer.append(self.features(sent_words), labels)
        with tempfile.TemporaryDirectory() as tmp:
            model_path = Path(tmp) / "model.crfsuite"
            trainer.train(str(model_path))
            self._load(model_path.read_bytes())

    def _load(self, model_bytes: bytes) -> None:
        self.model_bytes = model_bytes
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open_inmemory(model_bytes)

    def predict(self, words: Sequence[Sequence[str]]) -> List[List[str]]:
        if self._tagger is None:
            raise ValueError("The CRF has not been fitted.")
        out = []
        for sent_words in words:
            if not sent_words:
                out.append([])
                continue
            tags = self._tagger.tag(self.features(sent_words))
            out.append(bioes_to_iob(tags) if self.encoding == "bioes" else list(tags))
        return out

    def to_bytes(self) -> bytes:
        return srsly.msgpack_dumps({"encoding": self.encoding, "crfsuite": self.model_bytes})

    def from_bytes(self, data: bytes) -> "CrfTagger":
        msg = srsly.msgpack_loads(data)
        self.encoding = msg["encoding"]
        if msg["crfsuite"] is not None:
            self._load(msg["crfsuite"])
        return self
