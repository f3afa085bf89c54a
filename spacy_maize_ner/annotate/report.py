"""What an annotation run did: records read, annotated and skipped (with where and why), entities."""
from typing import Any, Dict, List

from .records import Malformed


class AnnotateReport:
    """Counts of a run (or of all runs of a resumed job); JSON-serialisable with `to_dict`."""

    FIELDS = (
        "records_read", "records_annotated", "records_skipped", "records_split", "words",
        "entities_input", "entities_predicted", "predictions_dropped_overlap", "entities_removed", "seconds",
    )

    def __init__(self) -> None:
        self.inputs: List[str] = []
        for name in self.FIELDS:
            setattr(self, name, 0)
        self.seconds = 0.0
        self.skipped: List[Dict[str, Any]] = []  # malformed records: source, line, document, id, problem
        self.warnings: List[Dict[str, Any]] = []  # kept as read but worth knowing (unreadable annotation lines)

    def skip(self, bad: Malformed) -> None:
        self.records_read += 1
        self.records_skipped += 1
        self.skipped.append(bad.to_dict())

    def counts(self) -> Dict[str, Any]:
        """The counters and list lengths now, for `restore`."""
        return {**{name: getattr(self, name) for name in self.FIELDS if name != "seconds"},
                "_skipped": len(self.skipped), "_warnings": len(self.warnings)}

    def restore(self, counts: Dict[str, Any]) -> None:
        """Take back what was counted since `counts()` (a record that could not be written after all)."""
        for name, value in counts.items():
            if not name.startswith("_"):
                setattr(self, name, value)
        del self.skipped[counts["_skipped"]:]
        del self.warnings[counts["_warnings"]:]

    def warn(self, source: str, line: int, record_id: str, problem: str) -> None:
        self.warnings.append({"source": source, "line": line, "id": record_id, "problem": problem})

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else 0.0

    @property
    def docs_per_second(self) -> float:
        return self.records_annotated / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"inputs": list(self.inputs)}
        out.update({name: getattr(self, name) for name in self.FIELDS})
        out["words_per_second"] = self.words_per_second
        out["docs_per_second"] = self.docs_per_second
        out["skipped"] = list(self.skipped)
        out["warnings"] = list(self.warnings)
        return out

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "AnnotateReport":
        report = cls()
        report.inputs = list(data.get("inputs", []))
        for name in cls.FIELDS:
            setattr(report, name, data.get(name, 0))
        report.skipped = list(data.get("skipped", []))
        report.warnings = list(data.get("warnings", []))
        return report

    def merge(self, other: "AnnotateReport") -> None:
        """Add another run's counts (a shard of a Ray job)."""
        self.inputs.extend(i for i in other.inputs if i not in self.inputs)
        for name in self.FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.skipped.extend(other.skipped)
        self.warnings.extend(other.warnings)

    def summary_line(self) -> str:
        return (
            f"{self.records_annotated:,} documents annotated, {self.records_skipped:,} skipped as malformed; "
            f"{self.entities_predicted:,} entities predicted, {self.entities_input:,} from the input kept; "
            f"{self.words:,} words in {self.seconds:.1f} s ({self.words_per_second:,.0f} words/s, "
            f"{self.docs_per_second:,.1f} docs/s)"
        )
