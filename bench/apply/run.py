"""Double clicks on "apply" and retried API calls against a real `madoguchi serve` (probe finding 3; loopback).

    .venv/bin/python -m bench.apply.run [--pairs 10] [--workers 3] [--postgres URL] [--src DIR]

Starts `madoguchi serve --workers N` like `bench.uploads.run` (a fresh SQLite file in a temporary directory,
or `--postgres`), signs a resident in, and then, `--pairs` times each:

1. two parallel clicks on 「オンラインで申請する」 for the same procedure (the same session, released together):
   a POST with the page's CSRF token (GET for code before the fix, where the button was a link); the drafts
   the resident has afterwards are counted, then deleted for the next pair;
2. two parallel identical API applications (POST /api/v1/me/cases) with one Idempotency-Key per pair, and
   two without a key; the cases each pair made are counted.

`--src` runs another checkout's code with this virtualenv (see bench.uploads.run); `--postgres URL` serves
from a PostgreSQL database created afresh instead of SQLite (where writers are serialised, races are rarer).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import threading
import uuid
from collections import Counter
from pathlib import Path

from bench.uploads.run import ROOT, STEPS, Browser, running_server

APPLY = "/procedures/juminhyo-copy/apply/"
DATA = {**STEPS["applicant"], **STEPS["certificate"], "delivery_method": "counter", "agree": True}


def _together(*calls) -> list:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait(timeout=30)
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _connect(database: Path | str):
    if isinstance(database, str):
        import psycopg

        return psycopg.connect(database, autocommit=True)
    return sqlite3.connect(database)


def _count(database: Path | str, sql: str) -> int:
    db = _connect(database)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def _execute(database: Path | str, sql: str) -> None:
    db = _connect(database)
    try:
        db.execute(sql)
        db.commit()
    finally:
        db.close()


def _fresh_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=8792)
    parser.add_argument("--src", type=Path, default=ROOT / "src")
    parser.add_argument(
        "--postgres",
        default="",
        metavar="URL",
        help="serve from this PostgreSQL database, dropped and created afresh (e.g. "
        "postgres://postgres@127.0.0.1:5432/madoguchi_bench_apply); default: a fresh SQLite file",
    )
    args = parser.parse_args()
    if args.postgres:
        _fresh_postgres(args.postgres)
    server = running_server(src=args.src, workers=args.workers, port=args.port, database_url=args.postgres)
    with server as (var_dir, _log):
        database = args.postgres or var_dir / "madoguchi.sqlite3"
        log: list = []
        first = Browser(args.port, log)
        first.post("/login/", {"email": "resident0@example.jp", "password": "bench-uploads-password-2026"})
        token = first.token("/procedures/juminhyo-copy/")
        second = Browser(args.port, log)
        second.cookies = dict(first.cookies)

        def click(browser: Browser):
            status, *_ = browser.post(APPLY, {}, token_from="/procedures/juminhyo-copy/")
            if status == 405:  # before the fix: the button was a link
                status, *_ = browser.request("GET", APPLY)
            return status

        drafts = Counter()
        statuses = Counter()
        for _pair in range(args.pairs):
            for status in _together(lambda: click(first), lambda: click(second)):
                statuses[status] += 1
            drafts[_count(database, "SELECT count(*) FROM cases_case WHERE status = 'draft'")] += 1
            _execute(database, "DELETE FROM cases_case WHERE status = 'draft'")

        def api(browser: Browser, key: str | None):
            headers_token = browser.cookies.get("csrftoken", token)
            body = json.dumps({"procedure": "juminhyo-copy", "data": DATA}).encode()
            extra = {"X-CSRFToken": headers_token}
            if key:
                extra["Idempotency-Key"] = key
            return request_with_headers(browser, "/api/v1/me/cases", body, extra)

        with_key, without_key, api_statuses = Counter(), Counter(), Counter()
        for _pair in range(args.pairs):
            before = _count(database, "SELECT count(*) FROM cases_case WHERE status = 'submitted'")
            key = str(uuid.uuid4())
            for status in _together(lambda k=key: api(first, k), lambda k=key: api(second, k)):
                api_statuses[status] += 1
            with_key[
                _count(database, "SELECT count(*) FROM cases_case WHERE status = 'submitted'") - before
            ] += 1
            before = _count(database, "SELECT count(*) FROM cases_case WHERE status = 'submitted'")
            _together(lambda: api(first, None), lambda: api(second, None))
            without_key[
                _count(database, "SELECT count(*) FROM cases_case WHERE status = 'submitted'") - before
            ] += 1

    print(
        f"code: {args.src}; workers: {args.workers}; pairs: {args.pairs}; database: {args.postgres or 'SQLite'}"
    )
    print(
        f"apply, two parallel clicks: drafts per pair {dict(sorted(drafts.items()))}; answers {dict(statuses)}"
    )
    print(
        f"API with one Idempotency-Key per pair: cases per pair {dict(sorted(with_key.items()))}; answers {dict(api_statuses)}"
    )
    print(f"API without a key: cases per pair {dict(sorted(without_key.items()))}")


def request_with_headers(browser: Browser, path: str, body: bytes, headers: dict) -> int:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", browser.port, timeout=60)
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    connection.request(
        "POST",
        path,
        body=body,
        headers={
            "Cookie": cookie,
            "Content-Type": "application/json",
            "Referer": f"http://127.0.0.1:{browser.port}/",
            "Origin": f"http://127.0.0.1:{browser.port}",
            **headers,
        },
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


if __name__ == "__main__":
    main()
