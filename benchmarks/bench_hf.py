"""Hugging Face references for the transformer benchmark (BC2GM train -> devel).

    python benchmarks/bench_hf.py finetune --encoder assets/encoders/minilm   # plain HF fine-tune
    python benchmarks/bench_hf.py speed training/benchmarks/bc2gm/trf-minilm-full-s0/model-best

`finetune`: a plain AutoModelForTokenClassification fine-tune (first-subword labels, AdamW,
batch 32, linear warmup/decay, one epoch by default), the baseline the spaCy `full` regime
is compared against at the same epoch budget. Its predictions are set as `doc.ents` by a
small spaCy component, so it is scored by the same evaluate_pipeline on the same DocBin.

`speed`: inference words/s of a spaCy pipeline and of a Hugging Face
`pipeline("token-classification")` built from the *same* fine-tuned encoder (the
pipeline's own weights, with a token-classification head of the same label count), on
the same dev texts, alternated in one process; the ratio spaCy / HF is the metric
`speed_ratio_vs_hf`.
"""
import datetime
import json
import sys
import time
from pathlib import Path
from typing import Dict, List

import typer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from bench_transformers import WORK  # noqa: E402
from rows import merge_rows, peak_rss_mb  # noqa: E402

CORPUS = WORK / "bc2gm" / "corpus"
app = typer.Typer(add_completion=False)


def _docs(split: str):
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    return list(DocBin().from_disk(CORPUS / f"{split}.spacy").get_docs(nlp.vocab))


def _word_labels(doc) -> List[str]:
    return [f"{t.ent_iob_}-{t.ent_type_}" if t.ent_iob_ in ("B", "I") else "O" for t in doc]


def _encode(tokenizer, docs, label_ids: Dict[str, int], max_length: int = 256):
    import torch

    enc = tokenizer([[t.text for t in d] for d in docs], is_split_into_words=True, truncation=True,
                    max_length=max_length, padding=True, return_tensors="pt")
    labels = torch.full(enc["input_ids"].shape, -100, dtype=torch.long)
    for i, doc in enumerate(docs):
        tags, previous = _word_labels(doc), None
        for j, word in enumerate(enc.word_ids(i)):
            if word is not None and word != previous:
                labels[i, j] = label_ids[tags[word]]
            previous = word
    return enc, labels


def _hf_component(model, tokenizer, labels: List[str]):
    """A spaCy component setting doc.ents from the HF model's first-subword predictions."""
    import torch
    from spacy.language import Language
    from spacy.training import iob_to_biluo, biluo_tags_to_spans

    def component(doc):
        if not len(doc):
            return doc
        enc, _ = _encode(tokenizer, [doc], {label: 0 for label in labels} | {"O": 0})
        with torch.no_grad():
            predicted = model(**{k: v for k, v in enc.items() if k != "offset_mapping"}).logits[0].argmax(-1).tolist()
        tags, previous = ["O"] * len(doc), None
        for j, word in enumerate(enc.word_ids(0)):
            if word is not None and word != previous:
                tags[word] = labels[predicted[j]]
            previous = word
        fixed = [("B" + t[1:] if t.startswith("I-") and (i == 0 or tags[i - 1][2:] != t[2:]) else t) for i, t in enumerate(tags)]
        doc.ents = biluo_tags_to_spans(doc, iob_to_biluo(fixed))
        return doc

    Language.component("bench_hf_token_classifier", func=component)
    return "bench_hf_token_classifier"


