"""The conversion report: what happened to every mention read.

Each mention read is counted once, as kept unchanged (`exact`), kept but changed
(`CHANGED` reasons) or dropped (`DROPPED` reasons). Changed and dropped mentions are
also listed one per line in a JSONL file with their source line and reason, so
`mentions_read == mentions_kept + mentions_dropped` can be checked by anyone.
"""
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import srsly

EXACT = "exact"
CHANGED = {
    "expanded": "offsets fell inside tokens; widened to token boundaries",
    "iob1_start": "an I- tag opened the entity (read as IOB1)",
}
DROPPED = {
    "overlap": "overlaps a longer mention, which was kept",
    "duplicate": "same span and label as a kept mention",
    "offset_out_of_range": "offsets outside the document text",
    "text_mismatch": "mention text differs from the document text at its offsets",
    "empty_span": "start offset not before end offset",
    "malformed_line": "annotation line could not be read",
    "pmid_mismatch": "annotation PMID differs from its document's",
    "label_filtered": "type not selected by the label option",
}


class ConversionReport:
    """Counts and records the outcome of every mention of a conversion."""

    def __init__(self) -> None:
        self.inputs: List[str] = []
        self.documents = 0
        self.relations_read = 0
        self.counts: Counter = Counter()
        self.records: List[Dict[str, Any]] = []

    def add_input(self, path: Union[str, Path]) -> None:
        self.inputs.append(str(path))

    def add(self, reason: str, **details: Any) -> None:
        """Count one mention read, with its outcome `reason`.

        reason (str): "exact", a key of CHANGED or a key of DROPPED.
        details: source, line, document, original and new offsets/text, winner, ...
        """
        if reason != EXACT and reason not in CHANGED and reason not in DROPPED:
            raise ValueError(f"Unknown conversion outcome {reason!r}; use one of {EXACT}, "
                             f"{', '.join(CHANGED)}, {', '.join(DROPPED)}.")
        self.counts[reason] += 1
        if reason != EXACT:
            kind = "changed" if reason in CHANGED else "dropped"
            self.records.append({"reason": reason, "outcome": kind, **details})

    @property
    def mentions_read(self) -> int:
        return sum(self.counts.values())

    @property
    def mentions_dropped(self) -> int:
        return sum(n for reason, n in self.counts.items() if reason in DROPPED)

    @property
    def mentions_kept(self) -> int:
        return self.mentions_read - self.mentions_dropped

    def summary(self) -> Dict[str, Any]:
        changed = {r: self.counts[r] for r in CHANGED if self.counts[r]}
        dropped = {r: self.counts[r] for r in DROPPED if self.counts[r]}
        summary = {
            "inputs": self.inputs,
            "documents": self.documents,
            "mentions_read": self.mentions_read,
            "mentions_kept": self.mentions_kept,
            "mentions_kept_unchanged": self.counts[EXACT],
            "mentions_dropped": self.mentions_dropped,
            "relations_read": self.relations_read,
            "changed": changed,
            "dropped": dropped,
            "by_reason": {**changed, **dropped},
        }
        assert summary["mentions_read"] == summary["mentions_kept"] + summary["mentions_dropped"]
        return summary

    def write(self, path: Union[str, Path], records_path: Optional[Union[str, Path]] = None) -> Path:
        """Write the JSON summary to `path` and the records to `<stem>.jsonl` beside it.

        RETURNS (Path): where the records went.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        records_path = Path(records_path) if records_path else path.with_suffix(".jsonl")
        summary = self.summary()
        summary["records"] = str(records_path)
        srsly.write_json(path, summary)
        srsly.write_jsonl(records_path, self.records)
        return records_path

    def format_summary(self) -> List[str]:
        """Human-readable lines for the command line."""
        s = self.summary()
        lines = [
            f"{s['documents']} documents, {s['mentions_read']} mentions read: "
            f"{s['mentions_kept']} kept ({sum(s['changed'].values())} changed), "
            f"{s['mentions_dropped']} dropped; {s['relations_read']} relations read"
        ]
        for reason, n in s["changed"].items():
            lines.append(f"  changed {reason}: {n} ({CHANGED[reason]})")
        for reason, n in s["dropped"].items():
            lines.append(f"  dropped {reason}: {n} ({DROPPED[reason]})")
        return lines
