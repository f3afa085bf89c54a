"""BioC, as XML (`bioc`) and as JSON (`bioc-json`), the formats of PubTator3 and PMC's BioC API.

A BioC document has passages, each with its own document-level `offset`, `text`,
infons and annotations (`infon key="type"` is the label, `identifier` the
normalised id; locations are document-level offsets). Reading keeps everything
a writer needs to give the document back: document and passage infons, sentences and
relations (as they were), annotation ids and infons. A passage without text (a
sentence-level BioC file) is kept but not annotated. Predicted annotations are added
to the passage holding their start, with ids `P1`, `P2`, ... and the infon
`annotator` (the pipeline's name).

XML output is always well-formed: characters XML 1.0 cannot hold, even escaped
(control characters other than tab, line feed and carriage return; U+FFFE, U+FFFF),
are written as U+FFFD, one character for one so every offset holds; a carriage
return is written as `&#13;` so that readers do not turn it into a line feed.

XML is read as a stream (`iterparse`), so a collection of any size fits in memory
one document at a time. A document missing its id or a passage's offset, or with
offsets that are not integers, is a malformed record (file, document number, id);
a file that is not well-formed XML is reported at the line where parsing stopped,
with the documents before it read.
"""
import datetime
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Dict, Iterator, List, Union

from ..records import INPUT_ORIGIN, Annotation, Malformed, Passage, Record, check_passages
from .base import Item, Writer, sorted_annotations


class BioCError(ValueError):
    pass


NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """`text` with every character XML 1.0 cannot hold replaced by U+FFFD (same length)."""
    return NOT_XML.sub("\ufffd", text)


# ---- reading ---------------------------------------------------------------------------

def read_bioc_xml(path: Union[str, Path]) -> Iterator[Item]:
    """YIELDS (Item): a Record per `<document>`, a Malformed per unreadable one."""
    source = str(path)
    index = 0
    try:
        for event, elem in ET.iterparse(str(path), events=("end",)):
            if elem.tag != "document":
                continue
            try:
                yield _record(_xml_document(elem), source, index, "bioc")
            except BioCError as err:
                yield Malformed(source, 0, str(err), index, elem.findtext("id") or "")
            index += 1
            elem.clear()
    except ET.ParseError as err:
        line, column = err.position
        yield Malformed(source, line, f"not well-formed XML at line {line}, column {column} ({err}); "
                        "the documents after this point could not be read", index)
    except UnicodeDecodeError as err:
        yield Malformed(source, 0, f"not valid UTF-8 ({err}); re-encode the file as UTF-8", index)


def _infons(elem) -> Dict[str, str]:
    return {i.get("key", ""): i.text or "" for i in elem.findall("infon")}


def _xml_document(elem) -> Dict[str, Any]:
    """The BioC JSON shape of an XML `<document>`, sentences and relations kept as XML strings."""
    passages = []
    for p in elem.findall("passage"):
        passages.append({
            "offset": p.findtext("offset"),
            "infons": _infons(p),
            "text": p.findtext("text"),
            "annotations": [
                {"id": a.get("id", ""), "infons": _infons(a), "text": a.findtext("text") or "",
                 "locations": [{"offset": loc.get("offset"), "length": loc.get("length")} for loc in a.findall("location")]}
                for a in p.findall("annotation")
            ],
            "_xml_sentences": [ET.tostring(s, encoding="unicode") for s in p.findall("sentence")],
            "_xml_relations": [ET.tostring(r, encoding="unicode") for r in p.findall("relation")],
        })
    return {
        "id": elem.findtext("id"),
        "infons": _infons(elem),
        "passages": passages,
        "_xml_relations": [ET.tostring(r, encoding="unicode") for r in elem.findall("relation")],
    }


def read_bioc_json(path: Union[str, Path]) -> Iterator[Item]:
    """YIELDS (Item): a Record per document of a BioC JSON collection (or a list of collections)."""
    from .jsonl import JsonlFieldError, loads_strict

    source = str(path)
    try:
        data = loads_strict(Path(path).read_bytes().decode("utf-8-sig"), "file")
    except UnicodeDecodeError as err:
        yield Malformed(source, 0, f"not valid UTF-8 ({err}); re-encode the file as UTF-8")
        return
    except json.JSONDecodeError as err:
        yield Malformed(source, err.lineno, f"not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})")
        return
    except JsonlFieldError as err:
        yield Malformed(source, 0, f"not strict JSON: {err}")
        return
    collections = data if isinstance(data, list) else [data]
    index = 0
    for collection in collections:
        documents = collection.get("documents") if isinstance(collection, dict) else None
        if not isinstance(documents, list):
            yield Malformed(source, 0, "expected a BioC collection: an object with a 'documents' list", index)
            index += 1
            continue
        for doc in documents:
            try:
                if not isinstance(doc, dict):
                    raise BioCError(f"a document must be an object, found {type(doc).__name__}")
                yield _record(doc, source, index, "bioc-json")
            except BioCError as err:
                yield Malformed(source, 0, str(err), index, str(doc.get("id", "")) if isinstance(doc, dict) else "")
            index += 1


