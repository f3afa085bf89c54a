"""`spacy_maize_ner.TokenClassifier.v1`: token vectors -> one score per tag per token.

The Hugging Face recipe for token classification: a (dropout +) linear layer on each
token's vector, optionally behind a hidden layer. The token vectors come from a
`TransformerListener` (wordpieces pooled per spaCy token, pooling configurable there).
"""
from typing import List, Optional

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Dropout, Linear, Model, Relu, chain, with_array
from thinc.types import Floats2d

TRANSITIONS = "transitions"


@registry.architectures("spacy_maize_ner.TokenClassifier.v1")
def build_token_classifier(
    tok2vec: Model[List[Doc], List[Floats2d]],
    *,
    hidden_width: int = 0,
    dropout: float = 0.1,
    nO: Optional[int] = None,
    crf: bool = False,
) -> Model[List[Doc], List[Floats2d]]:
    """tok2vec (Model): token vectors, usually a TransformerListener.
    hidden_width (int): width of a ReLU layer before the output layer; 0 for none.
    dropout (float): dropout before each layer (spaCy's training.dropout overrides it).
    nO (Optional[int]): number of tags; set by the component from its labels.
    crf (bool): add learned tag-transition scores (a linear-chain CRF layer); the head
        is then trained with the CRF likelihood and decoded with the transitions.
    RETURNS (Model[List[Doc], List[Floats2d]]): unnormalised tag scores per token.
    """
    layers = [Dropout(dropout)]
    if hidden_width > 0:
        layers.extend([Relu(nO=hidden_width), Dropout(dropout)])
    output = Linear(nO=nO)
    parts = [tok2vec, with_array(chain(*layers, output))]
    transitions = crf_transitions(nO) if crf else None
    if transitions is not None:
        parts.append(transitions)
    model = chain(*parts)
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("output_layer", output)
    if transitions is not None:
        model.set_ref(TRANSITIONS, transitions)
    return model


def crf_transitions(nO: Optional[int] = None) -> Model[List[Floats2d], List[Floats2d]]:
    """An identity layer that holds the CRF's (nO, nO) transition scores as param "T".

    It passes the emission scores through unchanged; the component reads "T" to decode
    and adds the likelihood's gradient to it (`inc_grad`), so that the optimizer updates
    it with the rest of the head.
    """

    def forward(model: Model, X: List[Floats2d], is_train: bool):
        return X, lambda dY: dY

    def init(model: Model, X=None, Y=None) -> None:
        n = model.get_dim("nO")
        model.set_param("T", model.ops.alloc2f(n, n))

    return Model("crf_transitions", forward, init=init, dims={"nO": nO}, params={"T": None})
