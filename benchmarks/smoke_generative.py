"""Smoke run of the generative tagger on a real decoder: tag tokens, cost per update, cost per word.

Loads the decoder folder, checks that its tokenizer gives each tag text its own first token,
times `--steps` LoRA updates on batches of BC2GM train (configs/generative.cfg's batcher:
1,000 padded words) and constrained decoding of `--sentences` dev sentences, and prints one
JSON object (also written to --out). Not a score: a few updates teach nothing; it measures
what a point on the learning curve will cost (issue 26, item 3).

    OMP_NUM_THREADS=1 taskset -c 1 python benchmarks/smoke_generative.py --decoder assets/decoders/gemma3-270m \\
        --corpus training/benchmarks/bc2gm/corpus --steps 4 --sentences 20
"""
import json
import platform
import resource
import sys
import time
from pathlib import Path

import typer

ROOT = Path(__file__).resolve().parents[1]


def main(decoder: Path = typer.Option(...), corpus: Path = typer.Option(...), steps: int = 4, sentences: int = 20,
         out: Path = typer.Option(None), threads: int = 1,
         tag_texts: str = typer.Option("", help='JSON {"O": "O", "B-GENE": "B", "I-GENE": "I"} (default: the config\'s)')) -> None:
    import spacy
    import torch
    from spacy.tokens import DocBin
    from spacy.training import Example
    from thinc.api import Config

    from spacy_maize_ner.study.training.epochs import batcher_from_config

    torch.set_num_threads(threads)
    config = Config().from_disk(ROOT / "configs" / "generative.cfg", overrides={"paths.encoder": str(decoder),
                                                                                 **({"components.ner.tag_texts": json.loads(tag_texts)} if tag_texts else {})})
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)  # BioTokenizer and the component
    train_docs = list(DocBin().from_disk(corpus / "train.spacy").get_docs(nlp.vocab))
    dev_docs = list(DocBin().from_disk(corpus / "dev.spacy").get_docs(nlp.vocab))[:sentences]
    examples = [Example(nlp.make_doc(d.text), d) for d in train_docs[:2000]]
    start = time.perf_counter()
    nlp.initialize(lambda: examples[:50])
    optimizer = spacy.util.registry.resolve({"optimizer": config["training"]["optimizer"]})["optimizer"]
    load_seconds = time.perf_counter() - start
    ner = nlp.get_pipe("ner")
    tag_pieces = {t: ner.tokenizer.convert_ids_to_tokens([i])[0] for t, i in zip(ner.vocabulary.tags, ner.vocabulary.ids)}
    batcher = batcher_from_config(ROOT / "configs" / "generative.cfg", {})
    batches = [b for b, _ in zip(batcher(examples), range(steps))]
    step_seconds, losses = [], []
    for batch in batches:
        t = time.perf_counter()
        losses.append(nlp.update(batch, sgd=optimizer)["ner"])
        step_seconds.append(time.perf_counter() - t)
    words = sum(len(d) for d in dev_docs)
    t = time.perf_counter()
    list(nlp.pipe([d.text for d in dev_docs]))
    decode_seconds = time.perf_counter() - t
    trainable = sum(p.numel() for p in ner.lm.parameters() if p.requires_grad)
    total = sum(p.numel() for p in ner.lm.parameters())
    result = {
        "what": "generative tagger smoke run (issue 26 item 3): cost only, not a score",
        "decoder": str(decoder), "provenance": {k: v for k, v in json.loads((decoder / "provenance.json").read_text()).items() if k in ("decoder", "hub_id", "gguf", "note")}
        if (decoder / "provenance.json").exists() else None,
        "tag_pieces": tag_pieces, "load_seconds": load_seconds,
        "steps": len(step_seconds), "batch_words": [sum(len(eg.reference) for eg in b) for b in batches],
        "seconds_per_update": step_seconds, "losses": losses,
        "decode_sentences": len(dev_docs), "decode_words": words, "decode_seconds": decode_seconds,
        "decode_words_per_second": words / decode_seconds,
        "parameters_trainable": trainable, "parameters_total": total,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "torch_threads": threads,
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}, torch {torch.__version__}",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "command": " ".join(["python", *sys.argv]),
    }
    text = json.dumps(result, indent=1)
    print(text)
    if out:
        out.write_text(text + "\n")


if __name__ == "__main__":
    typer.run(main)
