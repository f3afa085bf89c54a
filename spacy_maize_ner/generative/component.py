"""`maize_generative_ner`: a decoder LLM that writes one BIO tag after each word (issue 26, item 3).

The SIFT-style alternative to the decoder taggers of decoders/architecture.py (which put a
classifier on the decoder's hidden states): the decoder reads an instruction and the sentence,
then the words again, and after each word its own LM head chooses the word's tag among the
tag tokens (layout.py), conditioned on every tag it chose before. Decoding is greedy and
constrained: one tag per spaCy token, never an I- that follows nothing (model.py). LoRA
adapters (peft) are trained with the base frozen; the loss is the cross-entropy of the gold
tags under teacher forcing.

The component owns its torch model and its AdamW optimizer (peft parameters only); it follows
the training's learning-rate schedule and gradient clipping (`[training.optimizer]`: the
optimizer spaCy hands to `finish_update`), so `spacy train`, `spacy evaluate` and `spacy
package` work as for any component. Saved: the adapter and the tokenizer, with the base's
name, folder and SHA-256 fingerprint (adapter-only, as PEFT pipelines): loading looks for the
base where an adapter-only PEFT pipeline looks for its encoder (peft/base.py: a `base` given at
load time, $MAIZE_NER_ENCODERS, the recorded folder and name) and refuses other weights.

    [components.ner]
    factory = "maize_generative_ner"
    base = ${paths.encoder}

    [components.ner.peft]
    @misc = "spacy_maize_ner.lora.v1"
    r = 16
    target_modules = ["q_proj", "k_proj", "v_proj", "o_proj"]
"""
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional

import srsly
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc, Span
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.vocab import Vocab
from thinc.api import Model

from ..components.defaults import NER_SCORE_WEIGHTS
from ..encoders.resolve import is_decoder_config, loading_error, resolve_encoder
from ..peft.base import ENV_VAR, WrongKind, find_base
from ..peft.methods import PeftMethod, require_peft
from ..tags import OUTSIDE, biluo_to_bio, constraints, id_spans, sentences, tag_names
from .layout import INSTRUCTION, TagVocabulary, tag_vocabulary, teacher_forced
from .model import decode, load_causal_lm, tag_logits

FORMAT = "spacy_maize_ner.generative.v1"


class GenerativeLoadError(RuntimeError):
    """A saved generative tagger whose base decoder is missing or has other weights."""


@Language.factory(
    "maize_generative_ner",
    assigns=["doc.ents", "token.ent_iob", "token.ent_type"],
    default_config={
        "base": "google/gemma-3-270m",
        "peft": {"@misc": "spacy_maize_ner.lora.v1", "r": 16, "alpha": 32, "dropout": 0.05,
                 "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"], "exclude_modules": []},
        "instruction": INSTRUCTION,
        "tag_texts": None,
        "max_words": 128,
        "scorer": {"@scorers": "spacy.ner_scorer.v1"},
    },
    default_score_weights=NER_SCORE_WEIGHTS,
)
def make_generative_ner(nlp: Language, name: str, *, base: str, peft: PeftMethod, instruction: str,
                        tag_texts: Optional[Dict[str, str]], max_words: int, scorer: Optional[Callable]) -> "GenerativeNER":
    """base (str): the decoder LM, a hub id or a folder (assets/decoders/gemma3-270m); loaded in initialize.
    peft (PeftMethod): the LoRA block. instruction (str): the prompt's first line. tag_texts: the text
    whose first token stands for each tag (default " O", " B", " I" for one label). max_words (int):
    longer sentences are tagged in pieces of this many words."""
    return GenerativeNER(nlp.vocab, name, base=base, peft=peft, instruction=instruction, tag_texts=tag_texts,
                         max_words=max_words, scorer=scorer)


