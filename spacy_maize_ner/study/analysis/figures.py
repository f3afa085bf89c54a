"""Matplotlib plumbing shared by the figures: headless backend, captions, saving as SVG.

Every figure carries a caption naming its data, split, seeds and date, both under the
plot and in the report.
"""
import datetime
from pathlib import Path
from typing import Any, Optional, Sequence


def pyplot() -> Any:
    """matplotlib.pyplot on the headless Agg backend, or an ImportError saying what to install."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "The analysis figures need matplotlib and scikit-learn: "
            "pip install 'spacy-maize-ner[analysis]' (or pip install matplotlib scikit-learn)."
        ) from None
    plt.rcParams.update({"svg.hashsalt": "spacy-maize-ner", "font.size": 9})
    return plt


def caption(what: str, *, data: str, split: str, seeds: Optional[Sequence[Any]] = None, date: Optional[str] = None) -> str:
    """'<what>. Data: bc2gm, dev split; seeds 0, 1, 2; 2026-12-01.'"""
    date = date or datetime.date.today().isoformat()
    seed_text = ", ".join(str(s) for s in seeds) if seeds else "–"
    return f"{what}. Data: {data}, {split} split; seeds: {seed_text}; {date}."


def save(fig: Any, path: Path, text: str) -> Path:
    """Write `fig` with its caption under the axes as SVG to `path`; RETURNS path."""
    import textwrap

    plt = pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.text(0.01, 0.005, "\n".join(textwrap.wrap(text, 130)), fontsize=7, ha="left", va="bottom", color="#444")
    fig.subplots_adjust(bottom=max(fig.subplotpars.bottom, 0.16))
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
    return path
