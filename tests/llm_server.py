"""A local OpenAI-compatible server for the LLM tests, scripted per test (no network).

`ChatServer(answer)` serves POST `/v1/chat/completions` and `/v1/completions` on
127.0.0.1 at a free port. `answer(text, payload)` gives the answer to a prompt, where
`text` is the document of the prompt (the last "Text: " or "Paragraph: " line); it may
return a string or (string, finish_reason). `script` is a queue of actions taken by the
next requests, one each: ("status", code[, retry_after]), ("sleep", seconds) (then a
normal answer), ("drop",) (close the connection without answering), ("cut",) (a body
shorter than its Content-Length), ("raw", body) (a 200 with that body). `delay` sleeps
before every answer; `usage=False` leaves the `usage` block out of every answer (as some
servers do). Every request is logged (path, payload, headers, arrival time), and
`max_in_flight` is the most requests handled at once.
"""
import json
import re
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, NamedTuple, Optional

_DOC = re.compile(r"^(?:Text|Paragraph): (.*)$", re.M)


class Request(NamedTuple):
    time: float
    path: str
    payload: Dict[str, Any]
    headers: Dict[str, str]
    action: Optional[tuple]


def prompt_of(payload: Dict[str, Any]) -> str:
    if "messages" in payload:
        return payload["messages"][-1]["content"]
    return payload.get("prompt", "")


def document_of(prompt: str) -> str:
    found = _DOC.findall(prompt)
    return (found[-1] if found else prompt).strip()


class ChatServer:
    def __init__(self, answer: Callable[[str, Dict[str, Any]], Any], delay: float = 0.0, usage: bool = True) -> None:
        self.answer = answer
        self.delay = delay
        self.usage = usage
        self.script: deque = deque()
        self.log: List[Request] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                arrived = time.monotonic()
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length) or b"{}")
                with server.lock:
                    action = server.script.popleft() if server.script else None
                    server.log.append(Request(arrived, self.path, payload, dict(self.headers), action))
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    server.respond(self, payload, action)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with server.lock:
                        server.in_flight -= 1

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def respond(self, handler, payload, action) -> None:
        if action and action[0] == "status":
            body = json.dumps({"error": {"message": f"scripted {action[1]}"}}).encode()
            handler.send_response(action[1])
            if len(action) > 2:
                handler.send_header("Retry-After", str(action[2]))
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return
        if action and action[0] == "drop":
            handler.close_connection = True
            handler.connection.shutdown(2)
            return
        if action and action[0] == "sleep":
            time.sleep(action[1])
        if self.delay:
            time.sleep(self.delay)
        if action and action[0] == "raw":
            body = action[1].encode()
        else:
            prompt = prompt_of(payload)
            result = self.answer(document_of(prompt), payload)
            text, finish = (result, "stop") if isinstance(result, str) else result
            usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": len(text.split()),
                     "total_tokens": len(prompt.split()) + len(text.split())}
            if handler.path.endswith("/chat/completions"):
                choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
            else:
                choice = {"index": 0, "text": text, "finish_reason": finish}
            body = {"id": "x", "object": "chat.completion", "model": payload.get("model"), "choices": [choice]}
            if self.usage:
                body["usage"] = usage
            body = json.dumps(body).encode()
        length = len(body)
        if action and action[0] == "cut":
            body = body[: len(body) // 2]
            handler.close_connection = True
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(length))
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()

    def __enter__(self) -> "ChatServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
