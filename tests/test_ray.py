"""`annotate --ray` on a local Ray instance: same output as one process, restartable.

Skipped when Ray is not installed (it is part of `make test`: the `ray` extra).
"""
import os

import pytest
import srsly

from spacy_maize_ner.annotate import annotate_files
from synthetic import maize_sentences

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'spacy-maize-ner[ray]' to run the Ray tests")

# A local Ray instance and its actors (spaCy loaded in each): `make test-slow`. The single-process
# path that Ray's output is compared with is tests/test_annotate.py.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray():
    os.environ.setdefault("RAY_worker_niceness", "0")  # workers at the test's priority, not 15 below it
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False, object_store_memory=128 * 1024 * 1024)
    yield
    ray.shutdown()


def write_shards(folder, n_shards=3, n=40):
    shards = []
    for i in range(n_shards):
        path = folder / f"shard{i}.jsonl"
        rows = [{"id": f"s{i}-{j}", "text": " ".join(w)} for j, (w, _) in enumerate(maize_sentences(n, seed=10 + i))]
        if i == 1:
            rows.insert(3, {"id": "broken", "text": None})  # a malformed record in a shard
        srsly.write_jsonl(path, rows)
        shards.append(path)
    return shards


def test_ray_annotation_equals_single_process_and_restarts(crf_model, tmp_path, local_ray):
    from spacy_maize_ner.annotate.distributed import annotate_on_ray

    shards = write_shards(tmp_path)
    single = tmp_path / "single.jsonl"
    annotate_files(crf_model, shards, single, progress=False)
    out = tmp_path / "ray-out"
    manifest = annotate_on_ray(crf_model, shards, out, output_format="jsonl", workers=2, progress=False)
    joined = b"".join((out / f"shard{i}.jsonl").read_bytes() for i in range(3))
    assert joined == single.read_bytes()
    assert manifest["complete"] and manifest["totals"]["records_annotated"] == 120
    assert manifest["totals"]["records_skipped"] == 1
    assert 1 <= len(manifest["per_worker"]) <= 2  # at most two actors (a slow-starting one may get no shard)
    assert all(entry["status"] == "done" for entry in manifest["shards"].values())
    # Restart: finished shards are not redone; a shard whose output is gone is.
    before = {k: v["worker"] for k, v in manifest["shards"].items()}
    (out / "shard2.jsonl").unlink()
    again = annotate_on_ray(crf_model, shards, out, output_format="jsonl", workers=2, progress=False)
    redone = [k for k, v in again["shards"].items() if v["worker"] != before[k]]
    assert [k.rsplit("/", 1)[-1] for k in redone] == ["shard2.jsonl"]
    assert b"".join((out / f"shard{i}.jsonl").read_bytes() for i in range(3)) == single.read_bytes()
    noop = annotate_on_ray(crf_model, shards, out, output_format="jsonl", workers=2, progress=False)
    assert {k: v["worker"] for k, v in noop["shards"].items()} == {k: v["worker"] for k, v in again["shards"].items()}
