from spacy_maize_ner.study.evaluation.report import rank_marks, render_results


def row(name, p, r, f):
    return {
        "pipeline": name,
        "data": "corpus/dev.spacy",
        "ents_p": p,
        "ents_r": r,
        "ents_f": f,
        "ents_per_type": {"GENE": {"p": p, "r": r, "f": f}},
        "ents_by_length": {b: {"p": f, "r": f, "f": f, "gold": 3, "predicted": 3} for b in ("1", "2", ">=3")},
        "words_per_second": 1000.0,
        "machine": "test",
    }


def test_rank_marks_best_second_and_ties():
    assert rank_marks([0.5, 0.9, 0.7]) == ["", "best", "second"]
    assert rank_marks([0.9, 0.9, 0.7]) == ["best", "best", "second"]
    assert rank_marks([None, 0.1]) == ["", "best"]


def test_table_one_marks_best_bold_second_underlined():
    text = render_results([row("crf", 0.8, 0.7, 0.75), row("hmm", 0.6, 0.75, 0.66), row("majority", 0.0, 0.0, 0.0)])
    table = text.split("## Table 1")[1].split("##")[0]
    lines = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| ") and "Model" not in line}
    assert "**80.00**" in lines["crf"] and "<u>70.00</u>" in lines["crf"] and "**75.00**" in lines["crf"]
    assert "<u>60.00</u>" in lines["hmm"] and "**75.00**" in lines["hmm"] and "<u>66.00</u>" in lines["hmm"]
    assert "**" not in lines["majority"] and "<u>" not in lines["majority"]
    assert "### GENE" in text and "F1 by entity length" in text


def test_report_warns_when_rows_use_different_data():
    a, b = row("crf", 0.8, 0.7, 0.75), row("hmm", 0.6, 0.75, 0.66)
    b["data"] = "other/dev.spacy"
    assert "not comparable" in render_results([a, b])


def test_report_defines_each_transformer_regime():
    none = row("minilm-none", 0.0, 0.0, 0.0)
    none["maize_ner"] = {"encoder": "assets/encoders/minilm", "regime": "none", "train_seconds": 3.0,
                         "regime_description": "Pretrained encoder and a freshly initialised NER head; no update at all."}
    text = render_results([row("crf", 0.8, 0.7, 0.75), none])
    section = text.split("## Transformer pipelines")[1].split("## Speed")[0]
    assert "| minilm-none | `assets/encoders/minilm` | none | transition | no update | 3 |" in section
    assert "- **none**: Pretrained encoder and a freshly initialised NER head" in section
    assert "## Transformer pipelines" not in render_results([row("crf", 0.8, 0.7, 0.75)])
