"""JSON lines: one document per line, `{"id": ..., "text": ..., "entities": [...]}`.

Input: `text` (a string) is required; `id` (string or number) defaults to
`<file stem>:<line>`; `entities` (optional) are `{"start", "end", "label"}` with
optional `text`, `identifier`, `origin`, `locations` and `infons`, character offsets
into `text`; `passages` (optional) are `{"offset", "text", "kind", "infons"}` whose
texts, placed at their offsets, must make up `text`. Other keys are kept and written
back. A line that is not JSON, not an object, or whose fields are wrong is a malformed
record (file, line, problem).

Output: the same, with `id`, `text`, `passages` (only when a record has more than one
or they carry infons), `entities` sorted by offset (`origin` only for predicted ones,
the pipeline's name), then the extra keys.
"""
import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Union

from ..records import INPUT_ORIGIN, Annotation, Malformed, Passage, Record, check_annotation, check_passages
from .base import Item, Writer, iter_lines, sorted_annotations

RESERVED = ("id", "text", "passages", "entities")


class JsonlFieldError(ValueError):
    pass


def read_jsonl(path: Union[str, Path]) -> Iterator[Item]:
    """YIELDS (Item): a Record per non-empty line, or a Malformed naming line and problem."""
    path = Path(path)
    index = 0
    for line_no, line, error in iter_lines(path):
        if error is None and not line.strip():
            continue
        default_id = f"{path.stem}:{line_no}"
        if error is not None:
            yield Malformed(str(path), line_no, str(error), index, default_id)
        else:
            try:
                yield _record(json.loads(line), str(path), line_no, index, default_id)
            except json.JSONDecodeError as err:
                yield Malformed(str(path), line_no, f"not valid JSON ({err.msg} at character {err.colno})", index, default_id)
            except JsonlFieldError as err:
                yield Malformed(str(path), line_no, str(err), index, default_id)
        index += 1


def _record(obj: Any, source: str, line_no: int, index: int, default_id: str) -> Record:
    if not isinstance(obj, dict):
        raise JsonlFieldError(f"expected a JSON object with 'id' and 'text', found {type(obj).__name__}")
    text = obj.get("text")
    if not isinstance(text, str):
        raise JsonlFieldError(f"'text' must be a string, found {type(text).__name__ if 'text' in obj else 'no text'}")
    rid = obj.get("id", default_id)
    if not isinstance(rid, (str, int)) or isinstance(rid, bool):
        raise JsonlFieldError(f"'id' must be a string or an integer, found {rid!r}")
    passages = [Passage(0, text)]
    if "passages" in obj:
        try:
            passages = [Passage(int(p["offset"]), str(p["text"]), p.get("kind", "text"), dict(p.get("infons", {})))
                        for p in obj["passages"]]
        except (KeyError, TypeError, ValueError) as err:
            raise JsonlFieldError(f"'passages' must be a list of {{'offset', 'text'}} objects ({type(err).__name__}: {err})") from None
        problem = check_passages(passages)
        if problem:
            raise JsonlFieldError(problem)
        for p in passages:
            if text[p.offset:p.end] != p.text:
                raise JsonlFieldError(f"the passage at offset {p.offset} is not the text at that offset")
    annotations = []
    for i, ent in enumerate(obj.get("entities") or []):
        try:
            start, end = ent["start"], ent["end"]
            if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
                raise TypeError("start and end must be integers")
            ann = Annotation(
                start, end, str(ent.get("text", text[start:end])), str(ent["label"]), str(ent.get("identifier", "")),
                str(ent.get("origin", INPUT_ORIGIN)), str(ent.get("id", "")),
                tuple(tuple(loc) for loc in ent.get("locations", ())), dict(ent.get("infons", {})),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise JsonlFieldError(f"entity {i + 1} must have integer 'start' and 'end' and a 'label' ({type(err).__name__}: {err})") from None
        problem = check_annotation(ann, text)
        if problem:
            raise JsonlFieldError(f"entity {i + 1}: {problem}")
        annotations.append(ann)
    extra: Dict[str, Any] = {}
    if {k: v for k, v in obj.items() if k not in RESERVED}:
        extra["jsonl"] = {k: v for k, v in obj.items() if k not in RESERVED}
    if len(passages) > 1:
        extra["jsonl_text"] = text  # what lies between the passages (line breaks) is written back as it was
    return Record(str(rid), passages, annotations, source=source, line=line_no, index=index, format="jsonl", extra=extra)


def entity_dict(a: Annotation) -> Dict[str, Any]:
    out: Dict[str, Any] = {"start": a.start, "end": a.end, "text": a.text, "label": a.label}
    if a.identifier:
        out["identifier"] = a.identifier
    if a.origin != INPUT_ORIGIN:
        out["origin"] = a.origin
    if a.id:
        out["id"] = a.id
    if a.locations:
        out["locations"] = [list(loc) for loc in a.locations]
    if a.infons:
        out["infons"] = a.infons
    return out


def record_dict(record: Record) -> Dict[str, Any]:
    obj: Dict[str, Any] = {"id": record.id, "text": record.extra.get("jsonl_text", record.text)}
    if len(record.passages) > 1 or any(p.infons or p.offset for p in record.passages):
        obj["passages"] = [
            {"offset": p.offset, "text": p.text, "kind": p.kind, **({"infons": p.infons} if p.infons else {})}
            for p in record.passages
        ]
    obj["entities"] = [entity_dict(a) for a in sorted_annotations(record.annotations)]
    obj.update(record.extra.get("jsonl", {}))
    return obj


class JsonlWriter(Writer):
    suffix = ".jsonl"

    def record(self, record: Record, first: bool) -> str:
        return json.dumps(record_dict(record), ensure_ascii=False) + "\n"


def entity_dicts(record: Record) -> List[Dict[str, Any]]:
    return [entity_dict(a) for a in sorted_annotations(record.annotations)]
