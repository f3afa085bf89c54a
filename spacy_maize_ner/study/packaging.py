"""Build pip-installable pipeline packages (`en_maize_<encoder>`) with `spacy package`.

The package name follows the encoder: `en_maize_biobert` for BioBERT, `en_maize_bert`
for BERT, otherwise a slug of the encoder's name (`en_maize_minilm_dapt`). The meta
carries the evaluation scores, labels, data and encoder sources and licences. Custom
code (tokenizer, encoder architecture, callbacks) lives in `spacy-maize-ner`, which
`spacy package` lists as a requirement; `package_pipeline` builds that wheel beside the
pipeline's, so `pip install packages/*.whl` works without an index holding it.
"""
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import srsly

from .runs import encoder_short_name, package_name  # noqa: F401 (package_name: the one naming of packages)
from ..corpus.registry import CORPORA
from ..about import __version__ as CODE_VERSION
from ..components.defaults import META_KEY

HUB_URL = "https://huggingface.co/{}"
CORPUS_SOURCES = {n: {"name": c.title, "url": c.url, "license": c.license} for n, c in CORPORA.items()}  # corpus/registry.py
# by encoder short name (runs.encoder_short_name): a DAPT encoder carries its source's licence
ENCODER_LICENSES = {
    "bert": "Apache-2.0",
    "biobert": "Apache-2.0",
    "minilm": "Apache-2.0",
    "all_minilm_l6_v2": "Apache-2.0",
}


def encoder_source(encoder: str) -> Dict[str, str]:
    folder = Path(encoder)
    if folder.exists():
        dapt = folder / "dapt.json"
        origin = srsly.read_json(dapt)["source_encoder"] if dapt.exists() else None
        name = f"{folder.name} (local encoder folder" + (f", DAPT of {origin})" if origin else ")")
        key = encoder_short_name(origin or folder)
        return {"name": name, "url": "", "license": ENCODER_LICENSES.get(key, "see the encoder's model card")}
    return {"name": encoder, "url": HUB_URL.format(encoder), "license": ENCODER_LICENSES.get(encoder_short_name(encoder), "see the model card")}


def build_meta(
    model_dir: Path,
    metrics: Optional[Dict[str, Any]] = None,
    corpus: str = "bc2gm",
    name: Optional[str] = None,
    version: str = CODE_VERSION,
) -> Dict[str, Any]:
    """The meta.json for `spacy package`: the trained pipeline's meta plus scores and sources."""
    meta = srsly.read_json(Path(model_dir) / "meta.json")
    info = meta.get(META_KEY, {})
    encoder = info.get("encoder", "")
    meta["name"] = name or package_name(encoder)
    meta["version"] = version
    meta["license"] = "MIT (code); model weights and data: see sources"
    meta["author"] = "spacy-maize-ner"
    meta["url"] = "https://github.com/spacy-maize-ner/spacy-maize-ner"
    meta["description"] = (
        f"Gene/biomedical NER trained on {corpus.upper()} with encoder {encoder or 'n/a'} "
        f"(regime: {info.get('regime', 'n/a')}). Scores are strict entity P/R/F on the "
        f"{(metrics or {}).get('split', 'dev')} split."
    )
    meta["sources"] = [CORPUS_SOURCES.get(corpus, {"name": corpus, "url": "", "license": "unknown"})]
    if encoder:
        meta["sources"].append(encoder_source(encoder))
    if metrics:
        meta["performance"] = {k: metrics[k] for k in ("ents_p", "ents_r", "ents_f", "ents_per_type") if k in metrics}
    return meta


def portable_copy(model_dir: Path, dest: Path) -> List[str]:
    """Copy the pipeline at `model_dir` to `dest` as a package should hold it. RETURNS what changed.

    Loading a saved pipeline needs none of the paths its config keeps: [paths] and
    [corpora] are read only by training, the encoder name only by `initialize` (the weights,
    tokenizer and HF config travel in the transformer's folder), few-shot examples and prompt
    templates travel in the LLM task's folder. What would still reach outside the package at
    run time is an LLM response cache, a folder relative to wherever the user runs: a
    packaged pipeline gets none (`cache_dir = null`); a user who wants one sets it when
    loading: spacy.load(NAME, config={"components": {"llm": {"model": {"cache_dir": DIR}}}}).
    """
    import shutil

    from thinc.api import Config

    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(model_dir, dest)
    config = Config().from_disk(dest / "config.cfg", interpolate=False)
    changes = []
    for name, block in config.get("components", {}).items():
        model = block.get("model") if isinstance(block, dict) else None
        if isinstance(model, dict) and model.get("cache_dir"):
            changes.append(f"components.{name}.model.cache_dir {model['cache_dir']!r} -> null (no response cache in a package)")
            model["cache_dir"] = None
    if changes:
        config.to_disk(dest / "config.cfg", interpolate=False)
    return changes