@app.command()
def finetune(
    encoder: Path = typer.Option(ROOT / "assets" / "encoders" / "minilm", help="Encoder folder"),
    epochs: int = typer.Option(1), batch_size: int = typer.Option(32), lr: float = typer.Option(1e-4),
    seed: int = typer.Option(0), results: Path = typer.Option(HERE / "results" / "transformers.json"),
    limit: int = typer.Option(0, help="Only the first N training docs, for a smoke run (0: all; rows not saved)"),
) -> None:
    import spacy
    import torch
    from tqdm import tqdm
    from transformers import AutoModelForTokenClassification, AutoTokenizer, get_linear_schedule_with_warmup

    from spacy_maize_ner.study.evaluation.scoring import evaluate_pipeline, machine_description
    from spacy_maize_ner.study.runs import RunId, encoder_short_name

    torch.manual_seed(seed)
    train = _docs("train")[: limit or None]
    labels = ["O"] + sorted({lab for d in train for lab in _word_labels(d) if lab != "O"})
    label_ids = {lab: i for i, lab in enumerate(labels)}
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    model = AutoModelForTokenClassification.from_pretrained(encoder, num_labels=len(labels))
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * ((len(train) + batch_size - 1) // batch_size)
    scheduler = get_linear_schedule_with_warmup(optimizer, steps // 10, steps)
    order = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    model.train()
    with tqdm(total=steps, desc="HF fine-tune") as bar:
        for _ in range(epochs):
            perm = torch.randperm(len(train), generator=order).tolist()
            for i in range(0, len(train), batch_size):
                enc, y = _encode(tokenizer, [train[j] for j in perm[i : i + batch_size]], label_ids)
                loss = model(**enc, labels=y).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}")
    train_seconds = time.perf_counter() - start
    model.eval()
    run = RunId(family="hf", encoder=encoder_short_name(encoder), seed=seed)
    out = WORK / "bc2gm" / run.folder
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "spacy_maize_ner.BioTokenizer.v1"}}})
    nlp.add_pipe(_hf_component(model, tokenizer, labels))
    metrics = evaluate_pipeline(nlp, CORPUS / "dev.spacy", name=out.name, model_path=str(out))
    values = {"ents_p": metrics["ents_p"], "ents_r": metrics["ents_r"], "ents_f": metrics["ents_f"],
              "train_seconds": train_seconds, "seconds_per_epoch": train_seconds / epochs,
              "peak_rss_mb": peak_rss_mb()}
    common = {"pipeline": run.name, "encoder": run.encoder, "regime": "hf-full",
              "params": {"epochs": epochs, "batch_size": batch_size, "learn_rate": lr, "labels": "first subword"},
              "data": "bc2gm", "split": "dev", "seed": seed, "machine": machine_description(),
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "command": f"python benchmarks/bench_hf.py finetune --encoder {encoder} --epochs {epochs} --seed {seed}"}
    if not limit:
        merge_rows(results, [dict(common, metric=k, value=v) for k, v in values.items()])
    print(json.dumps(values, indent=1))


@app.command()
def speed(
    model: Path = typer.Argument(..., help="A trained spaCy transformer pipeline (model-best)"),
    rounds: int = typer.Option(2), batch_size: int = typer.Option(32),
    limit: int = typer.Option(0, help="Only the first N dev texts (0: all)"),
    results: Path = typer.Option(HERE / "results" / "transformers.json"),
) -> None:
    import spacy
    import srsly
    import torch
    from transformers import AutoModelForTokenClassification, pipeline

    from spacy_maize_ner.study.evaluation.scoring import machine_description
    from spacy_maize_ner.study.runs import encoder_short_name, pipeline_name_from_path, seed_group

    nlp = spacy.load(model)
    trf = nlp.get_pipe("transformer").model
    n_labels = len(nlp.get_pipe("ner").move_names)
    settings = {k: v for k, v in trf.transformer.config.to_dict().items() if k not in ("id2label", "label2id")}
    config = trf.transformer.config.__class__.from_dict({**settings, "num_labels": n_labels})
    hf_model = AutoModelForTokenClassification.from_config(config)
    # The token-classification model has no pooler; every other weight is the pipeline's.
    state = {k: v for k, v in trf.transformer.state_dict().items() if not k.startswith("pooler.")}
    hf_model.base_model.load_state_dict(state, strict=True)
    hf_model.eval()
    hf = pipeline("token-classification", model=hf_model, tokenizer=trf.tokenizer, aggregation_strategy="simple", device=-1)
    dev = _docs("dev")[: limit or None]
    texts = [d.text for d in dev]
    n_words = sum(len(d) for d in dev)
    best = {"spacy": 0.0, "hf": 0.0}
    for _ in range(rounds):
        with torch.no_grad():
            start = time.perf_counter()
            for _doc in nlp.pipe(texts, batch_size=batch_size):
                pass
            best["spacy"] = max(best["spacy"], n_words / (time.perf_counter() - start))
            start = time.perf_counter()
            for _out in hf(texts, batch_size=batch_size):
                pass
            best["hf"] = max(best["hf"], n_words / (time.perf_counter() - start))
        print(json.dumps(best))
    from spacy_maize_ner.components.defaults import META_KEY

    meta = srsly.read_json(model / "meta.json").get(META_KEY, {})
    values = {"spacy_words_per_second": best["spacy"], "hf_words_per_second": best["hf"],
              "speed_ratio_vs_hf": best["spacy"] / best["hf"]}
    name = seed_group(pipeline_name_from_path(model))[0]
    common = {"pipeline": name, "encoder": encoder_short_name(meta.get("encoder", "?")), "regime": meta.get("regime"),
              "params": {"texts": len(texts), "words": n_words, "batch_size": batch_size, "rounds": rounds,
                         "torch_threads": torch.get_num_threads(), "hf": "pipeline('token-classification', aggregation_strategy='simple')"},
              "data": "bc2gm", "split": "dev", "seed": 0, "machine": machine_description(),
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "command": f"python benchmarks/bench_hf.py speed {model}"}
    if not limit:
        merge_rows(results, [dict(common, metric=k, value=v) for k, v in values.items()])
    print(json.dumps(values, indent=1))


if __name__ == "__main__":
    app()
