"""The conversion report: the outcome of every mention read.

Each mention read (a PubTator mention line, a malformed annotation line, or an entity
of an IOB file) is counted exactly once, as

- kept unchanged: `exact`;
- kept but changed (`CHANGED`): `expanded` (widened to token boundaries), `iob1_start`
  (an `I-` tag opened the entity), `trimmed` (whitespace
  at either end of the offsets removed);
- dropped (`DROPPED`): `overlap`, `duplicate`, `offset_out_of_range`, `text_mismatch`,
  `empty_span`, `malformed_line`, `pmid_mismatch`, `label_filtered`,
  `document_in_other_split`, `duplicate_document`.

so that `mentions_read == mentions_kept + mentions_dropped`. `write` stores the summary
as JSON and, beside it, one JSON object per changed or dropped mention (JSONL) with
`reason`, `outcome` ("changed" or "dropped"), `source`, `line`, `doc_id` (the PMID, or
the document's index in an IOB file), the original `start`, `end`, `text`, `type`,
`identifier`, then `new_start`, `new_end`, `new_text` when changed, `winner` (the kept
mention) for overlaps and duplicates, and `raw`/`problem` for malformed lines.

Relations are not mentions: they are counted (`relations_read`) and kept. A relation
line whose PMID is not its document's is kept under its own PMID and listed in
`relation_pmid_mismatches` ({source, line, doc_id, pmid, type, id1, id2}).
"""
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import srsly
from wasabi import Printer, msg

from .textio import atomic_write_lines

EXACT = "exact"
CHANGED: Dict[str, str] = {
    "expanded": "offsets fell inside tokens; widened to token boundaries",
    "iob1_start": "an I- tag opened the entity (read as IOB1)",
    "trimmed": "offsets included whitespace around the mention; trimmed to its text",
}
DROPPED: Dict[str, str] = {
    "overlap": "overlaps a longer mention, which was kept",
    "duplicate": "same span and label as a kept mention",
    "offset_out_of_range": "offsets outside the document text",
    "text_mismatch": "mention text differs from the document text at its offsets",
    "empty_span": "no text between the offsets (start >= end, or only whitespace)",
    "malformed_line": "annotation line could not be read",
    "pmid_mismatch": "annotation PMID differs from its document's",
    "label_filtered": "type not selected by the label option",
    "document_in_other_split": "its document (same PMID) is also in the dev or test file and is kept there only",
    "duplicate_document": "its document's PMID was read before (the same file twice, or a repeated PMID); the first is kept",
}
OUTCOMES = (EXACT, *CHANGED, *DROPPED)


