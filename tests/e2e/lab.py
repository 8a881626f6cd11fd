"""A throwaway JupyterLab server and the browser-side helpers the e2e tests use.

The server runs on a *copy* of the lessons: running cells in the browser makes
every notebook dirty, and JupyterLab's autosave would otherwise overwrite the
stored, nbval-checked outputs. Settings, workspaces, runtime files and the
IPython profile live in a temporary directory too, so no state leaks between
runs (or from the developer's own ``~/.jupyter``). Token authentication stays
on; the token is random per run.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "e2e"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in a container
    "--disable-dev-shm-usage",  # /dev/shm is tiny in containers
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--metrics-recording-only",
    "--mute-audio",
]

# Lab user settings: no autosave (belt and braces on top of the copy), no news
# or update checks (the machine may be offline; a toast could cover the page),
# and every cell in the DOM (Lab 4 otherwise renders only cells near the view).
_USER_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False,
        "fetchNews": "false",
    },
}


def lesson_dir() -> Path:
    """Where the lessons come from (``E2E_NOTEBOOKS`` overrides, for development)."""
    return Path(os.environ.get("E2E_NOTEBOOKS", REPO / "notebooks")).resolve()


def lessons() -> list[Path]:
    """Every lesson notebook, in course order."""
    return sorted(lesson_dir().glob("[0-9][0-9]_*.ipynb"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """Start JupyterLab on 127.0.0.1 with a known token; always stop it again.

    Use as a context manager. ``url(path)`` gives an authenticated URL,
    ``get(path, token=...)`` a raw HTTP status, for checking the auth itself.
    """

    def __init__(self, source: Path, *, startup_timeout: float = 90.0) -> None:
        self.source = source
        self.startup_timeout = startup_timeout
        self.token = secrets.token_hex(24)
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._log = None

    # -- lifecycle --------------------------------------------------------
    def __enter__(self) -> LabServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="softmax-e2e-")
        tmp = Path(self._tmp.name)
        self.root = tmp / "notebooks"
        shutil.copytree(self.source, self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        settings = tmp / "user-settings"
        for rel, value in _USER_SETTINGS.items():
            path = settings / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        for sub in ("config", "runtime", "workspaces", "ipython"):
            (tmp / sub).mkdir()
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(tmp / "config"),
            JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
            IPYTHONDIR=str(tmp / "ipython"),
        )
        env.pop("MPLBACKEND", None)  # inline figures need the kernel's default backend
        self.port = _free_port()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        # One server per pytest-xdist worker (make e2e), each with its own log.
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        log = f"jupyterlab-{worker}.log" if worker else "jupyterlab.log"
        self.log_path = ARTIFACTS / log
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: the command registry
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--ServerApp.terminals_enabled=False",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # CI containers run as root
        # A new session: on shutdown the whole group (server + kernels) can be signalled.
        self.proc = subprocess.Popen(
            cmd,
            cwd=tmp,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with code {self.proc.returncode} during startup; "
                    f"see {self.log_path}"
                )
            if self.get("/api/status", token=self.token) == 200:
                return
            time.sleep(0.25)
        raise TimeoutError(f"JupyterLab did not answer within {self.startup_timeout} s")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            # SIGTERM lets the server shut its kernels down; escalate if it hangs.
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
        if proc is not None:
            proc.wait(timeout=10)
            # Kernels live in the server's process group; sweep up stragglers.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # -- HTTP ---------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    def get(self, path: str, *, token: str | None = None) -> int:
        """HTTP status of GET ``path`` (redirects not followed), token in the header."""
        return self.request(path, token=token)[0]

    def request(self, path: str, *, token: str | None = None) -> tuple[int, dict[str, str]]:
        """Status and headers of GET ``path``; status 0 if the server does not answer."""
        request = urllib.request.Request(self.base + path)
        if token is not None:
            request.add_header("Authorization", f"token {token}")
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as err:
            headers = dict(err.headers)
            err.close()
            return err.code, headers
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return 0, {}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


# -- browser side ---------------------------------------------------------------
# JavaScript run in the page. JupyterLab exposes its application object as
# window.jupyterapp (--LabApp.expose_app_in_browser); the notebook commands
# are the same ones the "Run > Run All Cells" menu calls.

JS_NOTEBOOK_READY = """(name) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return false;
  const panel = app.shell.currentWidget;
  if (!panel || !panel.context || panel.context.path !== name) return false;
  const sc = panel.sessionContext;
  return panel.context.isReady && sc.isReady && !!sc.session && !!sc.session.kernel
    && sc.session.kernel.connectionStatus === 'connected'
    && sc.kernelDisplayStatus === 'idle';
}"""

JS_START_RUN_ALL = """async () => {
  const app = window.jupyterapp;
  window.__e2eRun = {done: false, error: null};
  app.shell.activateById(app.shell.currentWidget.id);
  app.commands.execute('notebook:run-all-cells').then(
    () => { window.__e2eRun.done = true; },
    (err) => { window.__e2eRun.done = true; window.__e2eRun.error = String(err); });
}"""

# Finished = the command resolved, no code cell is queued or running ([*]) and
# the kernel is idle again. (After an error the rest stay unexecuted: the
# report shows them with count null rather than the wait timing out.)
JS_RUN_FINISHED = """() => {
  if (!window.__e2eRun || !window.__e2eRun.done) return false;
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  const pending = cells.some(c => {
    if (c.model.executionState === 'running') return true;
    const prompt = c.node.querySelector('.jp-InputPrompt');
    return prompt !== null && prompt.textContent.includes('*');
  });
  return !pending && panel.sessionContext.kernelDisplayStatus === 'idle';
}"""

# Per code cell: index, execution count, error outputs and stderr text.
JS_CELL_REPORT = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const report = [];
  panel.content.widgets.forEach((cell, index) => {
    if (cell.model.type !== 'code') return;
    const outputs = cell.model.outputs.toJSON();
    report.push({
      index,
      count: cell.model.executionCount,
      errors: outputs.filter(o => o.output_type === 'error')
        .map(o => `${o.ename}: ${o.evalue}`),
      stderr: outputs.filter(o => o.output_type === 'stream' && o.name === 'stderr')
        .map(o => Array.isArray(o.text) ? o.text.join('') : o.text),
    });
  });
  return {runError: window.__e2eRun.error, cells: report};
}"""

