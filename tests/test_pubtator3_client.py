"""The PubTator3 client against a local scripted server: batching, rate, retries, cache, resume."""
import pytest

from pubtator_server import PubTatorServer, block
from spacy_maize_ner.pubtator3.cache import BatchCache, batch_key
from spacy_maize_ner.pubtator3.client import PubTator3Client, batches, check_export
from spacy_maize_ner.pubtator3.pmids import parse_pmids
from spacy_maize_ner.pubtator3.ratelimit import RateLimiter
from spacy_maize_ner.pubtator3.transport import IncompleteResponse, TransportError

PMIDS = [str(1000 + i) for i in range(25)]
FAST = dict(rate=200.0, timeout=2.0, max_retries=3, backoff=0.01, max_backoff=0.05, progress=False)


@pytest.fixture
def server():
    with PubTatorServer({p: block(p) for p in PMIDS}) as srv:
        yield srv


def client(srv, tmp_path=None, **kwargs):
    options = {**FAST, "batch_size": 10, **kwargs}
    return PubTator3Client(srv.url, cache_dir=tmp_path, **options)


def test_batches_of_at_most_100_and_missing_pmids(server):
    asked = PMIDS + ["5", "6"]  # 5 and 6 are unknown to the server
    result = client(server, batch_size=10).export(asked + ["1000"])  # a duplicate is asked once
    sent = [r.pmids for r in server.export_requests()]
    assert [len(b) for b in sent] == [10, 10, 7] and sum(sent, []) == asked
    s = result.summary
    assert (s["requested"], s["received"], s["missing"], s["duplicates_in_input"]) == (27, 25, ["5", "6"], 1)
    assert [d.pmid for d in result.documents] == PMIDS
    with pytest.raises(ValueError, match="1 to 100"):
        batches(PMIDS, 101)


def test_rate_limit_respected_by_server_timestamps(server):
    rate = 8.0
    client(server, rate=rate, batch_size=4).export(PMIDS)  # 7 requests
    times = [r.time for r in server.export_requests()]
    assert len(times) == 7
    for i in range(len(times)):
        for k in range(1, len(times) - i):
            # k intervals span at least k / rate (slack: 30% of one interval, for thread scheduling)
            assert times[i + k] - times[i] >= k / rate - 0.3 / rate, (i, k, times)


def test_rate_limiter_spaces_starts_with_a_fake_clock():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(3.0, clock=lambda: now[0], sleep=sleep)
    starts = [limiter.wait() for _ in range(4)]
    assert starts == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])
    now[0] += 5.0  # idle time is not saved up
    assert limiter.wait() == pytest.approx(6.0) and limiter.wait() == pytest.approx(6.0 + 1 / 3)
    with pytest.raises(ValueError, match="> 0"):
        RateLimiter(0)


@pytest.mark.parametrize(
    "actions,outcome",
    [
        ([("status", 429, 0)], "http 429"),
        ([("status", 500), ("status", 503)], "http 500"),
        ([("sleep", 1.0)], "timeout"),
        ([("short_body",)], "truncated body"),
        ([("cut_mid_line",)], "incomplete response"),
    ],
)
def test_retried_failures_end_in_the_same_documents(server, tmp_path, actions, outcome):
    server.script.extend(actions)
    c = client(server, tmp_path / "cache", timeout=0.3)
    result = c.export(PMIDS[:10])
    assert [d.pmid for d in result.documents] == PMIDS[:10]
    assert any(k.startswith(outcome) for k in result.summary["retries"]), result.summary["retries"]
    assert result.summary["requests"] == len(actions) + 1
    cached = BatchCache(tmp_path / "cache").get(batch_key(PMIDS[:10], ["Gene"]))
    assert cached == "".join(block(p) for p in PMIDS[:10])  # only the complete response is cached


def test_client_error_is_not_retried(server):
    server.script.append(("status", 404))
    with pytest.raises(TransportError, match="HTTP 404.*not retried"):
        client(server).export(PMIDS[:3])
    assert len(server.export_requests()) == 1


def test_interrupted_export_resumes_without_refetching(server, tmp_path):
    with PubTatorServer({p: block(p) for p in PMIDS}) as clean_server:
        clean = client(clean_server).export(PMIDS)  # no cache: the reference
    cache = tmp_path / "cache"
    # batch 2 fails on every try (1 + 3 retries): the export stops after batch 1
    server.script.extend([None] + [("status", 503)] * 4)
    with pytest.raises(TransportError, match="run the same command again"):
        client(server, cache).export(PMIDS)
    assert len(list(cache.glob("*.pubtator"))) == 1 and not list(cache.glob(".tmp-*"))
    resumed = client(server, cache).export(PMIDS)
    assert resumed.summary["batches_cached"] == 1 and resumed.summary["batches_fetched"] == 2
    assert resumed.documents == clean.documents
    ok = [tuple(r.pmids) for r in server.export_requests() if r.action is None]
    assert len(ok) == 3 and len(set(ok)) == 3  # each batch answered exactly once
    again = client(server, cache).export(PMIDS)  # everything cached now: no request at all
    n_requests = len(server.export_requests())
    assert again.summary["batches_cached"] == 3 and again.documents == clean.documents
    assert len(server.export_requests()) == n_requests


def test_cache_write_is_atomic(tmp_path, monkeypatch):
    cache = BatchCache(tmp_path)
    monkeypatch.setattr("os.replace", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        cache.put("k", "1|t|x\n")
    assert list(tmp_path.iterdir()) == [] and "k" not in cache


def test_cache_key_ignores_order_but_not_types():
    assert batch_key(["2", "1"], ["Gene"]) == batch_key(["1", "2"], ["Gene"])
    assert batch_key(["1", "2"], ["Gene"]) != batch_key(["1", "2"], ["Gene", "Species"])


@pytest.mark.parametrize(
    "body,problem",
    [
        ("1|t|Title\n1|a|Abstract cut mid", "ends mid-line"),
        ("1|t|Title only\n", "no abstract line"),
        ("1|t|T\n1|a|A\n1\t0\t1\tT\n\n", "unreadable annotation"),
        ("<html>busy</html>\n", "not PubTator"),
    ],
)
def test_check_export_rejects_cut_responses(body, problem):
    with pytest.raises(IncompleteResponse, match=problem):
        check_export(body)


def test_check_export_accepts_empty_and_complete():
    assert check_export("") == []
    assert [d.pmid for d in check_export(block("7"))] == ["7"]


def test_search_pages(tmp_path):
    results = [str(2000 + i) for i in range(23)]
    with PubTatorServer({}, search_results=results) as srv:
        c = PubTator3Client(srv.url, **FAST)
        assert c.search("maize flowering") == results
        assert len(srv.log) == 3 and "text=maize%20flowering" in srv.log[0].path
        assert c.search("maize flowering", max_pages=1) == results[:10]


def test_parse_pmids():
    assert parse_pmids(["# maize", "1, 2", "3\t2", ""]) == ["1", "2", "3"]
    with pytest.raises(ValueError, match="line 1|:1:.*not a PMID"):
        parse_pmids(["PMC123"], source="list.txt")
