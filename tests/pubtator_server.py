"""A local stand-in for PubTator3's API, scripted per test (no network).

`PubTatorServer(documents)` serves `documents` ({pmid: PubTator block}) on 127.0.0.1 at a
free port: `/publications/export/pubtator?pmids=...` returns the blocks of the known PMIDs
(unknown ones are absent, as on PubTator3), `/search/?text=...&page=N` pages through
`search_results`. `script` is a queue of actions taken by the next requests, one each:
("status", code[, retry_after]), ("sleep", seconds) (then a normal answer),
("short_body",) (Content-Length larger than the body sent), ("cut_mid_line",) (the body
cut inside its last line). Every request is logged with its arrival time (time.monotonic).
"""
import json
import threading
import time
import urllib.parse
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, NamedTuple, Optional


class Logged(NamedTuple):
    time: float
    path: str
    pmids: List[str]
    action: Optional[tuple]


def block(pmid: str, gene: str = "ZmCCT9") -> str:
    title = f"{gene} regulates flowering in maize."
    abstract = f"We cloned {gene} from B73."
    start = len(title) + 1 + len("We cloned ")
    return (f"{pmid}|t|{title}\n{pmid}|a|{abstract}\n"
            f"{pmid}\t{start}\t{start + len(gene)}\t{gene}\tGene\t100279569(Tax:4577)\n\n")


class PubTatorServer:
    def __init__(self, documents: Dict[str, str], search_results: Optional[List[str]] = None, page_size: int = 10):
        self.documents = documents
        self.search_results = search_results or []
        self.page_size = page_size
        self.script: deque = deque()
        self.log: List[Logged] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                arrived = time.monotonic()
                url = urllib.parse.urlparse(self.path)
                query = urllib.parse.parse_qs(url.query)
                pmids = [p for p in query.get("pmids", [""])[0].split(",") if p]
                with server.lock:
                    action = server.script.popleft() if server.script else None
                    server.log.append(Logged(arrived, self.path, pmids, action))
                try:
                    server.respond(self, url.path, query, pmids, action)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/pubtator3-api"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def respond(self, handler, path, query, pmids, action):
        if action and action[0] == "status":
            handler.send_response(action[1])
            if len(action) > 2:
                handler.send_header("Retry-After", str(action[2]))
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if action and action[0] == "sleep":
            time.sleep(action[1])
        if path.endswith("/search/"):
            page = int(query.get("page", ["1"])[0])
            chunk = self.search_results[(page - 1) * self.page_size : page * self.page_size]
            total = max(1, -(-len(self.search_results) // self.page_size))
            body = json.dumps({"results": [{"pmid": int(p)} for p in chunk], "total_pages": total}).encode()
        else:
            body = "".join(self.documents[p] for p in pmids if p in self.documents).encode()
        length = len(body)
        if action and action[0] == "short_body":
            length = len(body) + 50
        if action and action[0] == "cut_mid_line":
            body = body.rstrip(b"\n")[:-3]
            length = len(body)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain; charset=utf-8")
        handler.send_header("Content-Length", str(length))
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
        if action and action[0] == "short_body":
            handler.close_connection = True

    def export_requests(self) -> List[Logged]:
        return [r for r in self.log if "export" in r.path]

    def __enter__(self) -> "PubTatorServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
