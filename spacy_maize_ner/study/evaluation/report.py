"""Render `reports/results.md` from the metrics files written by the evaluate command.

The main table follows the layout of the reference study's Table 1 (one row per
pipeline: Precision, Recall, F1), with the best value of each column in bold and the
second best underlined. Per-label scores and F1 by entity length follow.
"""
import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import srsly

from .scoring import LENGTH_BUCKETS
from ...components.defaults import META_KEY


def load_metrics(metrics_dir: Path) -> List[Dict[str, Any]]:
    """Every `<pipeline>.json` in `metrics_dir`, sorted by pipeline name."""
    metrics_dir = Path(metrics_dir)
    paths = sorted(metrics_dir.glob("*.json"))
    if not paths:
        raise FileNotFoundError(
            f"No metrics files (*.json) in {metrics_dir}. Run the evaluate command first "
            "(spacy project run evaluate)."
        )
    rows = [srsly.read_json(path) for path in paths]
    for path, row in zip(paths, rows):
        row.setdefault("pipeline", path.stem)
    return rows


def rank_marks(values: Sequence[Optional[float]]) -> List[str]:
    """'best', 'second' or '' for each value; ties share a rank, None gets ''."""
    distinct = sorted({round(v, 6) for v in values if v is not None}, reverse=True)
    marks = []
    for v in values:
        if v is None:
            marks.append("")
        elif round(v, 6) == distinct[0]:
            marks.append("best")
        elif len(distinct) > 1 and round(v, 6) == distinct[1]:
            marks.append("second")
        else:
            marks.append("")
    return marks


def _cell(value: Optional[float], mark: str = "") -> str:
    if value is None:
        return "–"
    text = f"{100 * value:.2f}"
    if mark == "best":
        return f"**{text}**"
    if mark == "second":
        return f"<u>{text}</u>"
    return text


def _marked_table(header: List[str], names: List[str], columns: List[List[Optional[float]]]) -> List[str]:
    marks = [rank_marks(col) for col in columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * len(columns)) + "|"]
    for i, name in enumerate(names):
        cells = [_cell(col[i], mark[i]) for col, mark in zip(columns, marks)]
        lines.append("| " + " | ".join([name] + cells) + " |")
    return lines


def render_results(rows: List[Dict[str, Any]], *, corpus_meta: Optional[Dict[str, Any]] = None) -> str:
    """The Markdown report for a list of metrics dicts (see `evaluate_pipeline`)."""
    names = [row["pipeline"] for row in rows]
    data = sorted({row.get("data", "?") for row in rows})
    out = ["# Results", ""]
    if corpus_meta:
        out.append(
            f"Corpus: **{corpus_meta.get('corpus', '?')}**, evaluated on its "
            f"**{corpus_meta.get('eval_split', '?')}** split"
            + (f" ({corpus_meta['eval_note']})" if corpus_meta.get("eval_note") else "")
            + "."
        )
        out += provenance_lines(corpus_meta)
    out.append(f"Evaluation data: {', '.join(f'`{d}`' for d in data)}" + (
        " — **warning: pipelines were scored on different data, rows are not comparable**"
        if len(data) > 1 else ""
    ) + ".")
    out.append(
        "Scores are spaCy's strict entity scores (exact boundaries and label), in percent. "
        "Best value of each column in **bold**, second <u>underlined</u>."
    )
    out += ["", "## Table 1: entity recognition", ""]
    out += _marked_table(
        ["Model", "Precision", "Recall", "F1"],
        names,
        [[row.get("ents_p") for row in rows], [row.get("ents_r") for row in rows], [row.get("ents_f") for row in rows]],
    )
    labels = sorted({label for row in rows for label in (row.get("ents_per_type") or {})})
    if labels:
        out += ["", "## Per label", ""]
        for label in labels:
            per_type = [(row.get("ents_per_type") or {}).get(label, {}) for row in rows]
            out += [f"### {label}", ""]
            out += _marked_table(
                ["Model", "Precision", "Recall", "F1"],
                names,
                [[s.get("p") for s in per_type], [s.get("r") for s in per_type], [s.get("f") for s in per_type]],
            )
            out.append("")
    out += ["## F1 by entity length (tokens)", ""]
    by_length = [row.get("ents_by_length") or {} for row in rows]
    out += _marked_table(
        ["Model"] + [f"{b} token{'s' if b != '1' else ''}" for b in LENGTH_BUCKETS],
        names,
        [[bl.get(b, {}).get("f") for bl in by_length] for b in LENGTH_BUCKETS],
    )
    if by_length and by_length[0]:
        counts = ", ".join(f"{b}: {by_length[0].get(b, {}).get('gold', 0)}" for b in LENGTH_BUCKETS)
        out += ["", f"Gold entities per length bucket: {counts}."]
    out += regime_lines(rows)
    out += llm_lines(rows)  # issue 12

    out += peft_lines(rows)  # PEFT: Tables 2-4
    out += ["", "## Speed", "", "| Model | words/s (this machine, evaluation run) |", "|---|---:|"]
    for row in rows:
        wps = row.get("words_per_second")
        out.append(f"| {row['pipeline']} | {wps:,.0f} |" if wps else f"| {row['pipeline']} | – |")
    machines = sorted({row.get("machine", "?") for row in rows})
    out += [
        "",
        "Speeds come from separate evaluation runs; compare them only as rough figures "
        f"(machine: {'; '.join(machines)}). Benchmarks measure ratios side by side.",
        "",
        f"_Rendered {datetime.date.today().isoformat()} from {len(rows)} metrics file(s)._",
        "",
    ]
    return "\n".join(out)


