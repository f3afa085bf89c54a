"""JSON lines: one document per line, `{"id": ..., "text": ..., "entities": [...]}`.

Input: `text` (a string) is required; `id` (string or number) defaults to
`<file stem>:<line>`; `entities` (optional) are `{"start", "end", "label"}` with
optional `text`, `identifier`, `origin`, `locations` and `infons`, character offsets
into `text`; `passages` (optional) are `{"offset", "text", "kind", "infons"}` whose
texts, placed at their offsets, must make up `text`. Other keys are kept and written
back. A line that is not JSON, not an object, or whose fields are wrong is a malformed
record (file, line, problem); so is a line that is not strict JSON (`NaN`, `Infinity`,
which Python's reader accepts but no strict reader does), one nested too deeply to
read, and one holding a lone surrogate (`"\\ud800"`: a broken UTF-16 escape, which is
not text and cannot be written as UTF-8). Output is always strict JSON.

Output: the same, with `id`, `text`, `passages` (only when a record has more than one
or they carry infons), `entities` sorted by offset (`origin` only for predicted ones,
the pipeline's name), then the extra keys.
"""
import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Union

from ..records import INPUT_ORIGIN, Annotation, Malformed, Passage, Record, SURROGATE, check_annotation, check_passages, find_surrogate
from .base import Item, Writer, is_blank, iter_lines, sorted_annotations

RESERVED = ("id", "text", "passages", "entities")


class JsonlFieldError(ValueError):
    pass


def _not_strict(constant: str) -> Any:
    raise JsonlFieldError(
        f"{constant} is not a JSON value (strict JSON has no NaN or Infinity): write it as null or a string"
    )


def loads_strict(line: str, what: str = "line") -> Any:
    """Parse strict JSON: NaN and Infinity, deep nesting and lone surrogates raise JsonlFieldError."""
    try:
        obj = json.loads(line, parse_constant=_not_strict)
    except RecursionError:
        raise JsonlFieldError(f"the {what} is nested too deeply to read (more than about 900 levels of [ or {{)") from None
    if "\\u" in line or "\\U" in line:
        try:
            where = find_surrogate(obj)
        except RecursionError:
            where = None
        if where:
            raise JsonlFieldError(
                f"{where} holds a lone surrogate (a \\ud800-\\udfff escape without its pair), which is not text "
                "and cannot be written as UTF-8: fix the program that wrote it, or remove the escape"
            )
    return obj


def read_jsonl(path: Union[str, Path]) -> Iterator[Item]:
    """YIELDS (Item): a Record per non-empty line, or a Malformed naming line and problem."""
    path = Path(path)
    index = 0
    for line_no, line, error in iter_lines(path):
        if error is None and is_blank(line):
            continue
        default_id = f"{path.stem}:{line_no}"
        if error is not None:
            yield Malformed(str(path), line_no, error.problem, index, default_id)
        else:
            obj = None
            try:
                obj = loads_strict(line)
                yield _record(obj, str(path), line_no, index, default_id)
            except json.JSONDecodeError as err:
                yield Malformed(str(path), line_no, f"not valid JSON ({err.msg} at character {err.colno})", index, default_id)
            except JsonlFieldError as err:
                rid = obj.get("id") if isinstance(obj, dict) else None
                rid = str(rid) if isinstance(rid, (str, int)) and not isinstance(rid, bool) else default_id
                rid = default_id if SURROGATE.search(rid) else rid  # the report must be writable
                yield Malformed(str(path), line_no, str(err), index, rid)
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
            if not isinstance(obj["passages"], list):
                raise TypeError(f"found {type(obj['passages']).__name__}")
            passages = []
            for p in obj["passages"]:
                if not isinstance(p, dict) or not isinstance(p.get("text"), str) or not isinstance(p.get("infons", {}), dict):
                    raise TypeError(f"found {json.dumps(p, ensure_ascii=False)[:80]}")
                if not isinstance(p.get("offset"), int) or isinstance(p.get("offset"), bool):
                    raise TypeError(f"offset {p.get('offset')!r} is not an integer")
                passages.append(Passage(p["offset"], p["text"], str(p.get("kind", "text")), dict(p.get("infons", {}))))
        except (KeyError, TypeError, ValueError) as err:
            raise JsonlFieldError(f"'passages' must be a list of {{'offset', 'text'}} objects with an integer offset, "
                                  f"a string text and an infons object ({err})") from None
        problem = check_passages(passages)
        if problem:
            raise JsonlFieldError(problem)
        for p in passages:
            if text[p.offset:p.end] != p.text:
                raise JsonlFieldError(f"the passage at offset {p.offset} is not the text at that offset")
    annotations = []
    entities = obj.get("entities") or []
    if not isinstance(entities, list):
        raise JsonlFieldError(f"'entities' must be a list of {{'start', 'end', 'label'}} objects, found {json.dumps(entities)[:80]}")
    for i, ent in enumerate(entities):
        try:
            if not isinstance(ent, dict):
                raise TypeError(f"found {json.dumps(ent, ensure_ascii=False)[:80]}")
            start, end = ent["start"], ent["end"]
            if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
                raise TypeError("start and end must be integers")
            if not isinstance(ent.get("infons", {}), dict):
                raise TypeError(f"'infons' must be an object, found {ent['infons']!r}")
            locations = ent.get("locations", ())
            if not isinstance(locations, (list, tuple)) or not all(
                    isinstance(loc, list) and len(loc) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in loc)
                    for loc in locations):
                raise TypeError(f"'locations' must be a list of [start, end] integer pairs, found {json.dumps(locations)[:80]}")
            ann = Annotation(
                start, end, str(ent.get("text", text[start:end])), str(ent["label"]), str(ent.get("identifier", "")),
                str(ent.get("origin", INPUT_ORIGIN)), str(ent.get("id", "")),
                tuple(tuple(loc) for loc in locations), dict(ent.get("infons", {})),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise JsonlFieldError(f"entity {i + 1} must be an object with integer 'start' and 'end' and a 'label' ({err})") from None
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
        return json.dumps(record_dict(record), ensure_ascii=False, allow_nan=False) + "\n"


def entity_dicts(record: Record) -> List[Dict[str, Any]]:
    return [entity_dict(a) for a in sorted_annotations(record.annotations)]
