"""Tables 2-4 of the report: one per PEFT method and encoder, best bold, second underlined."""
from spacy_maize_ner.study.evaluation.report import render_results


def row(name, regime, settings, f, trainable=None, encoder="assets/encoders/minilm", steps=0):
    info = {"regime": regime, "encoder": encoder, "head": "token", "train_seconds": 120.0,
            "budget": {"max_steps": steps, "max_epochs": 2, "train_limit": 0}, "artifact_bytes": 90 * 2**20}
    if regime != "full":
        info["peft"] = {"method": regime, "settings": settings, "trainable": trainable, "encoder": 22_000_000,
                        "percent": 100 * trainable / 22_000_000, "artifact_bytes": 2**20}
    return {"pipeline": name, "ents_p": f, "ents_r": f, "ents_f": f, "maize_ner": info, "data": "dev.spacy"}


def test_tables_per_method_and_encoder_with_marks_and_ratio():
    rows = [row("minilm-lora-r4", "lora", {"r": 4}, 0.70, 100_000), row("minilm-lora-r8", "lora", {"r": 8}, 0.72, 200_000),
            row("minilm-lora-r16", "lora", {"r": 16}, 0.71, 400_000), row("minilm-full", "full", None, 0.80),
            row("minilm-prompt-n50", "prompt", {"num_virtual_tokens": 50}, 0.30, 19_200),
            row("dapt-lora-r8", "lora", {"r": 8}, 0.75, 200_000, encoder="training/encoders/minilm-dapt", steps=30)]
    text = render_results(rows)
    assert "### Table 2: LoRA — encoder `assets/encoders/minilm`" in text
    assert "### Table 2: LoRA — encoder `training/encoders/minilm-dapt`" in text
    assert "### Table 3: prompt tuning — encoder `assets/encoders/minilm`" in text
    assert "Table 4" not in text  # no prefix rows
    table = text.split("### Table 2: LoRA — encoder `assets/encoders/minilm`")[1].split("###")[0]
    lines = [line for line in table.splitlines() if line.startswith("| minilm")]
    assert [line.split(" (")[0] for line in lines] == ["| minilm-lora-r4", "| minilm-lora-r8", "| minilm-lora-r16", "| minilm-full"]
    r4, r8, r16, full = lines
    assert "**100,000**" in r4 and "<u>200,000</u>" in r8  # fewest trainable parameters best
    assert "<u>72.00</u>" in r8 and "**80.00**" in full  # F1: full best, r=8 second
    assert r8.endswith("| 0.90 |")  # F1 / full
    assert "| 22,000,000 |" in full and "| 100.000 |" in full
    dapt = text.split("encoder `training/encoders/minilm-dapt`")[1].split("###")[0]
    assert "| – |" in dapt  # step budget: no seconds per epoch
