"""Start a JupyterLab command, check it is safe to leave running, stop it.

Usage: python scripts/check_lab.py -- COMMAND... ('{port}' in it becomes a free port)

CI runs it on ``make lab`` and ``softmax-course lab DIR`` (``make lab-check``). It checks
that the server listens on 127.0.0.1 only (the kernel's socket table, /proc/net/tcp*), that
a request without the token is refused and one with the token printed is answered, then
stops the whole process group (the server and its kernels).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

STARTUP_TIMEOUT = 180.0  # s: make lab may first have to (re)install .venv


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket in LISTEN state on ``port`` (Linux /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:
                if len(address) == 8:  # IPv4, little-endian
                    found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
                else:
                    raw = bytes.fromhex(address)
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def status(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"token {token}")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def main(argv: list[str]) -> int:
    if "--" not in argv:
        sys.exit(__doc__)
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in argv[argv.index("--") + 1 :]]
    print("starting:", " ".join(command), flush=True)
    log = tempfile.NamedTemporaryFile(prefix="check-lab-", suffix=".log", delete=False)
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    token = None
    started = time.monotonic()
    try:
        while time.monotonic() - started < STARTUP_TIMEOUT:
            text = Path(log.name).read_text(errors="replace")
            match = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=([0-9a-f]+)", text)
            if match and status(f"http://127.0.0.1:{port}/api/status", match.group(1)) == 200:
                token = match.group(1)
                break
            if proc.poll() is not None:
                print(text[-3000:])
                print(f"FAIL: the command exited with {proc.returncode} before serving")
                return 1
            time.sleep(0.5)
        if token is None:
            print(Path(log.name).read_text(errors="replace")[-3000:])
            print(f"FAIL: no token URL on 127.0.0.1:{port} within {STARTUP_TIMEOUT:.0f} s")
            return 1
        base = f"http://127.0.0.1:{port}"
        addresses = listening_addresses(port)
        checks = {
            f"listens on 127.0.0.1 only ({sorted(addresses)})": addresses == {"127.0.0.1"},
            "the token is long (>= 32 hex digits)": len(token) >= 32,
            "GET /api/status without the token is refused (403)": status(f"{base}/api/status")
            == 403,
            "GET /api/status with a wrong token is refused (403)": status(
                f"{base}/api/status", "0" * len(token)
            )
            == 403,
            "GET /lab without the token redirects to the login page (302)": status(f"{base}/lab")
            == 302,
            "GET /api/contents with the token answers (200)": status(f"{base}/api/contents", token)
            == 200,
        }
        for name, ok in checks.items():
            print(("ok   " if ok else "FAIL ") + name)
        print(f"started in {time.monotonic() - started:.1f} s")
        return 0 if all(checks.values()) else 1
    finally:
        for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # kernels left in the group
        except ProcessLookupError:
            pass
        log.close()
        os.unlink(log.name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
