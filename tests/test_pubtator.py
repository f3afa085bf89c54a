import pytest

from spacy_maize_ner.corpus.pubtator import (
    PubTatorFormatError,
    PubTatorMention,
    PubTatorRelation,
    format_pubtator,
    parse_pubtator,
    read_pubtator,
    write_pubtator,
)


def test_reads_titles_abstracts_mentions_relations(fixtures_dir):
    docs = list(read_pubtator(fixtures_dir / "maize_wellformed.PubTator.txt"))
    assert [d.pmid for d in docs] == ["90000001", "90000003", "90000004"]
    first = docs[0]
    assert first.text == first.title + " " + first.abstract
    assert first.title == "ZmCCT9 and Vgt1 control flowering time in maize."
    assert first.mentions[0] == PubTatorMention("90000001", 0, 6, "ZmCCT9", "Gene", "542353", None, 3)
    assert first.mentions[1].identifier == "-1"
    composite = first.mentions[5]
    assert composite.identifier == "542353|100282341" and composite.extra == "ZmCCT9|ZmCOL3"
    assert all(d.text[m.start : m.end] == m.text for d in docs for m in d.mentions)
    assert first.relations == [
        PubTatorRelation("90000001", "REG", "541958", "542353", 10),
        PubTatorRelation("90000001", "CID", "541958", "4577", 11, ("novel",)),
    ]
    assert first.source.endswith("maize_wellformed.PubTator.txt") and first.line_no == 1
    assert not docs[1].has_abstract and docs[1].abstract == "" and docs[1].line_no == 13
    assert docs[0].malformed == [] and docs[2].has_abstract


def test_text_round_trip_is_identity(fixtures_dir, tmp_path):
    path = fixtures_dir / "maize_wellformed.PubTator.txt"
    assert write_pubtator(read_pubtator(path), tmp_path / "out.txt") == 3
    assert (tmp_path / "out.txt").read_bytes() == path.read_bytes()


def test_malformed_mention_lines_are_kept_for_the_report(fixtures_dir):
    # the file has no blank line after its only document
    (doc,) = read_pubtator(fixtures_dir / "maize_malformed.PubTator.txt")
    assert len(doc.mentions) == 13 and len(doc.relations) == 1
    assert [m.line_no for m in doc.malformed] == [11, 12]
    assert "integers" in doc.malformed[0].problem and "'abc'" in doc.malformed[0].problem
    assert "found 4 column(s)" in doc.malformed[1].problem
    assert doc.malformed[1].line == "90000002\t12\tZmPIF3\tGene"
    # written back as they were, so nothing read is lost
    assert "90000002\tabc\t12\tZmPIF3\tGene\t-1\n" in format_pubtator(doc)


def test_crlf_missing_blank_line_and_missing_abstract_are_tolerated():
    lines = [
        "1|t|ZmPIF3 in maize\r\n",
        "1|a|Text.\r\n",
        "1\t0\t6\tZmPIF3\tGene\t-1\r\n",
        "2|t|Dwarf8\r\n",  # no blank line before it
        "2\t0\t6\tDwarf8\tGene\t-1\r\n",  # no abstract line
    ]
    docs = list(parse_pubtator(lines))
    assert [d.pmid for d in docs] == ["1", "2"]
    assert docs[0].abstract == "Text." and docs[0].mentions[0].end == 6
    assert docs[1].mentions[0].text == "Dwarf8" and not docs[1].has_abstract
    assert docs[1].text == "Dwarf8 "


def test_carriage_return_inside_a_title_does_not_split_the_line(tmp_path):
    path = tmp_path / "cr.txt"
    path.write_bytes(b"5|t|ZmCCT9\rVgt1\n5|a|tb1\n5\t12\t15\ttb1\tGene\t-1\n\n")
    (doc,) = read_pubtator(path)
    assert doc.title == "ZmCCT9\rVgt1" and doc.text[12:15] == "tb1"


@pytest.mark.parametrize(
    "lines,message",
    [
        (["1\t0\t6\tZmPIF3\tGene\t-1\n"], "annotation outside a document"),
        (["1|t|T\n", "1|a|A\n", "\n", "1\t0\t1\tT\tGene\t-1\n"], "annotation outside a document"),
        (["1|t|T\n", "1|x|what\n"], "unknown section"),
        (["1|a|abstract first\n"], "abstract without its title"),
        (["1|t|T\n", "2|a|another PMID\n"], "abstract without its title"),
        (["1|t|T\n", "1|a|A\n", "1|a|B\n"], "second abstract line"),
    ],
)
def test_structural_errors_name_file_line_and_fix(lines, message):
    with pytest.raises(PubTatorFormatError, match=message) as err:
        list(parse_pubtator(lines, source="x.txt"))
    text = str(err.value)
    assert text.startswith(f"x.txt:{len(lines)}: ")
    assert repr(lines[-1].rstrip("\n")) in text  # the line itself
    assert err.value.line_no == len(lines)
    assert any(hint in text for hint in ("Put", "remove", "look like", "join"))  # the fix


def test_missing_file_is_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="PubTator file not found"):
        list(read_pubtator(tmp_path / "nope.txt"))


def test_format_block_ends_with_blank_line(fixtures_dir):
    doc = next(read_pubtator(fixtures_dir / "maize_wellformed.PubTator.txt"))
    block = format_pubtator(doc)
    assert block.startswith("90000001|t|ZmCCT9 and Vgt1") and block.endswith("\tnovel\n\n")