class ConversionReport:
    """Counts and records the outcome of every mention of a conversion.

    inputs (List[str]): the files read, in order.
    documents (int): documents converted.
    relations_read (int): PubTator relation lines read.
    counts (Counter): mentions per outcome.
    records (List[Dict[str, Any]]): one dict per changed or dropped mention.
    """

    def __init__(self) -> None:
        self.inputs: List[str] = []
        self.documents = 0
        self.relations_read = 0
        self.counts: Counter = Counter()
        self.records: List[Dict[str, Any]] = []
        self.duplicate_documents: List[Dict[str, Any]] = []  # {pmid, source, line, first_source, first_line}
        self.empty_inputs: List[str] = []  # files that held no document
        self.documents_skipped: Dict[str, int] = {}  # reason -> documents left out whole
        self.relation_pmid_mismatches: List[Dict[str, Any]] = []  # relations under another PMID, kept

    def add_input(self, path: Union[str, Path]) -> None:
        """Note an input file (once, however often it is added).

        path (Union[str, Path]): the file.
        """
        if str(path) not in self.inputs:
            self.inputs.append(str(path))

    def add(self, reason: str, **details: Any) -> None:
        """Count one mention read with its outcome; record it unless it is `exact`.

        reason (str): "exact", a key of CHANGED or a key of DROPPED.
        details: the record's fields (module docstring); JSON-serialisable.
        """
        if reason not in OUTCOMES:
            raise ValueError(
                f"Unknown conversion outcome {reason!r}: use one of {', '.join(OUTCOMES)}, "
                "or add the new outcome with its description to CHANGED or DROPPED in "
                "spacy_maize_ner/corpus/report.py."
            )
        self.counts[reason] += 1
        if reason != EXACT:
            outcome = "changed" if reason in CHANGED else "dropped"
            self.records.append({"reason": reason, "outcome": outcome, **details})

    @property
    def mentions_read(self) -> int:
        return sum(self.counts.values())

    @property
    def mentions_changed(self) -> int:
        return sum(self.counts[reason] for reason in CHANGED)

    @property
    def mentions_dropped(self) -> int:
        return sum(self.counts[reason] for reason in DROPPED)

    @property
    def mentions_kept(self) -> int:
        return self.counts[EXACT] + self.mentions_changed

    def summary(self) -> Dict[str, Any]:
        """The report's numbers; every reason is listed, with 0 when it did not occur.

        RETURNS (Dict[str, Any]): `input`, `documents`, `mentions_read`,
            `mentions_kept`, `mentions_kept_unchanged`, `mentions_changed`,
            `mentions_dropped`, `relations_read`, `changed` and `dropped`
            ({reason: count}), `by_reason` ({"changed": {...}, "dropped": {...}}),
            `duplicate_documents`, `empty_inputs`, `documents_skipped` and
            `relation_pmid_mismatches`.
        """
        changed = {reason: self.counts[reason] for reason in CHANGED}
        dropped = {reason: self.counts[reason] for reason in DROPPED}
        summary = {
            "input": list(self.inputs),
            "documents": self.documents,
            "mentions_read": self.mentions_read,
            "mentions_kept": self.mentions_kept,
            "mentions_kept_unchanged": self.counts[EXACT],
            "mentions_changed": self.mentions_changed,
            "mentions_dropped": self.mentions_dropped,
            "relations_read": self.relations_read,
            "changed": changed,
            "dropped": dropped,
            "by_reason": {"changed": changed, "dropped": dropped},
            "duplicate_documents": list(self.duplicate_documents),
            "empty_inputs": list(self.empty_inputs),
            "documents_skipped": dict(self.documents_skipped),
            "relation_pmid_mismatches": list(self.relation_pmid_mismatches),
        }
        check_invariant(summary)
        return summary

    def write(self, path: Union[str, Path], records_path: Optional[Union[str, Path]] = None) -> Path:
        """Write the JSON summary and the JSONL records of changed and dropped mentions.

        path (Union[str, Path]): the summary, e.g. `corpus/conversion_report.json`.
        records_path (Optional[Union[str, Path]]): the records; default: `path` with the
            suffix `.jsonl` (`corpus/conversion_report.jsonl`).
        RETURNS (Path): where the records went.
        """
        path = Path(path)
        records_path = Path(records_path) if records_path else path.with_suffix(".jsonl")
        if records_path.resolve() == path.resolve():
            raise ValueError(
                f"The report summary and its records would both be written to {path}: "
                "give the summary a .json suffix or pass another records path."
            )
        summary = self.summary()
        if len(self.records) != summary["mentions_changed"] + summary["mentions_dropped"]:
            raise AssertionError(
                f"{len(self.records)} records for {summary['mentions_changed']} changed and "
                f"{summary['mentions_dropped']} dropped mentions; this is a bug in the converter."
            )
        summary["records"] = str(records_path)
        atomic_write_lines(records_path, (srsly.json_dumps(r) + "\n" for r in self.records))
        atomic_write_lines(path, [srsly.json_dumps(summary, indent=2) + "\n"])
        return records_path

    def format_summary(self) -> List[str]:
        """RETURNS (List[str]): a few human-readable lines; reasons that occurred only."""
        s = self.summary()
        lines = [
            f"{s['documents']} documents, {s['mentions_read']} mentions read: "
            f"{s['mentions_kept']} kept ({s['mentions_changed']} of them changed), "
            f"{s['mentions_dropped']} dropped; {s['relations_read']} relations read"
        ]
        lines += [f"  changed  {r:<20} {n:>6}  {CHANGED[r]}" for r, n in s["changed"].items() if n]
        lines += [f"  dropped  {r:<20} {n:>6}  {DROPPED[r]}" for r, n in s["dropped"].items() if n]
        malformed = next((r for r in self.records if r["reason"] == "malformed_line"), None)
        if malformed is not None:
            lines.append(
                f"  first malformed line: {malformed.get('source')}:{malformed.get('line')}: "
                f"{malformed.get('problem', '')} (all in the --report records)"
            )
        mismatches = s["relation_pmid_mismatches"]
        if mismatches:
            first = mismatches[0]
            lines.append(
                f"  {len(mismatches)} relation line(s) with another PMID than their document's, kept under "
                f"their own PMID (first: {first['source']}:{first['line']}, PMID {first['pmid']} in document "
                f"{first['doc_id']}); listed in the report as relation_pmid_mismatches"
            )
        return lines

    def print_summary(self, printer: Printer = msg) -> None:
        """Print the summary with wasabi: a headline, then one line per reason.

        printer (Printer): the wasabi printer.
        """
        headline, *details = self.format_summary()
        if self.mentions_dropped or self.mentions_changed or self.relation_pmid_mismatches:
            printer.warn(headline)
        else:
            printer.good(headline)
        for line in details:
            printer.text(line)


def check_invariant(summary: Dict[str, Any]) -> None:
    """Raise if a summary does not account for every mention read.

    summary (Dict[str, Any]): from `ConversionReport.summary` or a report JSON file.
    """
    read, kept, dropped = summary["mentions_read"], summary["mentions_kept"], summary["mentions_dropped"]
    if read != kept + dropped:
        raise AssertionError(
            f"Conversion report does not add up: {read} mentions read, {kept} kept, {dropped} "
            "dropped. Every mention must be counted once; this is a bug in the converter."
        )
