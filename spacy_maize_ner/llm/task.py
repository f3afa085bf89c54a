"""`spacy_maize_ner.ExactNER.v1`: zero- or few-shot NER with exact character spans.

The task renders one prompt per document (or per group of sentences, when a document's
prompt would not fit the model's context), reads the answer in any shape `parser.py`
knows, and maps every mention to character offsets with the policy of `align.py`.
Nothing is dropped silently: per run it counts answers parsed, empty, malformed,
truncated (finish_reason "length") and failed (no answer after retries), and mentions
found exactly, by case, ignoring whitespace, inline, hallucinated (not in the text),
unaligned (not at token boundaries) and dropped as overlaps, and documents with a shard
that got no answer (`docs_failed`). Malformed, empty, truncated and failed answers are
logged with the document's id.
"""
import json
import logging
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Literal, Optional, Sequence, Tuple, Union

from spacy.scorer import get_ner_prf
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import filter_spans

from ..components.defaults import DEFAULT_LABEL
from .align import align_inline, align_mentions, token_bounds
from .parser import parse_answer
from .response import LLMResponse

logger = logging.getLogger("spacy_maize_ner.llm")

AnswerFormat = Literal["json", "inline"]
DEFAULT_TEMPLATES = {"json": "ner_json.v1.jinja", "inline": "ner_inline.v1.jinja"}
DEFAULT_DEFINITIONS = {
    "GENE": (
        "a gene or gene product named in the text: genes, proteins, RNAs, protein families, "
        "complexes, receptors, enzymes and their domains or mutants (e.g. 'BRCA1', 'tumor necrosis "
        "factor alpha', 'ZmCCT9', 'p53 protein', 'cytochrome P450'). Include the whole name with "
        "the words that belong to it; do not mark generic words such as 'gene' or 'protein' alone, "
        "organisms, cells or diseases."
    )
}
USER_DATA_KEY = "maize_llm"  # per-doc status in doc.user_data (counts only, never the prompt)


def load_template(template: str) -> str:
    """A packaged prompt (`spacy_maize_ner/llm/prompts/<name>`) or a path to a .jinja file."""
    path = Path(template)
    if path.suffix == ".jinja" and path.is_file():
        return path.read_text(encoding="utf8")
    packaged = resources.files("spacy_maize_ner.llm").joinpath("prompts", template)
    if packaged.is_file():
        return packaged.read_text(encoding="utf8")
    available = sorted(p.name for p in resources.files("spacy_maize_ner.llm").joinpath("prompts").iterdir())
    raise FileNotFoundError(
        f"Prompt template {template!r} not found: give a packaged template ({', '.join(available)}) "
        "or the path of a .jinja file."
    )


class Shards(list):
    """The parts of one document sent as separate prompts (Spans of `doc`, in order)."""

    def __init__(self, doc: Doc, spans: Sequence[Span]) -> None:
        super().__init__(spans)
        self.doc = doc


