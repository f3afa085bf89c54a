import pytest
import srsly

from spacy_maize_ner.study.workflow.assets import AssetError, fetch_corpus_assets, md5sum


@pytest.fixture
def project(tmp_path):
    local = tmp_path / "local" / "toy"
    local.mkdir(parents=True)
    (local / "train.tsv").write_text("ZmCCT9\tB-GENE\n")
    (local / "devel.tsv").write_text("tb1\tB-GENE\n")
    checksum = md5sum(local / "train.tsv")
    srsly.write_yaml(
        tmp_path / "project.yml",
        {
            "title": "t",
            "assets": [
                {"dest": "assets/toy/train.tsv", "url": "http://127.0.0.1:9/train.tsv", "checksum": checksum},
                {"dest": "assets/toy/devel.tsv", "url": "http://127.0.0.1:9/devel.tsv"},
                {"dest": "assets/toy/test.tsv", "url": "http://127.0.0.1:9/test.tsv", "extra": True},
                {"dest": "assets/other/x.tsv", "url": "http://127.0.0.1:9/x.tsv"},
            ],
        },
    )
    return tmp_path


def test_local_copy_then_present(project):
    outcomes = fetch_corpus_assets(project, "toy", project / "local")
    assert outcomes == {
        "assets/toy/train.tsv": "copied",
        "assets/toy/devel.tsv": "copied",
        "assets/toy/test.tsv": "missing",
    }
    assert (project / "assets/toy/train.tsv").read_text() == "ZmCCT9\tB-GENE\n"
    assert fetch_corpus_assets(project, "toy", project / "local")["assets/toy/train.tsv"] == "present"


def test_checksum_mismatch_is_an_error_unless_not_verifying(project):
    (project / "local/toy/train.tsv").write_text("changed\tO\n")
    with pytest.raises(AssetError, match="Checksum mismatch.*--no-verify"):
        fetch_corpus_assets(project, "toy", project / "local")
    assert fetch_corpus_assets(project, "toy", project / "local", verify=False)["assets/toy/train.tsv"] == "copied"


def test_unknown_corpus_lists_known_ones(project):
    with pytest.raises(AssetError, match="Known corpora: other, toy"):
        fetch_corpus_assets(project, "nope", None)


def test_download_failure_explains_offline_fix(project):
    (project / "local/toy/devel.tsv").unlink()
    with pytest.raises(AssetError, match="Offline\\?"):
        fetch_corpus_assets(project, "toy", project / "local")
    assert not (project / "assets/toy/devel.tsv").exists()