class GenerativeNER(TrainablePipe):
    def __init__(self, vocab: Vocab, name: str = "ner", *, base: str, peft: PeftMethod, instruction: str = INSTRUCTION,
                 tag_texts: Optional[Dict[str, str]] = None, max_words: int = 128, scorer: Optional[Callable] = None) -> None:
        if peft.method != "lora":
            raise ValueError(f"maize_generative_ner trains LoRA adapters; got a {peft.method} block: use spacy_maize_ner.lora.v1.")
        if max_words < 1:
            raise ValueError(f"max_words must be positive; got {max_words}.")
        self.vocab, self.name, self.scorer = vocab, name, scorer
        self.model = Model("generative-tagger", lambda model, X, is_train: (X, lambda d: d))  # the torch model is self.lm
        self.cfg: Dict[str, Any] = {"base": base, "peft": dict(peft._asdict()), "instruction": instruction,
                                    "tag_texts": tag_texts, "max_words": max_words, "labels": []}
        self.lm: Any = None
        self.tokenizer: Any = None
        self.vocabulary: Optional[TagVocabulary] = None
        self._optimizer: Any = None
        self._word_ids: Dict[str, List[int]] = {}

    # --- labels and tags ----------------------------------------------------------------------
    @property
    def labels(self) -> tuple:
        return tuple(self.cfg["labels"])

    def add_label(self, label: str) -> int:
        if label in self.cfg["labels"]:
            return 0
        if self.lm is not None:
            raise ValueError(f"[{self.name}] Cannot add label {label!r} after initialisation: retrain the component.")
        self.cfg["labels"].append(label)
        return 1

    @property
    def tags(self) -> List[str]:
        return tag_names(self.labels, "BIO")

    # --- loading the decoder ----------------------------------------------------------------
    def _attach(self, lm: Any, tokenizer: Any, adapter: Optional[Path] = None) -> None:
        """Put fresh LoRA adapters (training) or the saved ones (`adapter`) on the decoder `lm`."""
        from thinc.api import get_torch_default_device

        peft = require_peft()
        if adapter is None:
            s = self.cfg["peft"]["settings"]
            config = peft.LoraConfig(task_type=peft.TaskType.CAUSAL_LM, r=s["r"], lora_alpha=s["alpha"],
                                     lora_dropout=s["dropout"], target_modules=list(s["target_modules"]),
                                     exclude_modules=list(s.get("exclude_modules") or []) or None, bias=s.get("bias", "none"))
            self.lm = peft.get_peft_model(lm, config)
        else:
            self.lm = peft.PeftModel.from_pretrained(lm, str(adapter), is_trainable=False)
        self.lm.to(get_torch_default_device())
        self.tokenizer = tokenizer
        self.vocabulary = tag_vocabulary(self.tokenizer, self.tags, self.cfg["tag_texts"])
        self._word_ids = {}

    def _load_base(self, location: str) -> None:
        """Load the base decoder at `location` for training; record its folder and SHA-256 fingerprint."""
        from transformers import AutoTokenizer

        from ..peft.shim import weights_fingerprint

        try:
            tokenizer = AutoTokenizer.from_pretrained(location)
            lm = load_causal_lm(location)
        except OSError as error:
            raise loading_error(self.cfg["base"], error) from error
        self.cfg["base_path"] = location
        self.cfg["base_fingerprint"] = weights_fingerprint(lm)
        self._attach(lm, tokenizer)

    def _load_saved(self, path: Path, configured: Optional[str]) -> None:
        """Load the adapter saved at `path` on its base, found as an adapter-only PEFT pipeline finds
        its encoder (peft/base.py): a base given at load time (`configured`), $MAIZE_NER_ENCODERS,
        the recorded folder and name, installed packages; the first whose weights have the
        recorded SHA-256 wins."""
        from transformers import AutoConfig, AutoTokenizer

        from ..peft.shim import weights_fingerprint

        info = {"name": self.cfg["base"], "path": self.cfg.get("base_path"), "fingerprint": self.cfg.get("base_fingerprint")}

        def load(location: str) -> Any:
            config = AutoConfig.from_pretrained(location)
            if not is_decoder_config(config):  # e.g. an encoder beside it in $MAIZE_NER_ENCODERS
                raise WrongKind(f"not a decoder LM ({config.model_type})")
            return load_causal_lm(location)  # NoLMHeadError is a ValueError: passed over too

        lm, _, tried = find_base(info, configured, load, weights_fingerprint)
        if lm is not None:
            self._attach(lm, AutoTokenizer.from_pretrained(str(path / "tokenizer")), adapter=path / "adapter")
            return
        raise GenerativeLoadError(
            f"{path} holds LoRA adapters for the decoder {info['name']!r} (weights SHA-256 {str(info['fingerprint'])[:16]}...), "
            f"which was not found: {'; '.join(tried) or 'no candidate'}. Provide it in one of these ways: set "
            f"{ENV_VAR}=/path/to/decoder (a folder written by provide-decoder or save_pretrained, or a folder of such "
            f"folders); or load with spacy.load(NAME, config={{'components': {{'{self.name}': {{'base': '/path/to/decoder'}}}}}}); "
            "or, for a hub id, have it in the Hugging Face cache. A base with other weights would tag with a different "
            "model: use the same checkpoint (the checksums of provide-decoder's provenance.json) or retrain.")

    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Optional[Language] = None,
                   labels: Optional[List[str]] = None) -> None:
        """Collect the labels (or take `labels`), load the base decoder and add fresh LoRA adapters."""
        validate_get_examples(get_examples, "GenerativeNER.initialize")
        if labels is None:
            found = sorted({ent.label_ for eg in get_examples() for ent in eg.reference.ents})
            labels = found
        for label in labels:
            self.add_label(label)
        if not self.labels:
            raise ValueError(f"[{self.name}] No entity labels in the training examples: nothing to tag.")
        self._load_base(resolve_encoder(self.cfg["base"]))

    def _require_lm(self) -> None:
        if self.lm is None:
            raise ValueError(f"[{self.name}] The generative tagger is not initialised: run nlp.initialize() or load a trained pipeline.")

    # --- training -----------------------------------------------------------------------------
    def _sentence_words(self, doc: Doc) -> Iterable[tuple]:
        """(start, words) of each sentence of `doc`, in pieces of at most max_words words."""
        step = self.cfg["max_words"]
        for sent in sentences(doc):
            for start in range(sent.start, sent.end, step):
                end = min(start + step, sent.end)
                yield start, [t.text for t in doc[start:end]]

    def update(self, examples: Iterable[Example], *, drop: float = 0.0, sgd=None,
               losses: Optional[Dict[str, float]] = None) -> Dict[str, float]:
        import torch

        examples = list(examples)
        validate_examples(examples, "GenerativeNER.update")
        losses = {} if losses is None else losses
        losses.setdefault(self.name, 0.0)
        self._require_lm()
        index = {tag: i for i, tag in enumerate(self.tags)}
        layouts, gold = [], []
        for eg in examples:
            # unaligned (None) and missing ("-") annotation count as outside
            bio = biluo_to_bio([OUTSIDE if t in (None, "-") else t for t in eg.get_aligned_ner()])
            for start, words in self._sentence_words(eg.predicted):
                ids = [index.get(tag, 0) for tag in bio[start:start + len(words)]]
                layouts.append(teacher_forced(self.tokenizer, words, [self.vocabulary.ids[i] for i in ids],
                                              instruction=self.cfg["instruction"], cache=self._word_ids))
                gold += ids
        if not layouts:
            return losses
        self.lm.train()
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        logits = tag_logits(self.lm, layouts, self.vocabulary.ids, pad)
        target = torch.tensor(gold, device=logits.device)
        loss = torch.nn.functional.cross_entropy(logits, target)
        loss.backward()
        losses[self.name] += float(loss.detach().cpu())
        if sgd is not None:
            self.finish_update(sgd)
        return losses

    def finish_update(self, sgd) -> None:
        """One AdamW step of the adapters at the training's current learning rate, then zero the gradients."""
        import torch

        self._require_lm()
        params = [p for p in self.lm.parameters() if p.requires_grad]
        if self._optimizer is None:
            weight_decay = float(getattr(sgd, "L2", 0.0) or 0.0) if getattr(sgd, "L2_is_weight_decay", True) else 0.0
            self._optimizer = torch.optim.AdamW(params, lr=float(sgd.learn_rate), weight_decay=weight_decay)
        for group in self._optimizer.param_groups:
            group["lr"] = float(sgd.learn_rate)
        clip = float(getattr(sgd, "grad_clip", 0.0) or 0.0)
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(params, clip)
        self._optimizer.step()
        self._optimizer.zero_grad(set_to_none=True)

    def get_loss(self, examples, scores):  # the loss is computed in update (teacher forcing)
        raise NotImplementedError("GenerativeNER computes its loss in update().")

    # --- prediction ---------------------------------------------------------------------------
    def predict(self, docs: Iterable[Doc]) -> List[List[tuple]]:
        """(start, end, label) token spans of each doc, sentence by sentence."""
        self._require_lm()
        self.lm.eval()
        allowed = constraints(self.tags, "BIO")
        out = []
        for doc in docs:
            spans = []
            for start, words in self._sentence_words(doc):
                chosen = decode(self.lm, self.tokenizer, words, self.vocabulary.ids, allowed,
                                instruction=self.cfg["instruction"], cache=self._word_ids)
                spans += [(start + s, start + e, label) for s, e, label in id_spans(chosen, self.tags)]
            out.append(spans)
        return out

    def set_annotations(self, docs: Iterable[Doc], spans: List[List[tuple]]) -> None:
        for doc, doc_spans in zip(docs, spans):
            doc.ents = [Span(doc, s, e, label=label) for s, e, label in doc_spans]

    # --- serialization ------------------------------------------------------------------------
    def to_disk(self, path, *, exclude=tuple()) -> None:
        self._require_lm()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.lm.save_pretrained(str(path / "adapter"))
        self.tokenizer.save_pretrained(str(path / "tokenizer"))
        srsly.write_json(path / "cfg.json", {**self.cfg, "format": FORMAT})

    def from_disk(self, path, *, exclude=tuple()) -> "GenerativeNER":
        path = Path(path)
        cfg = srsly.read_json(path / "cfg.json")
        if cfg.get("format") != FORMAT:
            raise GenerativeLoadError(f"{path}: not a saved maize_generative_ner component (format {cfg.get('format')!r}).")
        configured = self.cfg.get("base")  # the factory's base: a name given at load time, if any
        self.cfg = cfg
        self._load_saved(path, configured)
        return self

    def to_bytes(self, *, exclude=tuple()) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            self.to_disk(tmp, exclude=exclude)
            return srsly.msgpack_dumps({str(p.relative_to(tmp)): p.read_bytes() for p in Path(tmp).rglob("*") if p.is_file()})

    def from_bytes(self, bytes_data: bytes, *, exclude=tuple()) -> "GenerativeNER":
        with tempfile.TemporaryDirectory() as tmp:
            for name, data in srsly.msgpack_loads(bytes_data).items():
                (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
                (Path(tmp) / name).write_bytes(data)
            return self.from_disk(tmp, exclude=exclude)