def regime_lines(rows: List[Dict[str, Any]]) -> List[str]:
    """Encoder and training regime of each transformer row, with what the regime means."""
    trf = [row for row in rows if row.get(META_KEY)]
    if not trf:
        return []
    out = ["", "## Transformer pipelines: encoder and regime", "",
           "| Model | Encoder | Regime | Head | Budget | Train s |", "|---|---|---|---|---|---:|"]
    reduced = False
    for row in trf:
        info = row[META_KEY]
        seconds = info.get("train_seconds")
        budget, is_reduced = budget_text(info.get("budget") or {}, info.get("regime"))
        reduced = reduced or is_reduced
        out.append(f"| {row['pipeline']} | `{info.get('encoder', '?')}` | {info.get('regime', '?')} | "
                   f"{info.get('head', 'transition')} | {budget} | "
                   + (f"{seconds:,.0f}" if seconds is not None else "–") + " |")
    described = {row[META_KEY].get("regime"): row[META_KEY].get("regime_description", "") for row in trf}
    out += [""] + [f"- **{name}**: {text}" for name, text in sorted(described.items()) if name]
    if reduced:
        out += ["", "**Reduced training budget.** Some transformer rows were trained on a step budget or a "
                "subset of the training sentences (for example `make demo`). Their scores show that the "
                "pipeline learns, not what it reaches: the study's figures are trained with the config's "
                "epoch budget (see benchmarks/RESULTS.md)."]
    return out


def budget_text(budget: Dict[str, Any], regime: Optional[str]) -> "tuple[str, bool]":
    """How long a transformer row trained, and whether that is less than the config's epochs."""
    if regime == "none":
        return "no update", False
    steps, epochs, limit = budget.get("max_steps", 0), budget.get("max_epochs", 0), budget.get("train_limit", 0)
    if not budget:
        return "?", False
    text = f"{steps:,} steps" if steps else f"up to {epochs} epochs"
    if limit:
        text += f" on {limit:,} training docs"
    return text, bool(steps or limit)


def provenance_lines(corpus_meta: Dict[str, Any]) -> List[str]:
    """Which splits are gold (human) or silver (machine) annotations, and what that means."""
    provenance = corpus_meta.get("provenance") or {}
    if not provenance:
        return []
    parts = [f"{split} **{p.get('annotation', 'unknown')}** ({p.get('source', '?')})" for split, p in provenance.items()]
    lines = ["Annotations: " + "; ".join(parts) + "."]
    eval_kind = (provenance.get(corpus_meta.get("eval_split", "")) or {}).get("annotation")
    if eval_kind == "silver":
        lines.append(
            "**The evaluation split is silver** (machine annotations): these scores measure agreement "
            "with the tagger that made them (PubTator3), not with human annotators."
        )
    return lines


