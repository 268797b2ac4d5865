"""Sign-in and email limits against a real `madoguchi serve` with several gunicorn workers (loopback only).

    .venv/bin/python -m bench.security.run [--workers 3] [--database-url URL] [--src DIR] [--port 8781]

Starts `madoguchi serve --workers N` on 127.0.0.1 with a fresh SQLite file in a temporary directory (or
`--database-url`, e.g. a PostgreSQL database of your own, which it migrates and fills), creates the
accounts it needs, and sends a bounded number of requests (about 200) through the sign-in and resend
pages as a browser would (GET for the CSRF token, then POST). Clients use distinct loopback source
addresses (127.0.0.x) so that the server sees distinct client IPs:

1. brute force: 60 wrong passwords for one account from 3 concurrent clients, each from its own IP (only the
   per-account limit applies), then the right password from a fourth IP;
2. password spraying: one IP, 3 concurrent clients; before each pair of guesses at another account the
   client signs in to its own account (which used to reset the IP's counter); 54 guesses in all;
3. verification resend: 30 requests for one unconfirmed address from one IP, 3 concurrent clients;
   the emails sent are counted in the server's console output;
4. charset: one Shift_JIS form post (with a valid CSRF token) to each of /login/, /signup/, /faq/,
   /i18n/setlang/ and /office/login/; the HTTP status of each.

"checked" = the page said the email address or password is wrong (the password was hashed and compared);
"refused" = the page said to wait (the limit). `--src` runs another checkout's code (e.g. an exported
older release) with this virtualenv, to measure before and after. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "right-password-bench-2026"
CHECKED = "メールアドレスかパスワードが正しくありません"
REFUSED = "ログインの失敗が続いたため"
RESEND_LIMITED = "短い時間に何度もメールの送信が依頼されました"


class Browser:
    """A minimal browser on one loopback source address: cookies, CSRF token, form posts."""

    def __init__(self, port: int, source_ip: str) -> None:
        self.port, self.source_ip, self.cookies = port, source_ip, {}

    def _request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, dict]:
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=120, source_address=(self.source_ip, 0)
        )
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{self.port}{path}",
                "Origin": f"http://127.0.0.1:{self.port}",
            }
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, text, dict(response.getheaders())

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        _status, page, _ = self._request("GET", path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields})
        status, text, _ = self._request("POST", path, body)
        return status, text

    def sign_in(self, email: str, password: str) -> str:
        """'ok' (redirected), 'checked' (wrong password), 'refused' (limit) or 'other'."""
        self.cookies.pop("sessionid", None)
        status, page = self.post_form("/login/", {"email": email, "password": password})
        if status == 302:
            return "ok"
        if CHECKED in page:
            return "checked"
        if REFUSED in page:
            return "refused"
        return "other"


def _env(args, var_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MADOGUCHI_", "DATABASE_URL"))}
    env.update(
        MADOGUCHI_VAR_DIR=str(var_dir),
        MADOGUCHI_EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        MADOGUCHI_LOG_LEVEL="WARNING",
        PYTHONPATH=str(args.src),
        DJANGO_SETTINGS_MODULE="madoguchi.settings",
    )
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    return env


SETUP = """
import django; django.setup()
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from madoguchi.accounts.models import User
hashed = make_password({password!r})
emails = ["target@example.jp", "sprayer@example.jp"] + [f"victim{{n}}@example.jp" for n in range(27)]
User.objects.bulk_create(
    [User(email=e, password=hashed, kind="resident", email_verified_at=timezone.now()) for e in emails]
    + [User(email="unconfirmed@example.jp", password=hashed, kind="resident")]
)
"""


def _parallel(jobs: list, run) -> list:
    results: list = [None] * len(jobs)

    def work(index: int) -> None:
        results[index] = run(jobs[index])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def brute_force(port: int) -> dict:
    def client(n: int) -> Counter:
        browser = Browser(port, f"127.0.0.{11 + n}")
        return Counter(browser.sign_in("target@example.jp", f"wrong-{n}-{i}") for i in range(20))

    counts = sum(_parallel([0, 1, 2], client), Counter())
    right = Browser(port, "127.0.0.14").sign_in("target@example.jp", PASSWORD)
    return {"wrong": 60, "checked": counts["checked"], "refused": counts["refused"], "right_password": right}


def spraying(port: int) -> dict:
    def client(n: int) -> Counter:
        browser, counts = Browser(port, "127.0.0.21"), Counter()
        for victim in range(n, 27, 3):
            counts["own_" + browser.sign_in("sprayer@example.jp", PASSWORD)] += 1
            for guess in ("Summer2026!", "Password123"):
                counts[browser.sign_in(f"victim{victim}@example.jp", guess)] += 1
        return counts

    counts = sum(_parallel([0, 1, 2], client), Counter())
    return {
        "guesses": 54,
        "checked": counts["checked"],
        "refused": counts["refused"],
        "own_ok": counts["own_ok"],
    }


def resend(port: int) -> dict:
    def client(n: int) -> Counter:
        browser, counts = Browser(port, "127.0.0.31"), Counter()
        for _ in range(10):
            status, page = browser.post_form("/verify/resend/", {"email": "unconfirmed@example.jp"})
            counts["limited" if RESEND_LIMITED in page else str(status)] += 1
        return counts

    counts = sum(_parallel([0, 1, 2], client), Counter())
    return {"requests": 30, **counts}


def charset(port: int) -> dict:
    statuses = {}
    for path in ("/login/", "/signup/", "/faq/", "/i18n/setlang/", "/office/login/"):
        browser = Browser(port, "127.0.0.41")
        _status, page, _ = browser._request("GET", "/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=60, source_address=("127.0.0.41", 0)
        )
        body = f"csrfmiddlewaretoken={token}&email=%97%CE%40example.jp&password=%97%CE&q=%97%CE&language=en"
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=shift_jis",
                "Cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items()),
                "Referer": f"http://127.0.0.1:{port}/login/",
            },
        )
        statuses[path] = connection.getresponse().status
        connection.close()
    return statuses


def _wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server stopped; see its log")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/login/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not answer within 3 minutes")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=8781)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument(
        "--src", type=Path, default=ROOT / "src", help="the code to serve (default: this checkout)"
    )
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="madoguchi-bench-security-"))
    env = _env(args, var_dir)
    python = sys.executable
    log_path = var_dir / "server.log"
    try:
        subprocess.run(
            [python, "-m", "madoguchi.cli", "migrate", "--noinput", "-v", "0"], env=env, check=True
        )
        subprocess.run([python, "-c", SETUP.format(password=PASSWORD)], env=env, check=True)
        with log_path.open("w") as log:
            server = subprocess.Popen(
                [python, "-m", "madoguchi.cli", "serve", "--host", "127.0.0.1", "--port", str(args.port),
                 "--workers", str(args.workers)],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                _wait_until_up(args.port, server)
                results = {"brute force": brute_force(args.port), "spraying": spraying(args.port)}
                results["resend"] = resend(args.port)
                results["charset"] = charset(args.port)
            finally:
                server.terminate()
                server.wait(timeout=30)
        emails = log_path.read_text(errors="replace").count("unconfirmed@example.jp")
        results["resend"]["emails_sent"] = emails
        print(
            f"madoguchi serve --workers {args.workers}; code: {args.src}; database: {args.database_url or 'SQLite file'}"
        )
        for name, figures in results.items():
            print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
