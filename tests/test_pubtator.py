import pytest

from spacy_maize_ner.corpus.pubtator import (
    PubTatorFormatError,
    format_pubtator,
    parse_pubtator,
    read_pubtator,
    write_pubtator,
)


def test_reads_titles_abstracts_mentions_relations(fixtures_dir):
    docs = list(read_pubtator(fixtures_dir / "maize_wellformed.PubTator.txt"))
    assert [d.pmid for d in docs] == ["90000001", "90000003"]
    first = docs[0]
    assert first.text.startswith("ZmCCT9 and Vgt1 control") and first.text[len(first.title)] == " "
    assert [m.text for m in first.mentions][:2] == ["ZmCCT9", "Vgt1"]
    composite = first.mentions[-1]
    assert composite.identifier == "542353|100282341" and composite.extra == "ZmCCT9|ZmCOL3"
    assert first.mentions[1].identifier == "-1"
    assert first.relations[0].type == "REG" and first.relations[0].args == ("541958", "542353")
    assert not docs[1].has_abstract and docs[1].abstract == ""


def test_text_round_trip_is_identity(fixtures_dir, tmp_path):
    path = fixtures_dir / "maize_wellformed.PubTator.txt"
    write_pubtator(read_pubtator(path), tmp_path / "out.txt")
    assert (tmp_path / "out.txt").read_bytes() == path.read_bytes()


def test_malformed_mention_lines_are_kept_for_the_report(fixtures_dir):
    (doc,) = read_pubtator(fixtures_dir / "maize_malformed.PubTator.txt")  # no final blank line
    assert len(doc.mentions) == 11
    assert [m.line_no for m in doc.malformed] == [11, 12]
    assert "integers" in doc.malformed[0].reason and "found 4" in doc.malformed[1].reason


def test_crlf_and_missing_blank_line_between_documents():
    lines = ["1|t|ZmPIF3 in maize\r\n", "1|a|Text.\r\n", "1\t0\t6\tZmPIF3\tGene\t-1\r\n", "2|t|Dwarf8\r\n", "2|a|x\r\n"]
    docs = list(parse_pubtator(lines))
    assert [d.pmid for d in docs] == ["1", "2"]
    assert docs[0].mentions[0].end == 6 and docs[0].abstract == "Text."


@pytest.mark.parametrize(
    "lines,message",
    [
        (["1\t0\t6\tZmPIF3\tGene\t-1\n"], "annotation outside a document"),
        (["1|t|T\n", "1|x|what\n"], "unknown section"),
        (["1|a|abstract first\n"], "abstract without its title"),
        (["1|t|T\n", "1|a|A\n", "1|a|B\n"], "second abstract line"),
    ],
)
def test_structural_errors_name_file_and_line(lines, message):
    with pytest.raises(PubTatorFormatError, match=message) as err:
        list(parse_pubtator(lines, source="x.txt"))
    assert f"x.txt:{len(lines)}:" in str(err.value)


def test_format_block_ends_with_blank_line(fixtures_dir):
    doc = next(read_pubtator(fixtures_dir / "maize_wellformed.PubTator.txt"))
    assert format_pubtator(doc).endswith("542353\n\n")