class ExactNERTask:
    """Prompts for NER and exact-span parsing of the answers (see module docstring)."""

    def __init__(
        self,
        *,
        labels: Sequence[str],
        label_definitions: Dict[str, str],
        template: str,
        answer_format: AnswerFormat,
        examples: Optional[Callable[[], Iterable[Dict[str, Any]]]],
        answer_tokens: int,
        chars_per_token: float,
    ) -> None:
        if answer_format not in ("json", "inline"):
            raise ValueError(f"answer_format must be 'json' or 'inline', got {answer_format!r}.")
        if not labels:
            raise ValueError("The task needs at least one label, e.g. labels = [\"GENE\"].")
        self._labels = list(labels)
        self.label_definitions = dict(label_definitions)
        self.template_name = template
        # A .jinja file is read now when it exists (typos fail before training), else when a
        # saved pipeline restores the text it carries (from_bytes): loading never needs the file.
        self._template_text: Optional[str] = None
        self._template_missing: Optional[FileNotFoundError] = None
        self._template: Any = None
        try:
            self._set_template(load_template(template))
        except FileNotFoundError as error:
            self._template_missing = error
        self.answer_format = answer_format
        self._examples_source = examples
        self._examples: Optional[List[Dict[str, Any]]] = None
        self.answer_tokens = answer_tokens
        self.chars_per_token = chars_per_token
        self.stats: Counter = Counter()
        self._n_docs = 0

    # spacy-llm's LabeledTask protocol
    @property
    def labels(self) -> Tuple[str, ...]:
        return tuple(self._labels)

    def add_label(self, label: str, label_definition: Optional[str] = None) -> int:
        if label in self._labels:
            return 0
        self._labels.append(label)
        if label_definition:
            self.label_definitions[label] = label_definition
        return 1

    def clear(self) -> None:
        self._labels = []

    def _set_template(self, text: str) -> None:
        import jinja2

        self._template_text = text
        self._template = jinja2.Environment(keep_trailing_newline=False).from_string(text)
        self._template_missing = None

    @property
    def prompt_template(self) -> str:
        """The template's text ("" while a .jinja file named in the config is missing)."""
        return self._template_text or ""

    @property
    def examples(self) -> List[Dict[str, Any]]:
        """The few-shot examples, read on first use (so loading a pipeline reads no corpus)."""
        if self._examples is None:
            self._examples = list(self._examples_source()) if self._examples_source else []
        return self._examples

    def render(self, text: str) -> str:
        shown = []
        for example in self.examples:
            answer = example["marked"] if self.answer_format == "inline" else json.dumps(
                {label: example["mentions"].get(label, []) for label in self._labels}, ensure_ascii=False)
            shown.append({"text": example["text"], "answer": answer})
        if self._template_missing is not None:  # never found, nor restored from a saved pipeline
            raise self._template_missing
        return self._template.render(
            text=text, labels=self._labels, label_definitions={l: self.label_definitions.get(l, "") for l in self._labels},
            examples=shown, empty_answer=json.dumps({label: [] for label in self._labels}),
        ).strip()

    # spacy-llm's ShardingLLMTask protocol
    def generate_prompts(
        self, docs: Iterable[Doc], context_length: Optional[int] = None
    ) -> Iterable[Tuple[Iterable[str], Iterable[Doc]]]:
        for doc in docs:
            shards = self.shard(doc, context_length)
            yield [self.render(span.text) for span in shards], shards

    def shard(self, doc: Doc, context_length: Optional[int]) -> Shards:
        """The whole doc, or groups of its sentences when the prompt would exceed the context."""
        whole = doc[0 : len(doc)]
        if not context_length or len(doc) == 0 or self._fits(whole, context_length):
            return Shards(doc, [whole])
        sents = list(doc.sents) if doc.has_annotation("SENT_START") else [whole]
        if len(sents) == 1:
            self.stats["oversized_prompts"] += 1
            return Shards(doc, [whole])
        groups: List[Span] = []
        start = sents[0].start
        for prev, sent in zip(sents, sents[1:]):
            if not self._fits(doc[start : sent.end], context_length):
                groups.append(doc[start : prev.end])
                start = sent.start
        groups.append(doc[start : sents[-1].end])
        self.stats["sharded_docs"] += 1
        self.stats["oversized_prompts"] += sum(1 for g in groups if not self._fits(g, context_length))
        return Shards(doc, groups)

    def _fits(self, span: Span, context_length: int) -> bool:
        return len(self.render(span.text)) / self.chars_per_token + self.answer_tokens <= context_length

    def parse_responses(
        self, shards: Iterable[Iterable[Doc]], responses: Iterable[Iterable[Any]]
    ) -> Iterable[Doc]:
        for doc_shards, doc_responses in zip(shards, responses):
            doc_shards = list(doc_shards)
            doc = doc_shards[0].doc if isinstance(doc_shards, Shards) or isinstance(doc_shards[0], Span) else doc_shards[0]
            spans: List[Span] = []
            doc_info: Counter = Counter()
            for shard, response in zip(doc_shards, doc_responses):
                spans.extend(self._parse_one(doc, shard, response, doc_info))
            kept = filter_spans(spans)
            doc_info["overlaps_dropped"] += len(spans) - len(kept)
            self.stats["overlaps_dropped"] += len(spans) - len(kept)
            self.stats["entities"] += len(kept)
            doc.ents = kept
            doc.user_data[USER_DATA_KEY] = dict(doc_info)
            if doc_info["failed"]:
                self.stats["docs_failed"] += 1
            self.stats["docs"] += 1
            self._n_docs += 1
            yield doc

    def _doc_id(self, doc: Doc) -> str:
        pmid = doc.user_data.get("pmid") if isinstance(doc.user_data, dict) else None
        return f"pmid {pmid}" if pmid else f"doc #{self._n_docs} ({doc.text[:40]!r})"

    def _parse_one(self, doc: Doc, shard: Span, response: Any, info: Counter) -> List[Span]:
        if isinstance(response, LLMResponse):
            text, finish, error = response.text, response.finish_reason, response.error
        else:  # a plain string from another spacy-llm model
            text, finish, error = str(response), None, None
        self.stats["answers"] += 1
        if error:
            self.stats["failed"] += 1
            info["failed"] += 1
            logger.warning("%s: no answer (%s)", self._doc_id(doc), error)
            return []
        parsed = parse_answer(text, self._labels, self.answer_format)
        truncated = finish == "length"
        self.stats[parsed.status] += 1
        info[parsed.status] += 1
        self.stats[f"shape_{parsed.shape or 'unknown'}"] += 1
        self.stats["unknown_labels"] += parsed.unknown_labels
        if truncated:
            self.stats["truncated"] += 1
            info["truncated"] += 1
        if parsed.status in ("malformed", "empty") or truncated:
            logger.warning("%s: %s answer%s: %r", self._doc_id(doc), "truncated" if truncated else parsed.status,
                           f" ({len(parsed.mentions)} mentions salvaged)" if parsed.mentions else "", text[:200])
        offset = shard.start_char
        starts, ends = token_bounds((t.idx - offset, t.idx - offset + len(t.text)) for t in shard)
        if parsed.marked is not None:
            alignment = align_inline(shard.text, parsed.marked, starts, ends)
        else:
            alignment = align_mentions(shard.text, parsed.mentions, starts, ends)
        for key, value in alignment.counts.items():
            self.stats[f"mentions_{key}"] += value
            info[f"mentions_{key}"] += value
        if alignment.counts["hallucinated"] or alignment.counts["unaligned"]:
            logger.debug("%s: %d hallucinated, %d unaligned mentions dropped", self._doc_id(doc),
                         alignment.counts["hallucinated"], alignment.counts["unaligned"])
        out = []
        for found in alignment.found:
            span = doc.char_span(found.start + offset, found.end + offset, label=found.label)
            if span is not None:  # always the case: offsets are token boundaries
                out.append(span)
        return out

    def scorer(self, examples: Iterable[Example]) -> Dict[str, Any]:
        """spaCy's strict NER scores, so `nlp.evaluate` and `spacy evaluate` report them."""
        return get_ner_prf(examples)

    def summary(self) -> Dict[str, Any]:
        """Counts of this run plus the share of answers parsed."""
        stats = dict(self.stats)
        answers = stats.get("answers", 0)
        stats["share_parsed"] = stats.get("parsed", 0) / answers if answers else None
        docs = stats.get("docs", 0)
        stats.setdefault("docs_failed", 0)
        stats["share_docs_failed"] = stats["docs_failed"] / docs if docs else None
        return stats

    # Serialization: the few-shot examples travel with the pipeline, so a packaged
    # pipeline needs no corpus. Nothing else is stored (no prompts, answers or keys).
    def to_bytes(self, *, exclude: Tuple[str] = tuple()) -> bytes:
        return json.dumps({"labels": self._labels, "examples": self.examples, "template": self._template_text}).encode("utf8")

    def from_bytes(self, bytes_data: bytes, *, exclude: Tuple[str] = tuple()) -> "ExactNERTask":
        data = json.loads(bytes_data.decode("utf8"))
        self._labels = list(data["labels"])
        self._examples = list(data["examples"])
        if data.get("template") is not None:  # pipelines saved before the template travelled with them lack it
            self._set_template(data["template"])
        return self

    def to_disk(self, path: Path, *, exclude: Tuple[str] = tuple()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "task.json").write_bytes(self.to_bytes())

    def from_disk(self, path: Path, *, exclude: Tuple[str] = tuple()) -> "ExactNERTask":
        return self.from_bytes((Path(path) / "task.json").read_bytes())


