"""On-disk cache of LLM responses, one JSON file per request.

The key is the SHA-256 of the endpoint URL, the model name, the rendered prompt and every
generation parameter sent (temperature, max_tokens, stop, ...), so a changed model,
endpoint, prompt or parameter never reads another request's answer (spacy-llm's
BatchCache keys documents by their tokens only). Files are written to a temporary file
in the same folder and renamed into place (`os.replace`), so an interrupted run leaves
no half-written entry and resumes from the answers already stored. Only successful
answers are stored; the API key is never part of an entry or of the key.
"""
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Optional, Union


def request_key(endpoint: str, model: str, prompt: Any, params: Dict[str, Any]) -> str:
    """RETURNS (str): a hex digest of everything that determines the answer."""
    text = json.dumps({"endpoint": endpoint, "model": model, "prompt": prompt, "params": params},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf8")).hexdigest()


class ResponseCache:
    """Responses on disk under `path/<key[:2]>/<key>.json`.

    path (Union[str, Path]): the cache folder, created with the first answer stored (never
        when a pipeline is only loaded).
    """

    def __init__(self, path: Union[str, Path]) -> None:
        self.path = Path(path)

    def file(self, key: str) -> Path:
        return self.path / key[:2] / f"{key}.json"

    def get(self, key: str) -> Optional[Dict[str, Any]]:
        """RETURNS (Optional[Dict]): the stored entry, None when absent or unreadable."""
        path = self.file(key)
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf8"))
        except (OSError, ValueError):
            return None  # a foreign or damaged file: ask again, and overwrite it

    def put(self, key: str, entry: Dict[str, Any]) -> Path:
        """Store an entry atomically (temporary file, then rename). RETURNS (Path): its file."""
        target = self.file(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf8") as file_:
                json.dump(entry, file_, ensure_ascii=False, indent=1)
                file_.flush()
                os.fsync(file_.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def __contains__(self, key: str) -> bool:
        return self.file(key).is_file()

    def __len__(self) -> int:
        return sum(1 for _ in self.path.glob("*/*.json"))
