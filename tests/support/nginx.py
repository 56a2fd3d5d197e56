"""nginx with the shipped site configuration, rendered for a test and run on 127.0.0.1."""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
from pathlib import Path

from .git import REPO, sh, wait_for
from .needs import missing

NGINX_MAIN = """worker_processes 1;
{user}
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
"""


def nginx_binary() -> str:
    """nginx; without it the test fails naming what to install (skipped only with SKIP=nginx)."""
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if found is None:
        missing("nginx")
    return found


def start_nginx(tmp: Path, live: Path, port: int, intake_port: int) -> subprocess.Popen[bytes]:
    """Start nginx with the shipped site configuration, rendered for this test, on 127.0.0.1:`port`."""
    folder = tmp / "nginx"
    folder.mkdir()
    site = sh(REPO, str(REPO / "deploy" / "render"), str(REPO / "deploy" / "nginx.conf"), f"LISTEN=127.0.0.1:{port}",
              "SERVER_NAME=localhost", f"LIVE={live}", f"INTAKE=127.0.0.1:{intake_port}").stdout
    (folder / "site.conf").write_text(site)
    user = "user root;" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(NGINX_MAIN.format(tmp=folder, user=user))
    command = [nginx_binary(), "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", f"daemon off; pid {folder}/nginx.pid;"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=(folder / "stderr.log").open("wb"))

    def answers() -> bool:
        """Whether nginx answers a HEAD request (it must still be running)."""
        assert process.poll() is None, (folder / "stderr.log").read_text() + (folder / "error.log").read_text()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("HEAD", "/")
            conn.getresponse()
            conn.close()
            return True
        except OSError:
            return False

    wait_for(answers, 15, "nginx")
    return process
