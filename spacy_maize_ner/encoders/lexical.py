"""`spacy_maize_ner.TransformerWithLexical.v1`: the encoder's token vectors beside case and shape.

all-MiniLM-L6-v2 lower-cases its input, so `tb1` and `TB1` reach the NER head as the same
vectors, while case is the CRF's strongest cue for gene names. This architecture wraps the
head's `TransformerListener` and concatenates, per spaCy token, its output with a small
embedding of spaCy's lexical attributes (NORM, PREFIX, SUFFIX, SHAPE through
`MultiHashEmbed`, then a `MaxoutWindowEncoder` of depth 1 over a window of one token each
side). PREFIX (the first character), SUFFIX (the last three) and SHAPE (`Xxdd`) change with
case; NORM does not. Both heads (the transition `ner` and `maize_token_ner`) take it as their
`tok2vec`.

A features file (configs/features/<name>.cfg) turns it on without touching the head files:

    [features]
    name = "lexical"
    description = "..."

    [tok2vec]
    @architectures = "spacy_maize_ner.TransformerWithLexical.v1"
    width = 64
    ...

`apply_features` moves the head's own `tok2vec` block (the listener, with its pooling) into
the new block's `listener` and puts the new block in its place, after the head file has been
applied (scripts/train_transformer.py `--features lexical`).
"""
from pathlib import Path
from typing import Any, List, Optional, Sequence, Union

from confection import Config
from spacy.ml.models.tok2vec import MaxoutWindowEncoder, MultiHashEmbed
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model, chain, concatenate
from thinc.types import Floats2d

from ..components.defaults import HEAD_COMPONENT

NO_FEATURES = "none"
DEFAULT_ATTRS = ("NORM", "PREFIX", "SUFFIX", "SHAPE")
DEFAULT_ROWS = (5000, 1000, 2500, 2500)


@registry.architectures("spacy_maize_ner.TransformerWithLexical.v1")
def build_transformer_with_lexical(
    listener: Model[List[Doc], List[Floats2d]],
    *,
    width: int = 64,
    attrs: List[str] = list(DEFAULT_ATTRS),
    rows: List[int] = list(DEFAULT_ROWS),
    window_size: int = 1,
    maxout_pieces: int = 3,
    depth: int = 1,
) -> Model[List[Doc], List[Floats2d]]:
    """listener (Model): the head's token vectors, a `TransformerListener` (or any tok2vec).
    width (int): width of the lexical embedding appended to each token's vector.
    attrs (List[str]): spaCy token attributes hashed into embeddings (NORM, PREFIX, SUFFIX, SHAPE).
    rows (List[int]): hash-table rows per attribute, one per entry of `attrs`.
    window_size (int): tokens each side seen by the window encoder (1: a trigram).
    maxout_pieces (int): pieces of the window encoder's maxout units.
    depth (int): window-encoder layers (1: a short, cheap context).
    RETURNS (Model[List[Doc], List[Floats2d]]): per token, the listener's vector followed by
        `width` lexical features (output width = listener width + width).
    """
    if len(attrs) != len(rows):
        raise ValueError(
            f"TransformerWithLexical: {len(attrs)} attrs {list(attrs)} but {len(rows)} rows {list(rows)}: "
            "give one hash-table size per attribute (e.g. attrs = [\"NORM\",\"PREFIX\",\"SUFFIX\",\"SHAPE\"], "
            "rows = [5000,1000,2500,2500])."
        )
    if width < 1 or depth < 1:
        raise ValueError(f"TransformerWithLexical: width ({width}) and depth ({depth}) must be at least 1.")
    embed = MultiHashEmbed(width=width, attrs=list(attrs), rows=list(rows), include_static_vectors=False)
    encode = MaxoutWindowEncoder(width=width, window_size=window_size, maxout_pieces=maxout_pieces, depth=depth)
    lexical = chain(embed, encode)
    model = concatenate(listener, lexical)
    model.name = "transformer_with_lexical"
    model.set_ref("listener", listener)
    model.set_ref("lexical", lexical)
    if listener.has_dim("nO") and listener.get_dim("nO"):
        model.set_dim("nO", listener.get_dim("nO") + width)
    return model


# -- features files -------------------------------------------------------------------------


def features_file(features_dir: Union[str, Path], name: str) -> Optional[Path]:
    """The file of feature set `name` in `features_dir`, or None for "none" (no features)."""
    if name == NO_FEATURES:
        return None
    path = Path(features_dir) / f"{name}.cfg"
    if not path.exists():
        known = [NO_FEATURES] + (sorted(p.stem for p in Path(features_dir).glob("*.cfg")) if Path(features_dir).exists() else [])
        raise FileNotFoundError(f"Features file {path} not found. Known feature sets: {known} (--features none turns them off).")
    return path


def apply_features(config: Config, paths: Sequence[Union[str, Path]]) -> Config:
    """Wrap the head's tok2vec in each features file's [tok2vec] block, in order.

    config (Config): a composed config (base + head file), not interpolated.
    paths (Sequence[Path]): features files (configs/features/<name>.cfg).
    RETURNS (Config): the same config; [components.ner.model.tok2vec] becomes the file's
        block, with the old tok2vec (the listener) as its `listener`.
    """
    for path in paths:
        features = Config().from_disk(path, interpolate=False)
        block = features.get("tok2vec")
        if "features" not in features or not isinstance(block, dict) or not any(k.startswith("@") for k in block):
            raise ValueError(
                f"{path}: a features file needs a [features] section (name, description) and a "
                "[tok2vec] block with @architectures (e.g. spacy_maize_ner.TransformerWithLexical.v1) "
                "that wraps the head's listener."
            )
        try:
            model = config["components"][HEAD_COMPONENT]["model"]
            inner = model["tok2vec"]
        except KeyError:
            raise ValueError(
                f"{path}: the config has no [components.{HEAD_COMPONENT}.model.tok2vec] block to wrap; "
                "features apply to the transformer configs' NER heads (configs/transformer.cfg, configs/heads/)."
            ) from None
        model["tok2vec"] = {**dict(block), "listener": inner}
    return config


def feature_names(value: Union[str, Sequence[str], None]) -> List[str]:
    """'lexical' / 'a,b' / ['a'] / None / 'none' -> the feature-set names to apply."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item.strip() and item.strip() != NO_FEATURES]


def feature_paths(features_dir: Union[str, Path], value: Any) -> List[Path]:
    """The features files for `value` (see feature_names) in `features_dir`."""
    return [p for p in (features_file(features_dir, name) for name in feature_names(value)) if p is not None]