def make_exact_ner_task(
    *,
    labels: Union[str, List[str]] = DEFAULT_LABEL,
    label_definitions: Optional[Dict[str, str]] = None,
    answer_format: AnswerFormat = "json",
    template: Optional[str] = None,
    examples: Optional[Callable[[], Iterable[Dict[str, Any]]]] = None,
    answer_tokens: int = 256,
    chars_per_token: float = 3.5,
) -> ExactNERTask:
    """NER with exact character spans (spacy_maize_ner.ExactNER.v1).

    labels (Union[str, List[str]]): labels, as a list or comma-separated ("GENE").
    label_definitions (Optional[Dict[str, str]]): what each label means, shown in the prompt;
        defaults to a definition of gene and gene-product mentions for GENE.
    answer_format (str): "json" (mentions listed, positions recovered by `align.py`) or
        "inline" (the text with mentions marked as <GENE>..</GENE>, positions kept).
    template (Optional[str]): a packaged template name or a .jinja path; default per format.
    examples (Optional[Callable]): few-shot examples, e.g. spacy_maize_ner.FewShotDocBin.v1;
        None for zero-shot.
    answer_tokens (int): tokens kept free for the answer when deciding to split a document.
    chars_per_token (float): characters per token for estimating a prompt's length.
    RETURNS (ExactNERTask): the task.
    """
    if isinstance(labels, str):
        labels = [label.strip() for label in labels.split(",") if label.strip()]
    definitions = dict(label_definitions) if label_definitions is not None else {
        label: DEFAULT_DEFINITIONS[label] for label in labels if label in DEFAULT_DEFINITIONS}
    return ExactNERTask(
        labels=labels, label_definitions=definitions, template=template or DEFAULT_TEMPLATES[answer_format],
        answer_format=answer_format, examples=examples, answer_tokens=answer_tokens, chars_per_token=chars_per_token,
    )
