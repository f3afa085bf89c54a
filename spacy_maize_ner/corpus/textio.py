"""Reading and writing text files the way every reader and writer of the package does.

- `read_lines`: the lines of a UTF-8 file, split at "\\n" only (a "\\r" or U+2028 inside
  a title must not split it, or every offset after it would shift), a byte order mark
  ignored; invalid UTF-8 raises `TextDecodeError` naming the file, the line, the byte
  and the fix, instead of Python's bare "can't decode byte 0xe9 in position 3801" (the
  fix for Latin-1 bytes is `iconv -f latin1`; for surrogates encoded on their own,
  0xed 0xa0-0xbf, it is not, and the message says so).
- `is_blank`: a line of nothing but spaces, tabs and line ends (the one rule for
  every reader; `str.strip` would take "\\x1c" for whitespace).
- `check_output_path`: before any work starts, that a file can be written at a path
  (its folder exists or can be made, it is not a folder, it is writable).
- `atomic_write`: write to a temporary file beside the target and rename it over the
  target at the end, so a failure (a full disk, an interrupt) leaves no half-written
  file and an existing file untouched.
"""
import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Iterable, Iterator, Optional, Tuple, Union

BOM = b"\xef\xbb\xbf"


class TextDecodeError(ValueError):
    """A line of a text file that is not valid UTF-8; names file, line, byte and fix."""

    def __init__(self, source: str, line_no: int, column: int, byte: int, next_byte: Optional[int] = None) -> None:
        self.source, self.line_no, self.column, self.byte = source, line_no, column, byte
        # 0xED 0xA0-0xBF starts a UTF-16 surrogate encoded on its own (CESU-8, Java, WTF-8)
        self.surrogate = byte == 0xED and next_byte is not None and 0xA0 <= next_byte <= 0xBF
        what = f"not valid UTF-8 (byte 0x{byte:02x} at character {column} of the line)"
        if self.surrogate:
            fix = (
                f": the bytes 0xed 0x{next_byte:02x} start a UTF-16 surrogate (U+D800-U+DFFF) encoded on its own, "
                "as CESU-8, Java's modified UTF-8 or a broken UTF-16 conversion write it; the file is not Latin-1, "
                "so do not convert it from Latin-1. Export it again as UTF-8 from its source, or remove the "
                "invalid bytes, e.g. `iconv -c -f utf-8 -t utf-8 IN > OUT`, and check the text around them."
            )
        else:
            fix = ". Save the file as UTF-8, e.g. `iconv -f latin1 -t utf-8 IN > OUT` for a Latin-1 file."
        self.problem = what + fix  # without the place, for reports that name it themselves
        super().__init__(f"{source}:{line_no}: {self.problem}")


def decode_line(raw: bytes, source: str, line_no: int) -> str:
    """One line's bytes as text; `TextDecodeError` with file and line when not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        column = len(raw[: err.start].decode("utf-8", errors="replace")) + 1
        following = raw[err.start + 1] if len(raw) > err.start + 1 else None
        raise TextDecodeError(source, line_no, column, raw[err.start], following) from None


def read_lines(path: Union[str, Path]) -> Iterator[Tuple[int, str]]:
    """Stream (line number, line with its line end) of a UTF-8 file.

    path (Union[str, Path]): the file.
    YIELDS (Tuple[int, str]): 1-based line numbers and lines, "\\n" still attached.
    """
    path = Path(path)
    source = str(path)
    with path.open("rb") as file_:
        for line_no, raw in enumerate(file_, start=1):
            if line_no == 1 and raw.startswith(BOM):
                raw = raw[len(BOM):]
            yield line_no, decode_line(raw, source, line_no)


def is_blank(line: str) -> bool:
    """Whether a line (with or without its line end) is blank: only spaces, tabs, "\\r", "\\n".

    Not `str.strip`, which also removes control characters such as "\\x1c"-"\\x1f",
    U+0085 and U+2028: a line of them is content (reported when it is not understood).
    """
    return not line.strip(" \t\r\n")


def check_output_path(path: Union[str, Path], what: str = "output") -> Path:
    """Check, before any work starts, that a file can be written at `path`.

    path (Union[str, Path]): the file to be written.
    what (str): how to name it in the error, e.g. "--report".
    RETURNS (Path): the path.
    RAISES (OSError subclass): names the path, the problem and the fix.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"The {what} {path} is a folder: give a file name inside it, e.g. {path / 'out'}.")
    folder = path.parent
    for parent in [folder, *folder.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise NotADirectoryError(
                    f"The {what} {path} cannot be written: {parent} is a file, not a folder. "
                    "Choose another path or move that file away."
                )
            if not os.access(parent, os.W_OK | os.X_OK):
                raise PermissionError(
                    f"The {what} {path} cannot be written: no write permission in {parent}. "
                    "Choose a folder you can write to."
                )
            break
    if path.exists() and not os.access(path, os.W_OK):
        raise PermissionError(f"The {what} {path} exists and is not writable: choose another path or change its permissions.")
    return path


def same_file(a: Union[str, Path], b: Union[str, Path]) -> bool:
    """Whether two paths name the same file (resolved; need not exist)."""
    return Path(a).resolve() == Path(b).resolve()


@contextlib.contextmanager
def atomic_write(path: Union[str, Path], mode: str = "w", encoding: str = "utf-8") -> Iterator[IO]:
    """Open a temporary file beside `path` and rename it to `path` when the block ends.

    On an error inside the block the temporary file is removed and `path` is untouched.
    path (Union[str, Path]): the target; its folder is created.
    mode (str): "w" (text, "\\n" line ends) or "wb".
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": "\n"}
        with os.fdopen(fd, mode, **kwargs) as file_:
            yield file_
            file_.flush()
            os.fsync(file_.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would outlive the rename
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: Union[str, Path], data: bytes) -> None:
    """Write bytes to `path` atomically (see `atomic_write`)."""
    with atomic_write(path, "wb") as file_:
        file_.write(data)


def atomic_write_lines(path: Union[str, Path], lines: Iterable[str]) -> None:
    """Write text to `path` atomically (see `atomic_write`)."""
    with atomic_write(path) as file_:
        for line in lines:
            file_.write(line)