# Bounded: a hung shutdown must not hang the test (the server stops them all at the end).
JS_SHUTDOWN_KERNEL = """async () => {
  const app = window.jupyterapp;
  const panel = app && app.shell ? app.shell.currentWidget : null;
  if (!panel || !panel.sessionContext) return;
  const timeout = new Promise(resolve => setTimeout(resolve, 20000));
  await Promise.race([panel.sessionContext.shutdown(), timeout]);
}"""


def open_notebook(page, server: LabServer, name: str, *, timeout_ms: float = 120_000) -> None:
    """Open ``name`` in Lab and wait until its kernel is connected and idle.

    Each call uses a new, empty workspace: the default one would restore the
    tabs (and start the kernels) of every notebook opened before.
    """
    workspace = f"e2e-{secrets.token_hex(4)}"
    page.goto(server.url(f"/lab/workspaces/{workspace}/tree/{name}"), wait_until="domcontentloaded")
    page.wait_for_function(JS_NOTEBOOK_READY, arg=name, timeout=timeout_ms, polling=250)


def run_all_cells(page, *, timeout_ms: float = 300_000) -> dict:
    """Run > Run All Cells on the current notebook; wait for the end; report the cells."""
    page.evaluate(JS_START_RUN_ALL)
    page.wait_for_function(JS_RUN_FINISHED, timeout=timeout_ms, polling=250)
    return page.evaluate(JS_CELL_REPORT)


def shutdown_kernel(page) -> None:
    """Stop the current notebook's kernel; never raises (it runs in ``finally`` blocks)."""
    try:
        page.evaluate(JS_SHUTDOWN_KERNEL)
    except Exception:  # noqa: BLE001 - the page may be gone; the server cleans up anyway
        pass
