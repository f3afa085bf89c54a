"""Answer parsing and span alignment of the LLM task, without a server."""
import pytest

pytest.importorskip("spacy_llm")

from spacy_maize_ner.llm.align import align_inline, find_mention, token_bounds  # noqa: E402
from spacy_maize_ner.llm.parser import Mention, parse_answer  # noqa: E402
from spacy_maize_ner.llm.retry import RetryPolicy, parse_retry_after  # noqa: E402


@pytest.mark.parametrize("answer,shape,mentions", [
    ('{"GENE": ["BRCA1", "p53"]}', "json", ["BRCA1", "p53"]),
    ('Sure! ```json\n{"GENE": ["BRCA1"]}\n```', "json", ["BRCA1"]),
    ('["BRCA1", "p53"]', "json", ["BRCA1", "p53"]),
    ('[{"text": "BRCA1", "label": "Gene"}]', "json", ["BRCA1"]),
    ('{"mentions": [{"mention": "p53", "type": "GENE"}]}', "json", ["p53"]),
    ('{"genes": ["p53"]}', "json", ["p53"]),
    ("1. BRCA1 | True | GENE | a gene\n2. cells | False | ==NONE== | not a gene", "list", ["BRCA1"]),
    ("- BRCA1\n- p53", "list", ["BRCA1", "p53"]),
    ("GENE: BRCA1, p53", "list", ["BRCA1", "p53"]),
    ("None", "none", []),
    ('{"GENE": []}', "json", []),
])
def test_answer_shapes(answer, shape, mentions):
    parsed = parse_answer(answer, ["GENE"])
    assert parsed.status == "parsed" and parsed.shape == shape
    assert [m.text for m in parsed.mentions] == mentions
    assert all(m.label == "GENE" for m in parsed.mentions)


def test_unknown_labels_counted():
    parsed = parse_answer('{"GENE": ["p53"], "DISEASE": ["cancer"]}', ["GENE"])
    assert [m.text for m in parsed.mentions] == ["p53"] and parsed.unknown_labels == 1


def test_inline_marks_and_fallback_to_inline():
    parsed = parse_answer("We cloned <GENE>BRCA1</GENE> and <gene>p53</gene> .", ["GENE"], "inline")
    assert parsed.shape == "inline" and parsed.marked.text == "We cloned BRCA1 and p53 ."
    assert [parsed.marked.text[s:e] for s, e, _ in parsed.marked.spans] == ["BRCA1", "p53"]
    assert parse_answer("<GENE>p53</GENE> binds", ["GENE"], "json").shape == "inline"  # wrong shape still read


def test_find_mention_policy():
    text = "ZmCCT9 and zmcct9 and ZmCCT9x"
    starts, ends = token_bounds([(0, 6), (7, 10), (11, 17), (18, 21), (22, 29)])
    assert find_mention(text, "ZmCCT9", starts, ends) == ([(0, 6)], "exact")  # not inside ZmCCT9x
    assert find_mention(text, "ZMCCT9", starts, ends) == ([(0, 6), (11, 17)], "case")
    assert find_mention(text, "CCT9", starts, ends) == ([], "unaligned")
    assert find_mention(text, "Tb1", starts, ends) == ([], "hallucinated")


def test_inline_alignment_survives_rewritten_text():
    text = "The  Tb1 gene , and Tb1 again ."
    tokens = [(0, 3), (5, 8), (9, 13), (14, 15), (16, 19), (20, 23), (24, 29), (30, 31)]
    starts, ends = token_bounds(tokens)
    marked = parse_answer("The Tb1 gene, and <GENE>Tb1</GENE> again.", ["GENE"], "inline").marked
    alignment = align_inline(text, marked, starts, ends)
    assert [(f.start, f.end) for f in alignment.found] == [(20, 23)]  # the second one, as marked


def test_retry_policy_backoff_and_retry_after():
    policy = RetryPolicy(max_retries=5, base_delay=1.0, max_delay=8.0, seed=0)
    delays = [policy.delay(n) for n in range(6)]
    assert all(0 <= d <= min(8.0, 2 ** n) for n, d in enumerate(delays))
    assert policy.delay(0, retry_after=3.0) >= 3.0 and policy.delay(0, retry_after=100.0) == 8.0
    assert parse_retry_after({"Retry-After": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert parse_retry_after({}) is None
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)


def test_mention_records():
    assert Mention("p53", "GENE").label == "GENE"
