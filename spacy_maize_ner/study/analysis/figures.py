"""Matplotlib plumbing shared by the figures: headless backend, captions, saving as SVG.

Every figure carries a caption naming its data, split, seeds and date, both under the
plot and in the report.
"""
import datetime
from pathlib import Path
from typing import Any, Optional, Sequence

from ...extras import require


def pyplot() -> Any:
    """matplotlib.pyplot on the headless Agg backend, or an ImportError saying what to install."""
    matplotlib = require("matplotlib", feature="The analysis figures", extra="analysis")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "spacy-maize-ner", "font.size": 9})
    return plt


def heatmap(fig: Any, ax: Any, matrix: Any, *, columns: Sequence[str], rows: Sequence[str], labels: Sequence[str],
            title: str, colour: str, cmap: str, aspect: str = "auto", tick_size: Optional[int] = None,
            **column_ticks: Any) -> None:
    """Draw `matrix` on `ax` with named columns and rows and a colour bar.

    labels (Sequence[str]): the x and y axis labels. colour (str): the colour bar's label.
    column_ticks: matplotlib text options of the column names (rotation=90, ha="right").
    """
    image = ax.imshow(matrix, cmap=cmap, aspect=aspect)
    ax.set_xticks(range(len(columns)), list(columns), fontsize=tick_size or 7, **column_ticks)
    ax.set_yticks(range(len(rows)), list(rows), **({"fontsize": tick_size} if tick_size else {}))
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label=colour)


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
