"""The one registry of known corpora: layout, provenance and source of each.

`workflow.corpora` (split files, gold/silver provenance) and `packaging` (the sources
in a package's meta) read their tables from here; the raw files' URLs and checksums
stay in project.yml's `assets`, which `spacy project assets` reads too.
"""
from typing import Dict, NamedTuple, Optional


class CorpusInfo(NamedTuple):
    """What the project knows about a corpus."""

    name: str
    format: str  # "iob" or "pubtator"
    files: Dict[str, str]  # split -> file name under assets/<name>/
    annotation: str  # "gold" (human annotators), "silver" (machine) or "unknown"
    annotators: str  # who annotated it
    title: str  # the corpus's full name, for package meta
    url: str
    license: str


CORPORA: Dict[str, CorpusInfo] = {
    "bc2gm": CorpusInfo(
        "bc2gm", "iob", {"train": "train.tsv", "dev": "devel.tsv", "test": "test.tsv"},
        "gold", "BioCreative II Gene Mention corpus (human annotators)",
        "BioCreative II Gene Mention corpus (BC2GM), IOB version of Crichton et al. 2017",
        "https://github.com/cambridgeltl/MTL-Bioinformatics-2016", "CC BY 4.0",
    ),
    "bc5cdr": CorpusInfo(
        "bc5cdr", "pubtator",
        {"train": "CDR_TrainingSet.PubTator.txt", "dev": "CDR_DevelopmentSet.PubTator.txt", "test": "CDR_TestSet.PubTator.txt"},
        "gold", "BioCreative V CDR corpus (human annotators)",
        "BioCreative V CDR corpus (BC5CDR)",
        "https://biocreative.bioinformatics.udel.edu/tasks/biocreative-v/track-3-cdr/",
        "see the BioCreative V CDR terms of use",
    ),
}


def corpus_info(name: str) -> Optional[CorpusInfo]:
    """RETURNS (Optional[CorpusInfo]): the registry entry, or None for a folder the project does not know."""
    return CORPORA.get(name)
