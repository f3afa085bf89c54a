"""Check a decoder's fast tokenizer against llama.cpp's tokenizer of the same GGUF file.

    python scripts/check_decoder_tokenizer.py assets/decoders/gguf/gemma-3-270m-q4_k_m.gguf \
        [--tokenizer assets/decoders/gemma3-270m] [--dev ../shared/data/bc2gm/devel.tsv] [--limit 0] \
        [--reference auto|llama-cpp|python] [--output reports/decoders/tokenizer-check-gemma3-270m.json]

Every sentence of the IOB file (words joined by single spaces, as the corpus DocBins hold
them) is tokenized by the fast tokenizer (the folder's tokenizer.json, or one built from
the GGUF file now) and by the reference: llama.cpp itself (llama-cpp-python with
vocab_only=True, `special=False`, `<bos>` as the header says) or, where llama-cpp-python
is not installed, the pure-Python transcription of llama.cpp's algorithm
(spacy_maize_ner/study/workflow/tokenizer_reference.py). It prints sentences compared and mismatches
(with the first few, piece by piece) and exits 1 on any mismatch. The report JSON holds
counts and ids only, never the sentences.
"""
import json
import time
from pathlib import Path

import typer
from wasabi import msg

from spacy_maize_ner.cli_errors import MaizeNerError, run_script
from spacy_maize_ner.corpus.iob import read_iob_sentences
from spacy_maize_ner.study.workflow.tokenizer_reference import LlamaCppTokenizer, python_reference
from spacy_maize_ner.decoders.tokenizer import read_gguf_vocab, tokenizer_from_vocab


def main(
    gguf_file: Path = typer.Argument(..., help="The .gguf file (provide-decoder --keep-gguf keeps it in assets/decoders/gguf/)"),
    tokenizer: str = typer.Option("", "--tokenizer", help="A folder with tokenizer.json ('' builds it from the GGUF now)"),
    dev: Path = typer.Option(Path("../shared/data/bc2gm/devel.tsv"), "--dev", help="IOB file of sentences"),
    limit: int = typer.Option(0, "--limit", help="Compare the first N sentences only (0: all)"),
    reference: str = typer.Option("auto", "--reference", help="llama-cpp, python, or auto (llama-cpp if installed)"),
    output: str = typer.Option("", "--output", help="Write the counts as JSON here ('' does not)"),
) -> None:
    if not gguf_file.exists():
        raise MaizeNerError(f"GGUF file {gguf_file} not found: run scripts/provide_decoder.py NAME --keep-gguf first.")
    if not dev.exists():
        raise MaizeNerError(f"Sentence file {dev} not found: pass --dev with an IOB file (BC2GM devel.tsv).")
    if reference not in ("auto", "llama-cpp", "python"):
        raise MaizeNerError(f"--reference {reference!r}: use llama-cpp, python or auto.")
    vocab = read_gguf_vocab(gguf_file)
    if tokenizer:
        from transformers import AutoTokenizer

        fast = AutoTokenizer.from_pretrained(tokenizer)
    else:
        fast = tokenizer_from_vocab(vocab)
    used = reference
    if reference in ("auto", "llama-cpp"):
        try:
            ref = LlamaCppTokenizer(str(gguf_file))
            used = "llama-cpp"
        except ImportError:
            if reference == "llama-cpp":
                raise MaizeNerError("llama-cpp-python is not installed: pip install -c constraints.txt "
                                    "llama-cpp-python (compiles, several minutes), or use --reference python.")
            ref, used = python_reference(vocab), "python"
    else:
        ref = python_reference(vocab)
    texts = [" ".join(s.words) for s in read_iob_sentences(dev)]
    if limit:
        texts = texts[:limit]
    start = time.time()
    mismatches = []
    for i, text in enumerate(texts):
        ours = fast(text, add_special_tokens=True)["input_ids"]
        theirs = ref(text, add_bos=vocab.add_bos)
        if vocab.add_eos and vocab.eos_id is not None:
            theirs = theirs + [vocab.eos_id]
        if ours != theirs:
            mismatches.append((i, ours, theirs))
    seconds = time.time() - start
    summary = {"gguf": str(gguf_file), "tokenizer": tokenizer or "built from the GGUF", "reference": used,
               "sentences": len(texts), "mismatches": len(mismatches), "seconds": round(seconds, 1),
               "mismatched_sentence_indices": [m[0] for m in mismatches[:50]]}
    for i, ours, theirs in mismatches[:5]:
        msg.warn(f"sentence {i}: ours {fast.convert_ids_to_tokens(ours)[:40]}")
        msg.warn(f"{' ' * (len(str(i)) + 10)}ref  {fast.convert_ids_to_tokens(theirs)[:40]}")
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf8")
    line = f"{len(texts)} sentences compared with {used}: {len(mismatches)} mismatches ({seconds:.0f} s)"
    if mismatches:
        raise MaizeNerError(line)
    msg.good(line)


if __name__ == "__main__":
    run_script(main)
