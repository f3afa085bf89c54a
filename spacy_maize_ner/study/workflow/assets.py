"""Provide a corpus's raw files: from a local copy when there is one, else from the web.

The sources are the `assets` section of project.yml (URL, checksum, destination), so
`spacy project assets` and this module agree. A local copy is looked up under the same
path relative to `assets/` (`assets/bc2gm/train.tsv` <- `<local_dir>/bc2gm/train.tsv`),
which is how the offline default (`../shared/data`) is laid out.
"""
import hashlib
import shutil
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional

import srsly
from wasabi import msg


class Asset(NamedTuple):
    """One file of project.yml's `assets` section."""

    dest: Path
    url: Optional[str]
    checksum: Optional[str]
    description: str
    optional: bool


class AssetError(RuntimeError):
    pass


def read_assets(project_yml: Path, corpus: str) -> List[Asset]:
    """The assets of `corpus`: those whose destination is under `assets/<corpus>/`."""
    config = srsly.read_yaml(project_yml)
    prefix = f"assets/{corpus}/"
    assets = [
        Asset(
            dest=Path(entry["dest"]),
            url=entry.get("url"),
            checksum=entry.get("checksum"),
            description=entry.get("description", ""),
            optional=bool(entry.get("extra", False)),
        )
        for entry in config.get("assets", [])
        if str(entry.get("dest", "")).startswith(prefix)
    ]
    if not assets:
        known = sorted({str(e["dest"]).split("/")[1] for e in config.get("assets", []) if "/" in str(e.get("dest", ""))})
        raise AssetError(
            f"{project_yml} lists no assets under {prefix}. Known corpora: {', '.join(known)}. "
            "Set --vars.corpus to one of them, or add your files to the assets section."
        )
    return assets


def file_digest(path: Path, algorithm: str) -> str:
    """RETURNS (str): the hex digest by `algorithm` ("md5", "sha256") of the file `path`, read in 1 MiB blocks."""
    digest = hashlib.new(algorithm)
    with Path(path).open("rb") as file_:
        for block in iter(lambda: file_.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def md5sum(path: Path) -> str:
    """RETURNS (str): the MD5 of the file `path` (the checksum project.yml's assets give)."""
    return file_digest(path, "md5")


def _check(path: Path, asset: Asset, verify: bool) -> None:
    if not asset.checksum:
        return
    actual = md5sum(path)
    if actual == asset.checksum:
        return
    text = (
        f"Checksum mismatch for {path}: expected md5 {asset.checksum} (project.yml), got {actual}. "
        "The file differs from the published one"
    )
    if verify:
        raise AssetError(text + "; replace it, or pass --no-verify (--vars.verify_assets 0) to use it anyway.")
    msg.warn(text + "; using it anyway (--no-verify).")


def fetch_asset(asset: Asset, project_dir: Path, local_dir: Optional[Path], *, verify: bool = True) -> str:
    """Provide one asset. RETURNS (str): 'present', 'copied', 'downloaded' or 'missing'."""
    dest = project_dir / asset.dest
    if dest.exists() and (not asset.checksum or md5sum(dest) == asset.checksum):
        return "present"
    relative = Path(*asset.dest.parts[1:])  # drop the leading "assets/"
    local = local_dir / relative if local_dir else None
    dest.parent.mkdir(parents=True, exist_ok=True)
    if local is not None and local.exists():
        _check(local, asset, verify)
        shutil.copyfile(local, dest)
        return "copied"
    if asset.optional:
        return "missing"
    if not asset.url:
        raise AssetError(f"{asset.dest} has no local copy ({local}) and no URL in project.yml.")
    try:
        with urllib.request.urlopen(asset.url, timeout=60) as response, dest.open("wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as err:
        dest.unlink(missing_ok=True)
        raise AssetError(
            f"Could not download {asset.url} ({err}). Offline? Put a copy of the file at {local or dest} "
            "and pass its folder with --local (or --vars.local_data)."
        ) from err
    _check(dest, asset, verify)
    return "downloaded"


def fetch_corpus_assets(
    project_dir: Path, corpus: str, local_dir: Optional[Path], *, verify: bool = True
) -> Dict[str, Any]:
    """Provide every asset of `corpus`; RETURNS a summary {dest: outcome}."""
    project_dir = Path(project_dir)
    local = Path(local_dir) if local_dir else None
    if local is not None and not local.is_absolute():
        local = (project_dir / local).resolve()
    outcomes = {}
    for asset in read_assets(project_dir / "project.yml", corpus):
        outcomes[str(asset.dest)] = fetch_asset(asset, project_dir, local, verify=verify)
    return outcomes
