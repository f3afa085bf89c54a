"""Domain-adaptive pretraining: continue masked-language-model training on in-domain text.

This is how a user without a maize-specific encoder transfers domain knowledge: any
BERT-like encoder (a hub id or a local folder) is trained further on raw text (corpus
abstracts and sentences, or any text file), and the result is saved as an encoder folder
that configs/transformer.cfg accepts like any other.

Texts are tokenised, concatenated and cut into blocks of `block_size` wordpieces; 15% of
the wordpieces are masked (80% [MASK], 10% random, 10% kept). The loss is computed at the
masked positions only, which saves most of the vocabulary projection on CPU. Encoders
saved without an MLM head (sentence-transformers checkpoints such as all-MiniLM-L6-v2)
get a fresh head; `head_warmup_steps` train that head alone first, so its random
gradients do not disturb the encoder. A held-out slice of the blocks gives the masked-LM
loss before and after, written to dapt.json beside the weights.
"""
import json
import math
import random
import warnings
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence, Tuple

from .fingerprint import recipe_digest
from ...encoders.resolve import loading_error, resolve_encoder


def read_texts(paths: Sequence[Path]) -> List[str]:
    """Texts from DocBins (one per Doc) and text files (one per non-empty line)."""
    import spacy
    from spacy.tokens import DocBin

    texts: List[str] = []
    vocab = spacy.blank("en").vocab
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"DAPT text source {path} not found (a .spacy DocBin or a text file).")
        if path.suffix == ".spacy":
            texts.extend(doc.text for doc in DocBin().from_disk(path).get_docs(vocab))
        else:
            texts.extend(line.strip() for line in path.open(encoding="utf8") if line.strip())
    if not texts:
        raise ValueError(f"No text found in {', '.join(map(str, paths))}.")
    return texts


def make_blocks(texts: Iterable[str], tokenizer, block_size: int) -> List[List[int]]:
    """Tokenise, join with [SEP] and cut into blocks of [CLS] + (block_size - 2) + [SEP]."""
    body = block_size - 2
    ids: List[int] = []
    for text in texts:
        ids.extend(tokenizer(text, add_special_tokens=False)["input_ids"])
        ids.append(tokenizer.sep_token_id)
    return [
        [tokenizer.cls_token_id] + ids[i : i + body] + [tokenizer.sep_token_id]
        for i in range(0, len(ids) - body + 1, body)
    ]


def mask_batch(batch, tokenizer, generator, probability: float = 0.15):
    """BERT masking of a LongTensor batch. RETURNS (inputs, labels) with -100 where unmasked."""
    import torch

    labels = batch.clone()
    special = (batch == tokenizer.cls_token_id) | (batch == tokenizer.sep_token_id) | (batch == tokenizer.pad_token_id)
    chosen = (torch.rand(batch.shape, generator=generator) < probability) & ~special
    labels[~chosen] = -100
    inputs = batch.clone()
    draw = torch.rand(batch.shape, generator=generator)
    inputs[chosen & (draw < 0.8)] = tokenizer.mask_token_id
    random_ids = torch.randint(len(tokenizer), batch.shape, generator=generator)
    swap = chosen & (draw >= 0.8) & (draw < 0.9)
    inputs[swap] = random_ids[swap]
    return inputs, labels


def masked_loss(model, inputs, labels):
    """Cross-entropy at the masked positions; the vocabulary projection runs only there."""
    import torch.nn.functional as F

    device = next(model.parameters()).device  # masks are drawn on the CPU (same masks on any device)
    inputs, labels = inputs.to(device), labels.to(device)
    hidden = model.base_model(input_ids=inputs, attention_mask=(inputs != 0).long()).last_hidden_state
    selected = labels != -100
    head = getattr(model, "cls", None)
    if head is None:  # not BERT: fall back to the full head
        logits = model(input_ids=inputs).logits[selected]
    else:
        logits = head(hidden[selected])
    return F.cross_entropy(logits, labels[selected])