def _int(value: Any, what: str) -> int:
    try:
        if isinstance(value, (bool, float)):
            raise TypeError
        return int(value)
    except (TypeError, ValueError):
        raise BioCError(f"{what} must be an integer, found {value!r}") from None


def _objects(value: Any, what: str) -> List[Dict[str, Any]]:
    """`value` as a list of objects (None or absent: []), else a BioCError naming `what`."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BioCError(f"{what} must be a list of objects, found {json.dumps(value, default=repr)[:80]}")
    return value


def _infon_dict(value: Any, what: str) -> Dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BioCError(f"{what} infons must be an object of key: value, found {json.dumps(value, default=repr)[:80]}")
    return dict(value)


def _record(doc: Dict[str, Any], source: str, index: int, fmt: str) -> Record:
    rid = doc.get("id")
    if rid in (None, ""):
        raise BioCError("document without an <id>")
    if not isinstance(rid, (str, int)) or isinstance(rid, bool):
        raise BioCError(f"document id must be a string, found {json.dumps(rid, default=repr)[:80]}")
    passages: List[Passage] = []
    annotations: List[Annotation] = []
    for p in _objects(doc.get("passages"), f"document {rid}: 'passages'"):
        offset = _int(p.get("offset"), f"document {rid}: passage offset")
        text = p.get("text")
        if text is not None and not isinstance(text, str):
            raise BioCError(f"document {rid}: the text of the passage at offset {offset} must be a string, "
                            f"found {json.dumps(text, default=repr)[:80]}")
        extra = {k: p[k] for k in ("sentences", "relations", "_xml_sentences", "_xml_relations") if p.get(k)}
        extra["has_text"] = text is not None
        infons = _infon_dict(p.get("infons"), f"document {rid}: passage {offset}:")
        passages.append(Passage(offset, text or "", str(infons.get("type", "text")), infons, extra))
        for a in _objects(p.get("annotations"), f"document {rid}: passage {offset}: 'annotations'"):
            what = f"document {rid}: annotation {a.get('id', '')!r}"
            locations = tuple(
                (_int(loc.get("offset"), f"{what}: location offset"),
                 _int(loc.get("offset"), "") + _int(loc.get("length"), f"{what}: location length"))
                for loc in _objects(a.get("locations"), f"{what}: 'locations'")
            )
            if not locations:
                raise BioCError(f"{what} has no location")
            ainfons = _infon_dict(a.get("infons"), f"{what}:")
            atext = a.get("text") or ""
            if not isinstance(atext, str):
                raise BioCError(f"{what}: text must be a string, found {json.dumps(atext, default=repr)[:80]}")
            annotations.append(Annotation(
                min(s for s, _ in locations), max(e for _, e in locations), atext,
                str(ainfons.get("type", "")), str(ainfons.get("identifier", "")),
                str(ainfons.get("annotator", INPUT_ORIGIN)) if ainfons.get("annotator") else INPUT_ORIGIN,
                str(a.get("id", "")), locations if len(locations) > 1 else (), ainfons,
                extra={"passage": offset},
            ))
    passages.sort(key=lambda p: p.offset)
    problem = check_passages(passages)
    if problem:
        raise BioCError(f"document {rid}: {problem}")
    extra = {k: doc[k] for k in ("relations", "_xml_relations") if doc.get(k)}
    return Record(str(rid), passages, annotations, source=source, index=index, format=fmt,
                  infons=_infon_dict(doc.get("infons"), f"document {rid}:"), extra=extra)


# ---- writing ---------------------------------------------------------------------------

def _annotation_json(a: Annotation, n: int) -> Dict[str, Any]:
    infons = dict(a.infons)
    infons["type"] = a.label
    if a.identifier:
        infons["identifier"] = a.identifier
    if a.origin != INPUT_ORIGIN:
        infons["annotator"] = a.origin
    locations = a.locations or ((a.start, a.end),)
    return {
        "id": a.id or f"P{n}",
        "infons": infons,
        "text": a.text,
        "locations": [{"offset": s, "length": e - s} for s, e in locations],
    }


def document_json(record: Record) -> Dict[str, Any]:
    """A record as a BioC JSON document; annotations go to the passage holding their start."""
    by_passage: Dict[int, List[Dict[str, Any]]] = {p.offset: [] for p in record.passages}
    n = 0
    for a in sorted_annotations(record.annotations):
        if not a.id:
            n += 1
        passage = record.passage_at(a.start)
        key = a.extra.get("passage", passage.offset if passage else 0)
        by_passage.setdefault(key, []).append(_annotation_json(a, n))
    passages = []
    for p in record.passages:
        out: Dict[str, Any] = {"offset": p.offset, "infons": p.infons or ({"type": p.kind} if p.kind != "text" else {})}
        if p.extra.get("has_text", True):
            out["text"] = p.text
        out["sentences"] = p.extra.get("sentences", [])
        out["annotations"] = by_passage.get(p.offset, [])
        out["relations"] = p.extra.get("relations", [])
        if p.extra.get("_xml_sentences"):
            out["_xml_sentences"] = p.extra["_xml_sentences"]
        if p.extra.get("_xml_relations"):
            out["_xml_relations"] = p.extra["_xml_relations"]
        passages.append(out)
    doc = {"id": record.id, "infons": record.infons, "passages": passages, "relations": record.extra.get("relations", [])}
    if record.extra.get("_xml_relations"):
        doc["_xml_relations"] = record.extra["_xml_relations"]
    return doc


def _collection_fields(collection: Dict[str, Any]) -> Dict[str, str]:
    """The input's collection source, date and key when it was BioC, else this package's."""
    return {
        "source": str(collection.get("source", "spacy-maize-ner")),
        "date": str(collection.get("date", datetime.date.today().strftime("%Y%m%d"))),
        "key": str(collection.get("key", "maize_ner.key")),
    }


def collection_info(path: Union[str, Path], fmt: str) -> Dict[str, Any]:
    """The collection fields (source, date, key, infons) of a BioC file; {} for other formats or on error."""
    try:
        if fmt == "bioc":
            info: Dict[str, Any] = {}
            for _, elem in ET.iterparse(str(path), events=("end",)):
                if elem.tag in ("source", "date", "key"):
                    info[elem.tag] = elem.text or ""
                elif elem.tag == "document":
                    break
            return info
        if fmt == "bioc-json":
            from .jsonl import loads_strict

            data = loads_strict(Path(path).read_bytes().decode("utf-8-sig"), "file")
            data = data[0] if isinstance(data, list) and data else data
            return {k: data[k] for k in ("source", "date", "key", "infons") if isinstance(data, dict) and k in data}
    except (ET.ParseError, ValueError, OSError, RecursionError):  # the reader reports the problem
        return {}
    return {}


class BioCJsonWriter(Writer):
    suffix = ".json"

    def header(self) -> str:
        head = json.dumps({**_collection_fields(self.collection), "infons": self.collection.get("infons", {})})[:-1]
        return head + ', "documents": [\n'

    def record(self, record: Record, first: bool) -> str:
        doc = document_json(record)
        for p in doc["passages"]:
            p.pop("_xml_sentences", None), p.pop("_xml_relations", None)
        doc.pop("_xml_relations", None)
        return ("" if first else ",\n") + json.dumps(doc, ensure_ascii=False, allow_nan=False)

    def footer(self) -> str:
        return "\n]}\n"


def _sub(parent, tag: str, text: Any = None, **attrib):
    elem = ET.SubElement(parent, tag, {k: str(v) for k, v in attrib.items()})
    if text is not None:
        elem.text = str(text)
    return elem


def _add_infons(parent, infons: Dict[str, Any]) -> None:
    for key, value in infons.items():
        _sub(parent, "infon", value, key=key)


class BioCXmlWriter(Writer):
    suffix = ".xml"

    def header(self) -> str:
        from xml.sax.saxutils import escape

        f = {k: escape(xml_safe(v)) for k, v in _collection_fields(self.collection).items()}
        return ("<?xml version='1.0' encoding='UTF-8'?>\n<!DOCTYPE collection SYSTEM 'BioC.dtd'>\n<collection>"
                f"<source>{f['source']}</source><date>{f['date']}</date><key>{f['key']}</key>\n")

    def record(self, record: Record, first: bool) -> str:
        doc = document_json(record)
        elem = ET.Element("document")
        _sub(elem, "id", doc["id"])
        _add_infons(elem, doc["infons"])
        for p in doc["passages"]:
            pe = _sub(elem, "passage")
            _add_infons(pe, p["infons"])
            _sub(pe, "offset", p["offset"])
            if "text" in p:
                _sub(pe, "text", p["text"])
            for raw in p.get("_xml_sentences", []):
                pe.append(ET.fromstring(raw))
            for a in p["annotations"]:
                ae = _sub(pe, "annotation", id=a["id"])
                _add_infons(ae, a["infons"])
                for loc in a["locations"]:
                    _sub(ae, "location", offset=loc["offset"], length=loc["length"])
                _sub(ae, "text", a["text"])
            for raw in p.get("_xml_relations", []):
                pe.append(ET.fromstring(raw))
        for raw in doc.get("_xml_relations", []):
            elem.append(ET.fromstring(raw))
        # ElementTree escapes &, < and > but writes control characters as they are (not
        # well-formed) and a carriage return in text raw (read back as a line feed).
        return xml_safe(ET.tostring(elem, encoding="unicode")).replace("\r", "&#13;") + "\n"

    def footer(self) -> str:
        return "</collection>\n"
