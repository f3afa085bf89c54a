"""A fresh virtual environment with wheels installed, for tests of `pip install`ed packages.

Third-party dependencies (spaCy, torch, ...) come from the test's own environment through a
plain path line, which does not activate the editable install of spacy-maize-ner, so the
packages under test must bring (or require) everything else themselves.
"""
import site
import subprocess
import sys
from pathlib import Path
from typing import Iterable


def fresh_venv_with(wheels: Iterable[Path], folder: Path) -> Path:
    """Create a venv in `folder`, install `wheels` into it without dependencies. RETURNS its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    target = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    Path(target, "_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    *map(str, wheels)], check=True)
    return python