def mean_loss(model, blocks: List[List[int]], tokenizer, batch_size: int, seed: int) -> float:
    import torch

    if not blocks:
        return float("nan")
    generator = torch.Generator().manual_seed(seed)
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(blocks), batch_size):
            inputs, labels = mask_batch(torch.tensor(blocks[i : i + batch_size]), tokenizer, generator)
            if (labels != -100).any():
                total += masked_loss(model, inputs, labels).item()
                n += 1
    model.train()
    return total / max(1, n)


def save_encoder(mlm_model, source: str, output: Path) -> None:
    """Save the adapted encoder as the source's own architecture (a BERT MLM model drops the
    pooler; copying the adapted weights into the source model keeps the source's pooler)."""
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(source)
    result = encoder.load_state_dict(mlm_model.base_model.state_dict(), strict=False)
    if result.unexpected_keys:
        raise ValueError(f"DAPT: adapted weights do not fit {source}: {result.unexpected_keys[:5]}")
    encoder.save_pretrained(output)


def dapt_recipe(source: str, texts: Sequence[str], **settings: Any) -> Dict[str, Any]:
    """What makes a DAPT encoder what it is, for training/fingerprint.py: the source encoder's
    weights (or hub id), a digest of the texts in order, the settings and the package version."""
    import hashlib

    from ...about import __version__
    from .fingerprint import encoder_fingerprint

    texts_digest = hashlib.sha256("\n".join(texts).encode("utf8")).hexdigest()
    return {"source": encoder_fingerprint(source) or source, "texts_sha256": texts_digest, "package_version": __version__,
            **settings}


