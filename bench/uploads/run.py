"""Hostile PDF uploads against a real `madoguchi serve` without a broker (probe finding 1; loopback only).

    .venv/bin/python -m bench.uploads.run [--workers 3] [--database-url URL] [--src DIR] [--port 8791]

Starts `madoguchi serve --workers N` (gunicorn, DEBUG off, no Celery broker: tasks "eager", as the probe
ran it) on 127.0.0.1 with a fresh SQLite file in a temporary directory (or `--database-url`), publishes the
repository's procedures, creates a resident and a 市民課 staff account, and then:

1. three residents at once each fill in 住民票の写しの交付請求 as a browser would (sign in, the apply button,
   the steps) and upload a hostile PDF in the delivery step — two of the 2.7 KB file (20 pages × 300
   page-sized filled rectangles) and one of the 0.8 KB file (1 page × 2,000) — and submit;
2. meanwhile a probe client asks for the catalog page every 0.25 s (is the site still answering?);
3. a staff member signs in and downloads every attachment, twice;
4. it waits for every attachment to leave "pending" (at most 180 s).

It reports every web request's time (the slowest upload, the slowest request of all, the probe's slowest
answer and its failures), how the renderings ended (status, reason, seconds after the upload), the gunicorn
workers that timed out or were started again ("no worker died" = 0 and 0), and the server's 5xx answers.
`--src` runs another checkout's code with this virtualenv (e.g. `git archive b247d17 | tar -x -C /tmp/before`
then `--src /tmp/before/src`) to measure before and after; that code's apply button is a link (GET).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from madoguchi.cases.tests.sample_files import rectangles_pdf  # noqa: E402 - the generator, pure Python

PASSWORD = "bench-uploads-password-2026"
STEPS = {
    "applicant": {
        "applicant_name": "緑 太郎",
        "applicant_kana": "ミドリ タロウ",
        "applicant_birth_date": "1985-04-01",
        "applicant_postal_code": "1000001",
        "applicant_address": "東京都千代田区千代田1-1",
        "applicant_phone": "0312345678",
    },
    "certificate": {"scope": "self", "copies": "1", "purpose": "license"},
}
SETUP = """
import django; django.setup()
from django.conf import settings
from django.core.management import call_command
from django.contrib.auth.hashers import make_password
from django.utils import timezone
call_command("migrate", verbosity=0)
from madoguchi.accounts.models import Department, User
from madoguchi.demo.services import ensure_departments
from madoguchi.procedures.services import sync_procedures
ensure_departments()
sync_procedures(directory=settings.PROCEDURES_DIR)
hashed = make_password({password!r})
department = Department.objects.get(code="shimin")
for n in range(3):
    User.objects.create(email=f"resident{{n}}@example.jp", password=hashed, kind="resident",
                        email_verified_at=timezone.now())
User.objects.create(email="staff@example.jp", password=hashed, kind="staff", department=department,
                    role="approver", display_name="市民課 職員")
