"""nginx in front of app nodes, configured with the repository's ``deploy/nginx`` files as production is (linked,
not copied): only the upstream addresses and the listening port are the caller's. Used by the two-node test
(tests/test_two_nodes.py) and the election-day rehearsal's ``--nodes 2`` (benchmarks/election_day.py), so that both
run the very files a deployment installs."""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.gunicorn_server import free_port

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "nginx"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# How production's upstream judges its nodes: deploy/nginx/baucu.conf's server lines as (node index, parameters),
# the n-th address met there being node n, so that the tests' upstream is production's with their own addresses.
_LINES = re.findall(r"^\s*server ([\d.]+:\d+) ?([^;]*);", (DEPLOY / "baucu.conf").read_text(), re.MULTILINE)
_NODES = list(dict.fromkeys(address for address, _ in _LINES))
SERVERS = [(_NODES.index(address), parameters) for address, parameters in _LINES]


class Nginx:
    """nginx in the foreground with a configuration of its own in a temporary directory; ``upstreams`` are the
    nodes' ``host:port`` (a bare port is a node on 127.0.0.1)."""

    def __init__(self, upstreams: list[int | str]) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="nginx-"))
        for name in ("baucu-http.conf", "baucu-proxy.conf", "baucu-headers.conf"):
            (self.dir / name).symlink_to(DEPLOY / name)
        addresses = [f"127.0.0.1:{u}" if isinstance(u, int) else u for u in upstreams]
        servers = "\n".join(f"        server {addresses[i]} {parameters};" for i, parameters in SERVERS
                            if i < len(addresses))
        (self.dir / "nginx.conf").write_text(f"""
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {self.dir}/body;
    proxy_temp_path {self.dir}/proxy;
    fastcgi_temp_path {self.dir}/fastcgi;
    uwsgi_temp_path {self.dir}/uwsgi;
    scgi_temp_path {self.dir}/scgi;
    types {{ text/css css; application/javascript js; image/svg+xml svg; image/png png; }}
    include baucu-http.conf;
    upstream baucu {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        set $baucu_root {ROOT};
        include baucu-proxy.conf;
    }}
}}
""")
        self.process = subprocess.Popen([NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
                                         "-g", "daemon off; user root;"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.process.stderr.read().decode() if self.process.stderr else "nginx")
                time.sleep(0.1)
        raise TimeoutError("nginx did not listen")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        if self.process.stderr:
            self.process.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)