def train_mlm(
    model: Any, tokenizer: Any, train_blocks: List[List[int]], *, max_steps: int, batch_size: int, learn_rate: float,
    head_warmup_steps: int, seed: int, progress: bool,
) -> Tuple[int, float]:
    """The MLM updates of `run_dapt`: the head alone for `head_warmup_steps`, then the whole
    model, AdamW with linear warm-up and decay, blocks reshuffled each pass.

    RETURNS (Tuple[int, float]): the updates made and their seconds.
    """
    import torch
    from tqdm import tqdm
    from transformers import get_linear_schedule_with_warmup

    head_params = [p for n, p in model.named_parameters() if not n.startswith(model.base_model_prefix + ".")]
    base_params = [p for n, p in model.named_parameters() if n.startswith(model.base_model_prefix + ".")]
    optimizer = torch.optim.AdamW([{"params": head_params}, {"params": base_params}], lr=learn_rate, weight_decay=0.01)
    scheduler = get_linear_schedule_with_warmup(optimizer, max(1, max_steps // 10), max_steps)
    generator = torch.Generator().manual_seed(seed)
    order = random.Random(seed + 1)
    model.train()
    start = time.perf_counter()
    step, losses, epoch_blocks = 0, [], []
    bar = tqdm(total=max_steps, desc="DAPT", disable=not progress, unit="step")
    while step < max_steps:
        if len(epoch_blocks) < batch_size:
            epoch_blocks = list(train_blocks)
            order.shuffle(epoch_blocks)
        batch, epoch_blocks = epoch_blocks[:batch_size], epoch_blocks[batch_size:]
        for p in base_params:
            p.requires_grad_(step >= head_warmup_steps)
        inputs, labels = mask_batch(torch.tensor(batch), tokenizer, generator)
        if not (labels != -100).any():
            continue
        loss = masked_loss(model, inputs, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{sum(losses[-20:]) / len(losses[-20:]):.3f}")
    bar.close()
    return step, time.perf_counter() - start


def run_dapt(
    encoder: str,
    texts: Sequence[str],
    output: Path,
    *,
    max_steps: int = 300,
    batch_size: int = 32,
    block_size: int = 128,
    learn_rate: float = 1e-4,
    head_warmup_steps: int = 50,
    heldout_fraction: float = 0.05,
    seed: int = 0,
    progress: bool = True,
    gpu_id: int = -1,
) -> Dict[str, float]:
    """Continue MLM training of `encoder` on `texts` and save the encoder to `output`.

    gpu_id (int): CUDA device to train on; -1 for the CPU. The masks are drawn on the CPU
        either way, so a GPU run sees the same masked blocks as a CPU run of the same seed.

    RETURNS (Dict[str, float]): what was measured, as written to `output`/dapt.json.
    """
    import torch
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    if head_warmup_steps >= max_steps:
        # Otherwise the encoder would never be updated and the "adapted" encoder would be
        # the source one (a short demo budget did exactly that): keep half the steps for it.
        warnings.warn(
            f"DAPT: head_warmup_steps ({head_warmup_steps}) >= max_steps ({max_steps}) would leave the "
            f"encoder untouched; warming the head up for {max_steps // 2} steps instead. "
            "Give --head-warmup-steps below --max-steps to choose."
        )
        head_warmup_steps = max_steps // 2
    source = resolve_encoder(encoder)
    recipe = dapt_recipe(source, texts, max_steps=max_steps, batch_size=batch_size, block_size=block_size,
                         learn_rate=learn_rate, head_warmup_steps=head_warmup_steps, heldout_fraction=heldout_fraction, seed=seed)
    # Seeded before loading: an encoder saved without its masked-LM head (MiniLM, the tiny test
    # BERT) gets a freshly drawn head, and an unseeded draw made two runs of one seed differ.
    torch.manual_seed(seed)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForMaskedLM.from_pretrained(source)
    except OSError as error:
        raise loading_error(encoder, error) from error
    if gpu_id >= 0:
        if not torch.cuda.is_available():
            raise RuntimeError(f"DAPT: --gpu-id {gpu_id} asked for, but torch sees no CUDA device; give --gpu-id -1 for the CPU.")
        model.to(f"cuda:{gpu_id}")
    blocks = make_blocks(texts, tokenizer, block_size)
    if len(blocks) < 2:
        raise ValueError(f"Only {len(blocks)} block(s) of {block_size} wordpieces in the DAPT text; give more text.")
    random.Random(seed).shuffle(blocks)
    n_heldout = max(1, int(len(blocks) * heldout_fraction))
    heldout, train_blocks = blocks[:n_heldout], blocks[n_heldout:]
    loss_before = mean_loss(model, heldout, tokenizer, batch_size, seed)

    step, seconds = train_mlm(model, tokenizer, train_blocks, max_steps=max_steps, batch_size=batch_size, learn_rate=learn_rate,
                              head_warmup_steps=head_warmup_steps, seed=seed, progress=progress)
    loss_after = mean_loss(model, heldout, tokenizer, batch_size, seed)

    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    save_encoder(model, source, output)
    tokenizer.save_pretrained(output)
    report = {
        "source_encoder": encoder,
        "texts": len(texts),
        "blocks": len(blocks),
        "heldout_blocks": n_heldout,
        "block_size": block_size,
        "steps": step,
        "epochs": round(step * batch_size / max(1, len(train_blocks)), 3),
        "batch_size": batch_size,
        "learn_rate": learn_rate,
        "head_warmup_steps": head_warmup_steps,
        "seed": seed,
        "device": torch.cuda.get_device_name(gpu_id) if gpu_id >= 0 else "cpu",
        "heldout_mlm_loss_before": loss_before,
        "heldout_mlm_loss_after": loss_after,
        "heldout_perplexity_before": math.exp(min(loss_before, 50)),
        "heldout_perplexity_after": math.exp(min(loss_after, 50)),
        "train_seconds": round(seconds, 1),
        "recipe": recipe,
        "recipe_sha256": recipe_digest(recipe),
    }
    (output / "dapt.json").write_text(json.dumps(report, indent=1) + "\n")
    return report