def build_code_wheel(dest: Path, project_dir: Path) -> Path:
    """`pip wheel --no-deps` the spacy-maize-ner project into `dest`. RETURNS the wheel."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dest), str(project_dir)],
        check=True,
    )
    return sorted(dest.glob("spacy_maize_ner-*.whl"))[-1]


# What a packaged transformer pipeline's encoder reads. `sentences` is the most accurate measured
# on abstract-like text (+4.25 F1 over the strided windows, +3.47 over packed spans) and, read in
# length-sorted chunks (encoders/batching.py), 1.39x the words/s of the strided windows as shipped
# before; `packed` is the fastest that keeps float accuracy (1.59x) (benchmarks/notes/throughput.md).
SPANS = ("packed", "sentences", "strided")
DEFAULT_SPANS = "sentences"
PLAIN_ENCODERS = ("spacy_maize_ner.Encoder.v1", "spacy-transformers.TransformerModel.v3")


def reads_spans(model_dir: Path) -> bool:
    """Whether `model_dir` is a pipeline of the plain encoder, whose spans packaging may change."""
    from spacy.util import load_config

    config = load_config(Path(model_dir) / "config.cfg", interpolate=False)
    model = config.get("components", {}).get("transformer", {}).get("model", {})
    return model.get("@architectures") in PLAIN_ENCODERS


def package_pipeline(
    model_dir: Path,
    output_dir: Path,
    metrics_path: Optional[Path] = None,
    corpus: str = "bc2gm",
    name: Optional[str] = None,
    project_dir: Optional[Path] = None,
    int8: bool = False,
    spans: str = DEFAULT_SPANS,
) -> List[Path]:
    """Build the pipeline wheel (and the spacy-maize-ner wheel) into `output_dir`.

    int8 (bool): a transformer pipeline whose encoder is quantized to int8 whenever it is
        loaded (CPU inference; encoders/quantize.py). The wheel keeps the float weights.
    spans (str): what the encoder of a transformer pipeline reads (SPANS): `sentences` (the
        default: one span per sentence, as the pipeline was trained; a sentencizer goes
        before the transformer), `packed` (consecutive whole sentences share a window, each
        read once: faster, less accurate on abstracts) or `strided` (the
        training config's overlapping windows, unchanged). Applies to pipelines of the plain
        encoder (`spacy_maize_ner.Encoder.v1`); others are packaged as trained.
    RETURNS (List[Path]): the wheels built.
    """
    from spacy.cli.package import package

    if spans not in SPANS:
        raise ValueError(f"spans={spans!r}: choose one of {', '.join(SPANS)}.")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    metrics = srsly.read_json(metrics_path) if metrics_path else None
    meta = build_meta(Path(model_dir), metrics, corpus=corpus, name=name)
    build_dir = output_dir / "build"
    build_dir.mkdir(exist_ok=True)
    pipeline_dir = Path(model_dir)
    sentence_spans = spans != "strided" and reads_spans(pipeline_dir)
    if int8 or sentence_spans:
        from ..encoders.quantize import write_cpu_pipeline

        pipeline_dir = write_cpu_pipeline(model_dir, build_dir / f"{meta['name']}-cpu", int8=int8,
                                          sentence_spans=sentence_spans, pack=spans == "packed", overwrite=True)
        meta = build_meta(pipeline_dir, metrics, corpus=corpus, name=meta["name"])
    meta_path = output_dir / f"{meta['name']}.meta.json"
    srsly.write_json(meta_path, meta)
    source = build_dir / f"{meta['name']}-pipeline"
    changes = portable_copy(pipeline_dir, source)
    if changes:
        meta.setdefault(META_KEY, {})["packaging_changes"] = changes
        srsly.write_json(meta_path, meta)
    package(source, build_dir, meta_path=meta_path, create_sdist=False, create_wheel=True, force=True, silent=True)
    full_name = f"{meta['lang']}_{meta['name']}"
    wheels = sorted((build_dir / f"{full_name}-{meta['version']}" / "dist").glob("*.whl"))
    if not wheels:
        raise RuntimeError(f"spacy package wrote no wheel for {full_name} under {build_dir}.")
    target = output_dir / wheels[-1].name
    target.write_bytes(wheels[-1].read_bytes())
    built = [target]
    if project_dir is not None:
        built.append(build_code_wheel(output_dir, Path(project_dir)))
    return built
