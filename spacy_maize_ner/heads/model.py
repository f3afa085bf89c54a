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


@registry.architectures("spacy_maize_ner.TokenClassifier.v1")
def build_token_classifier(
    tok2vec: Model[List[Doc], List[Floats2d]],
    *,
    hidden_width: int = 0,
    dropout: float = 0.1,
    nO: Optional[int] = None,
) -> Model[List[Doc], List[Floats2d]]:
    """tok2vec (Model): token vectors, usually a TransformerListener.
    hidden_width (int): width of a ReLU layer before the output layer; 0 for none.
    dropout (float): dropout before each layer (spaCy's training.dropout overrides it).
    nO (Optional[int]): number of tags; set by the component from its labels.
    RETURNS (Model[List[Doc], List[Floats2d]]): unnormalised tag scores per token.
    """
    layers = [Dropout(dropout)]
    if hidden_width > 0:
        layers.extend([Relu(nO=hidden_width), Dropout(dropout)])
    output = Linear(nO=nO)
    model = chain(tok2vec, with_array(chain(*layers, output)))
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("output_layer", output)
    return model