# --- issue 12: LLM pipelines -------------------------------------------------------------
def llm_lines(rows: List[Dict[str, Any]]) -> List[str]:
    """Table 5 of the reference study: LLM rows with F1, answers parsed, tokens, seconds and
    price per 1,000 words, and their time relative to the encoder pipelines' evaluation runs."""
    llm = [row for row in rows if row.get("llm")]
    if not llm:
        return []
    encoders = [row for row in rows if row.get(META_KEY) and row.get("words_per_second")]
    enc_s = min((1000.0 / row["words_per_second"] for row in encoders), default=None)
    out = ["", "## Table 5: LLM pipelines (zero- and few-shot)", "",
           "| Model | Shots | API | Docs | Precision | Recall | F1 | Parsed % | Tokens / 1k words | Seconds / 1k words "
           "| Price / 1k words | Answers without usage | × encoder time |",
           "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    f_marks = rank_marks([row.get("ents_f") for row in llm])
    for row, mark in zip(llm, f_marks):
        info = row["llm"]
        cost, answers = info.get("cost") or {}, info.get("answers") or {}
        parsed = answers.get("share_parsed")
        price = cost.get("price_per_1k_words")
        currency = cost.get("currency") or ""
        seconds = cost.get("seconds_per_1k_words")
        ratio = f"{seconds / enc_s:,.0f}×" if enc_s and seconds and not cost.get("cache_hits") else "–"
        no_usage = cost.get("answers_without_usage", 0)
        at_least = "≥ " if no_usage else ""  # answers without usage: tokens and price are lower bounds
        if not currency:
            price_cell = "–"
        elif price is None:
            price_cell = "unknown"
        else:
            price_cell = f"{at_least}{price:.4f} {currency}"
        out.append(
            f"| {row['pipeline']} | {info.get('shots', info.get('task', {}).get('examples', 0))} | {info.get('api', '?')} "
            f"| {row.get('documents', '?')} | {_cell(row.get('ents_p'))} | {_cell(row.get('ents_r'))} "
            f"| {_cell(row.get('ents_f'), mark)} | {'–' if parsed is None else f'{100 * parsed:.1f}'} "
            f"| {at_least}{cost.get('tokens_per_1k_words', 0):,.0f} | {'–' if seconds is None else f'{seconds:,.1f}'} "
            f"| {price_cell} | {no_usage} | {ratio} |"
        )
    hits = [row["pipeline"] for row in llm if (row["llm"].get("cost") or {}).get("cache_hits")]
    out += ["",
            "Tokens are prompt plus completion tokens as the server counted them, for every answer scored, "
            "whether it was asked in this run or read from the response cache (each cache entry keeps its usage; "
            "the metrics file has what the run itself spent, run_*); ≥: some answers came without usage, so "
            "tokens and price are lower bounds. Seconds are wall time of the "
            "run (waiting for the server included); price is the config's price table applied to the tokens "
            "(– for a local model; unknown where the config's price was not checked). Parsed %: answers read in a known shape (malformed, empty, truncated and "
            "failed ones are counted in the metrics file). × encoder time: seconds per 1k words relative to the "
            "fastest transformer pipeline's evaluation run (separate runs; benchmarks/RESULTS.md has the ratio "
            "measured side by side on the same sentences)."]
    if hits:
        out.append(f"Rows answered partly from the response cache (their seconds are not a timing): {', '.join(hits)}.")
    return out
# --- end issue 12

# --- PEFT: Tables 2-4 (spacy_maize_ner/peft) ----------------------------------------------
PEFT_TABLES = (
    ("lora", "Table 2: LoRA", "rank r"),
    ("prompt", "Table 3: prompt tuning", "virtual tokens"),
    ("prefix", "Table 4: prefix tuning (P-tuning v2)", "virtual tokens per layer"),
)


def _peft_setting(info: Dict[str, Any]) -> str:
    settings = (info.get("peft") or {}).get("settings") or {}
    if info.get("regime") == "lora":
        return f"r = {settings.get('r', '?')}"
    return f"{settings.get('num_virtual_tokens', '?')} tokens"


def _setting_value(row: Dict[str, Any]) -> int:
    settings = (row[META_KEY].get("peft") or {}).get("settings") or {}
    return int(settings.get("r") or settings.get("num_virtual_tokens") or 0)


def _seconds_per_epoch(info: Dict[str, Any]) -> Optional[float]:
    budget = info.get("budget") or {}
    seconds = info.get("train_seconds")
    if seconds is None or budget.get("max_steps") or not budget.get("max_epochs"):
        return None
    return seconds / budget["max_epochs"]


def _fmt(value: Optional[float], fmt: str, mark: str) -> str:
    if value is None:
        return "–"
    text = format(value, fmt)
    return f"**{text}**" if mark == "best" else f"<u>{text}</u>" if mark == "second" else text


def peft_lines(rows: List[Dict[str, Any]]) -> List[str]:
    """Tables 2-4 of the reference study: one per PEFT method and encoder.

    Each table lists the method's settings (and the encoder's `full` row for reference)
    with trainable parameters (count, % of the encoder), artifact size, seconds per epoch
    and P/R/F. Best of each column in bold, second underlined: highest for P/R/F, lowest
    for parameters, size and time.
    """
    trf = [row for row in rows if row.get(META_KEY)]
    peft_rows = [row for row in trf if (row[META_KEY].get("peft") or {}).get("method")]
    if not peft_rows:
        return []
    out = ["", "## Parameter-efficient fine-tuning", "",
           "Trainable: the adapter or prompt parameters the optimizer updates (the NER head's come on top "
           "and are the same for every row); % of the encoder's own parameters. Artifact: the saved "
           "pipeline folder (adapter-only for PEFT rows: adapter weights plus a reference to the base "
           "encoder). s/epoch: training seconds per epoch including evaluations (– for step budgets)."]
    for method, title, setting_name in PEFT_TABLES:
        by_encoder: Dict[str, List[Dict[str, Any]]] = {}
        for row in peft_rows:
            if row[META_KEY]["peft"]["method"] == method:
                by_encoder.setdefault(str(row[META_KEY].get("encoder", "?")), []).append(row)
        for encoder, members in sorted(by_encoder.items()):
            members.sort(key=_setting_value)
            full = [r for r in trf if r[META_KEY].get("regime") == "full" and str(r[META_KEY].get("encoder")) == encoder
                    and r[META_KEY].get("head") == members[0][META_KEY].get("head")]
            table = members + full[:1]
            names = [f"{r['pipeline']} ({_peft_setting(r['maize_ner'])})" if r in members else f"{r['pipeline']} (full fine-tuning)"
                     for r in table]
            peft_info = [r[META_KEY].get("peft") or {} for r in table]
            columns = [
                # full fine-tuning trains every encoder parameter (the count the PEFT rows report)
                ("Trainable", [p.get("trainable") if p else members[0][META_KEY]["peft"].get("encoder") for p in peft_info],
                 ",.0f", -1),
                ("% of encoder", [p.get("percent") if p else (100.0 if r in full else None) for p, r in zip(peft_info, table)], ".3f", -1),
                ("Artifact MB", [(p.get("artifact_bytes") or r[META_KEY].get("artifact_bytes")) / 2**20
                                 if (p.get("artifact_bytes") or r[META_KEY].get("artifact_bytes")) else None
                                 for p, r in zip(peft_info, table)], ",.1f", -1),
                ("s/epoch", [_seconds_per_epoch(r[META_KEY]) for r in table], ",.0f", -1),
                ("P", [100 * r["ents_p"] if r.get("ents_p") is not None else None for r in table], ".2f", 1),
                ("R", [100 * r["ents_r"] if r.get("ents_r") is not None else None for r in table], ".2f", 1),
                ("F1", [100 * r["ents_f"] if r.get("ents_f") is not None else None for r in table], ".2f", 1),
            ]
            full_f = full[0].get("ents_f") if full else None
            out += ["", f"### {title} — encoder `{encoder}` ({setting_name})", "",
                    "| Model | " + " | ".join(c[0] for c in columns) + (" | F1 / full |" if full_f else " |"),
                    "|---|" + "---:|" * (len(columns) + (1 if full_f else 0))]
            marks = [rank_marks([None if v is None else sign * v for v in values]) for _, values, _, sign in columns]
            for i, name in enumerate(names):
                cells = [_fmt(values[i], fmt, mark[i]) for (_, values, fmt, _), mark in zip(columns, marks)]
                if full_f:
                    f = table[i].get("ents_f")
                    cells.append(f"{f / full_f:.2f}" if f is not None and full_f else "–")
                out.append("| " + " | ".join([name] + cells) + " |")
    return out
# --- end PEFT ---