"""


class Browser:
    """A minimal browser: cookies, CSRF tokens, form and multipart posts; every request timed."""

    def __init__(self, port: int, log: list) -> None:
        self.port, self.cookies, self.log = port, {}, log

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = ""):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers |= {
                "Content-Type": content_type,
                "Referer": f"http://127.0.0.1:{self.port}{path}",
                "Origin": f"http://127.0.0.1:{self.port}",
            }
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            status = response.status
            found = response.getheader("Location", "")
            cookies = [v for h, v in response.getheaders() if h.lower() == "set-cookie"]
        except (OSError, http.client.HTTPException) as exc:
            status, payload, found, cookies = 0, str(exc).encode(), "", []
        seconds = time.perf_counter() - started
        connection.close()
        self.log.append((method, path.split("?")[0], status, seconds, started))
        for value in cookies:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return status, payload.decode("utf-8", "replace"), found, seconds

    def token(self, path: str) -> str:
        _status, page, _found, _seconds = self.request("GET", path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        return match.group(1) if match else self.cookies.get("csrftoken", "")

    def post(self, path: str, fields: dict, files: dict | None = None, token_from: str | None = None):
        fields = {"csrfmiddlewaretoken": self.token(token_from or path), **fields}
        if not files:
            body = urllib.parse.urlencode(fields).encode()
            return self.request("POST", path, body, "application/x-www-form-urlencoded")
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        for name, (filename, data) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: application/pdf\r\n\r\n".encode()
                + data
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, body, f"multipart/form-data; boundary={boundary}")


def apply_with(port: int, n: int, filename: str, data: bytes, log: list, uploads: list) -> str:
    """One resident: sign in, open a draft, fill the steps, upload, submit; returns the case reference."""
    browser = Browser(port, log)
    browser.post("/login/", {"email": f"resident{n}@example.jp", "password": PASSWORD})
    status, _page, found, _s = browser.post(
        "/procedures/juminhyo-copy/apply/", {}, token_from="/procedures/juminhyo-copy/"
    )
    if status == 405:  # the code before the fix: the apply button was a link
        status, _page, found, _s = browser.request("GET", "/procedures/juminhyo-copy/apply/")
    reference = re.search(r"/applications/([^/]+)/", found).group(1)
    for step, fields in STEPS.items():
        browser.post(f"/applications/{reference}/step/{step}/", fields)
    status, _page, _found, seconds = browser.post(
        f"/applications/{reference}/step/delivery/",
        {"delivery_method": "mail", "agree": "on"},
        files={"id_document": (filename, data)},
    )
    uploads.append((filename, status, seconds))
    browser.post(f"/applications/{reference}/review/", {})
    return reference


def probe(port: int, stop: threading.Event, samples: list) -> None:
    browser = Browser(port, [])
    while not stop.is_set():
        status, _page, _found, seconds = browser.request("GET", "/procedures/")
        samples.append((status, seconds))
        stop.wait(0.25)


def download_all(port: int, references: list[str], database: Path, log: list, downloads: list) -> None:
    browser = Browser(port, log)
    browser.post("/office/login/", {"email": "staff@example.jp", "password": PASSWORD})
    for reference in references:
        browser.request("GET", f"/office/cases/{reference}/")
        with sqlite3.connect(database) as db:
            rows = db.execute(
                "SELECT a.id FROM cases_caseattachment a JOIN cases_case c ON c.id = a.case_id "
                "WHERE c.reference = ?",
                [reference],
            )
            ids = [row[0] for row in rows]
        for attachment in ids:
            for _round in range(2):
                status, _p, _f, seconds = browser.request(
                    "GET", f"/office/cases/{reference}/attachments/{attachment}/"
                )
                downloads.append((reference, status, seconds))


def attachments(database: Path) -> list[tuple]:
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT original_name, render_status, render_failure, created_at, rendered_at "
            "FROM cases_caseattachment ORDER BY id"
        ).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument(
        "--src", type=Path, default=ROOT / "src", help="the code to serve (default: this one)"
    )
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument(
        "--without-drawing-caps",
        action="store_true",
        help="lift the page-operation and overdraw caps, so that only the rendering process's CPU, memory "
        "and time limits stop the files (a file whose drawing the measuring would miss)",
    )
    args = parser.parse_args()
    extra = {}
    if args.without_drawing_caps:
        extra = {
            "MADOGUCHI_RENDER_MAX_OVERDRAW": "1000000000",
            "MADOGUCHI_RENDER_MAX_PAGE_OPERATIONS": "1000000000",
        }
    with running_server(
        src=args.src, workers=args.workers, port=args.port, database_url=args.database_url, extra_env=extra
    ) as (var_dir, server_log):
        report(args, var_dir, server_log)


@contextlib.contextmanager
def running_server(
    *, src: Path, workers: int, port: int, database_url: str = "", extra_env: dict | None = None
) -> Iterator[tuple[Path, Path]]:
    """`madoguchi serve` of the code in `src` on 127.0.0.1:`port`, set up (SETUP) and warmed up; yields its
    var directory and its log file, and stops it and removes the directory afterwards."""
    var_dir = Path(tempfile.mkdtemp(prefix="madoguchi-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MADOGUCHI_", "DATABASE_URL"))}
    env.update(
        MADOGUCHI_VAR_DIR=str(var_dir),
        MADOGUCHI_LOG_LEVEL="WARNING",
        MADOGUCHI_PROCEDURES_DIR=str(ROOT / "procedures"),
        PYTHONPATH=str(src),
        DJANGO_SETTINGS_MODULE="madoguchi.settings",
        **(extra_env or {}),
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    subprocess.run([sys.executable, "-c", SETUP.format(password=PASSWORD)], env=env, check=True, cwd=var_dir)
    server_log = var_dir / "server.log"
    command = [sys.executable, "-m", "madoguchi", "serve", "--workers", str(workers), "--port", str(port)]
    with server_log.open("wb") as log_file:
        server = subprocess.Popen(command, env=env, cwd=var_dir, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/")
                break
            except OSError:
                time.sleep(0.2)
        warm_up(port, workers)
        yield var_dir, server_log
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(var_dir, ignore_errors=True)


def warm_up(port: int, workers: int) -> None:
    """Until every worker answers the pages used here quickly (each loads its code on its first requests)."""
    paths = ("/", "/procedures/", "/login/", "/procedures/juminhyo-copy/", "/office/login/")
    for _round in range(30):
        samples: list = []

        def visit(samples: list = samples) -> None:
            browser = Browser(port, samples)
            for path in paths:
                browser.request("GET", path)

        threads = [threading.Thread(target=visit) for _ in range(workers * 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if max(entry[3] for entry in samples) < 1.0:
            return
    print("warning: the server did not warm up")


def report(args, var_dir: Path, server_log: Path) -> None:
    files = [
        ("twenty-pages.pdf", rectangles_pdf(pages=20, rectangles=300)),
        ("twenty-pages-2.pdf", rectangles_pdf(pages=20, rectangles=300)),
        ("one-page.pdf", rectangles_pdf(pages=1, rectangles=2000)),
    ]
    print(f"files: {', '.join(f'{name} {len(data):,} bytes' for name, data in files)}")
    log: list = []
    uploads: list = []
    samples: list = []
    stop = threading.Event()
    prober = threading.Thread(target=probe, args=(args.port, stop, samples))
    prober.start()
    references: list = [None] * len(files)

    def resident(n: int) -> None:
        references[n] = apply_with(args.port, n, files[n][0], files[n][1], log, uploads)

    started = time.perf_counter()
    threads = [threading.Thread(target=resident, args=(n,)) for n in range(len(files))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    database = var_dir / "madoguchi.sqlite3"
    downloads: list = []
    download_all(args.port, [r for r in references if r], database, log, downloads)
    deadline = time.perf_counter() + 180
    while not args.database_url and time.perf_counter() < deadline:
        if all(row[1] != "pending" for row in attachments(database)):
            break
        time.sleep(0.5)
    settled = time.perf_counter() - started
    stop.set()
    prober.join()

    caps = "lifted" if args.without_drawing_caps else "as configured"
    print(f"\nworkers: {args.workers}; code: {args.src}; drawing caps: {caps}")
    for name, status, seconds in uploads:
        print(f"upload {name}: HTTP {status} in {seconds:.3f} s")
    for reference, status, seconds in downloads:
        print(f"staff download ({reference}): HTTP {status} in {seconds:.3f} s")
    if os.environ.get("BENCH_VERBOSE"):
        for method, path, status, seconds, at in sorted(log, key=lambda entry: entry[4]):
            print(f"  {at - started:7.2f} {method} {path} {status} {seconds:.3f}")
    slowest = max(log, key=lambda entry: entry[3])
    print(
        f"slowest web request of all {len(log)}: {slowest[0]} {slowest[1]} HTTP {slowest[2]} in {slowest[3]:.3f} s"
    )
    errors = [entry for entry in log if entry[2] == 0 or entry[2] >= 500]
    print(f"requests answered 5xx or not at all: {len(errors)}")
    probe_seconds = [seconds for _status, seconds in samples]
    probe_failed = sum(1 for status, _seconds in samples if status != 200)
    if probe_seconds:
        print(
            f"probe GET /procedures/ every 0.25 s: {len(samples)} requests, failed {probe_failed}, "
            f"p50 {statistics.median(probe_seconds) * 1000:.0f} ms, max {max(probe_seconds) * 1000:.0f} ms"
        )
    if not args.database_url:
        for name, status, failure, created, rendered in attachments(database):
            took = ""
            if rendered:
                seconds = (
                    dt.datetime.fromisoformat(rendered) - dt.datetime.fromisoformat(created)
                ).total_seconds()
                took = f", {seconds:.1f} s after the upload"
            print(f"rendering of {name}: {status}{f' ({failure})' if failure else ''}{took}")
    print(f"all settled after {settled:.1f} s")
    text = server_log.read_text("utf-8", "replace")
    boots = len(re.findall(r"Booting worker with pid", text))
    print(
        f"gunicorn: WORKER TIMEOUT {text.count('WORKER TIMEOUT')}, workers killed "
        f"{len(re.findall(r'was sent SIGKILL|Worker .* was sent', text))}, workers started again "
        f"{max(boots - args.workers, 0)}"
    )


if __name__ == "__main__":
    main()
