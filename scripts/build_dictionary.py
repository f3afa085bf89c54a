"""Build the dictionary baseline pipeline from the training split's mentions and/or a lexicon file."""
from pathlib import Path
from typing import List

import srsly
import typer
from spacy.tokens import DocBin
from wasabi import msg

from spacy_maize_ner.lexicon.dictionary import DictionaryNER
from spacy_maize_ner.lexicon.genes import read_lexicon, write_lexicon
from spacy_maize_ner.corpus.nlp import make_blank_nlp
from spacy_maize_ner.cli_errors import run_script


def main(
    output: Path = typer.Argument(..., help="Pipeline folder to write, e.g. training/dictionary/model-best"),
    train: Path = typer.Option(None, "--train", help="DocBin whose gold mentions of --label become terms"),
    lexicon: List[Path] = typer.Option([], "--lexicon", help="Lexicon JSONL file(s) to add (e.g. from a gene table)"),
    label: str = typer.Option("", "--label", help="Only this label's mentions from --train ('' = every label, each kept); also the label of --lexicon terms (default GENE)"),
    short_max: int = typer.Option(3, "--short-max", help="Terms up to this many characters match with exact case only"),
    min_length: int = typer.Option(2, "--min-length", help="Skip shorter terms"),
) -> None:
    nlp = make_blank_nlp()
    ner: DictionaryNER = nlp.add_pipe("maize_dictionary_ner", config={"label": label or "GENE", "short_max": short_max, "min_length": min_length})
    for path in lexicon:
        if path.stat().st_size:
            ner.add_terms(read_lexicon(path))
    skipped = []
    if train is not None:
        docs = DocBin().from_disk(train).get_docs(nlp.vocab)
        by_label: dict = {}
        for doc in docs:
            for ent in doc.ents:
                if not label or ent.label_ == label:
                    by_label.setdefault(ent.label_, []).append(ent.text)
        for name, texts in by_label.items():
            skipped += ner.add_texts(texts, label=name)
    if not ner.terms:
        msg.fail("The dictionary is empty", f"Give --train with {label or 'any'} mentions or a non-empty --lexicon.", exits=1)
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    write_lexicon(ner.terms, output.parent / "lexicon.jsonl")
    srsly.write_jsonl(output.parent / "lexicon_skipped.jsonl", [t._asdict() for t in skipped])
    n_exact = sum(t.case_sensitive for t in ner.terms)
    msg.good(f"{len(ner.terms)} terms ({n_exact} exact-case, {len(ner.terms) - n_exact} case-insensitive; "
             f"{len(skipped)} skipped) -> {output}")


if __name__ == "__main__":
    run_script(main)
