"""One file per exported batch, so that an interrupted export resumes where it stopped.

A batch's file is `<cache_dir>/<key>.pubtator` where the key is the SHA-256 of the sorted
PMIDs of the batch and the sorted entity types asked for (`batch_key`). Files are written
to a temporary file in the same folder and renamed into place (`os.replace`, atomic on
POSIX and Windows), so an interrupted write leaves no truncated cache file: either the
whole checked response is there or nothing is. Only responses that passed the client's
completeness checks are stored.
"""
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Iterable, Optional, Union


def batch_key(pmids: Iterable[str], types: Iterable[str]) -> str:
    """pmids, types (Iterable[str]): the batch. RETURNS (str): a hex digest, order-free."""
    text = ",".join(sorted(set(pmids), key=lambda p: (len(p), p))) + "|" + ",".join(sorted(set(types)))
    return hashlib.sha256(text.encode("utf8")).hexdigest()


class BatchCache:
    """Exported batches on disk.

    path (Union[str, Path]): the cache folder, created when missing.
    """

    suffix = ".pubtator"

    def __init__(self, path: Union[str, Path]) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)

    def file(self, key: str) -> Path:
        return self.path / f"{key}{self.suffix}"

    def get(self, key: str) -> Optional[str]:
        """RETURNS (Optional[str]): the stored response, None when not cached."""
        path = self.file(key)
        return path.read_text(encoding="utf8") if path.is_file() else None

    def put(self, key: str, body: str) -> Path:
        """Store a response atomically (temporary file, then rename).

        RETURNS (Path): the cache file.
        """
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=self.suffix, dir=self.path)
        try:
            with os.fdopen(fd, "w", encoding="utf8", newline="\n") as file_:
                file_.write(body)
                file_.flush()
                os.fsync(file_.fileno())
            os.replace(tmp, self.file(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return self.file(key)

    def __contains__(self, key: str) -> bool:
        return self.file(key).is_file()
