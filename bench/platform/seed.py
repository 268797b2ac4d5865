"""Seed a PostgreSQL database with the demo town and about a million cases, fast (INSERT … SELECT)."""

from __future__ import annotations

import time

from django.db import connection

STATUS_MIX = [  # (status, share in percent) of a city's case table after a few years
    ("completed", 60),
    ("approved", 5),
    ("rejected", 5),
    ("withdrawn", 3),
    ("submitted", 10),
    ("in_review", 12),
    ("waiting_for_applicant", 5),
]
APPLICANT_POOL = 10_000


def _status_case_sql() -> str:
    parts, edge = [], 0
    for status, share in STATUS_MIX:
        edge += share
        parts.append(f"WHEN mod(g, 100) < {edge} THEN '{status}'")
    return "CASE " + " ".join(parts) + " END"


def seed_cases(*, cases: int, mypage_user_id: int, mypage_cases: int = 50) -> float:
    """Insert `cases` cases (+ one history row each) spread over every procedure; returns seconds taken."""
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO accounts_user (password, email, display_name, kind, role, preferred_language, is_active,"
            " is_staff, is_superuser, date_joined, email_verified_at)"
            " SELECT '!', 'bench' || g || '@example.jp', 'ベンチ住民' || g, 'resident', '', 'ja', true, false, false,"
            " now(), now() FROM generate_series(1, %s) g ON CONFLICT (email) DO NOTHING",
            [APPLICANT_POOL],
        )
        cur.execute("SELECT min(id), max(id) FROM accounts_user WHERE email LIKE 'bench%%@example.jp'")
        first_user, _last_user = cur.fetchone()
        cur.execute(
            "CREATE TEMP TABLE bench_proc AS SELECT row_number() OVER (ORDER BY p.id) - 1 AS n, p.id AS pid,"
            " p.current_version_id AS vid, p.department_id AS did FROM procedures_procedure p"
            " WHERE p.current_version_id IS NOT NULL"
        )
        cur.execute("SELECT count(*) FROM bench_proc")
        (nproc,) = cur.fetchone()
        cur.execute("SELECT min(id), count(*) FROM residents_person")
        first_person, npersons = cur.fetchone()
        data = (
            '{"applicant_name": "緑川 花子", "applicant_kana": "ミドリカワ ハナコ", "birth_date": "1958-04-12",'
            ' "postal_code": "9990101", "address": "みどり県みどり市中央一丁目3番12号", "phone": "0000-00-1234",'
            ' "copies": 1, "purpose": "勤務先への提出"}'
        )
        cur.execute(
            f"""
            INSERT INTO cases_case (reference, channel, procedure_id, procedure_version_id, department_id,
                applicant_id, person_id, applicant_name, data, draft_data, current_step, status, assignee_id,
                created_at, submitted_at, status_changed_at, due_date, closed_at)
            SELECT 'BN' || lpad(g::text, 8, '0'),
                   (ARRAY['online','online','online','counter','paper','api'])[1 + mod(g, 6)],
                   bp.pid, bp.vid, bp.did,
                   CASE WHEN mod(g, 5) = 0 THEN NULL ELSE %s + mod(g, %s) END,
                   %s + mod(g, %s),
                   '申請者' || mod(g, 9973), %s::jsonb, '{{}}'::jsonb, '', {_status_case_sql()}, NULL,
                   now() - mod(g, 1000) * interval '1 day', now() - mod(g, 1000) * interval '1 day',
                   now() - mod(g, 1000) * interval '1 day' + interval '2 days',
                   (now() - mod(g, 1000) * interval '1 day' + interval '7 days')::date, NULL
            FROM generate_series(1, %s) g JOIN bench_proc bp ON bp.n = mod(g, %s)
            """,
            [first_user, APPLICANT_POOL, first_person, npersons, data, cases, nproc],
        )
        cur.execute(
            f"""
            INSERT INTO cases_case (reference, channel, procedure_id, procedure_version_id, department_id,
                applicant_id, person_id, applicant_name, data, draft_data, current_step, status, assignee_id,
                created_at, submitted_at, status_changed_at, due_date, closed_at)
            SELECT 'BM' || lpad(g::text, 8, '0'), 'online', bp.pid, bp.vid, bp.did, %s, NULL, 'マイページ 太郎',
                   %s::jsonb, '{{}}'::jsonb, '', {_status_case_sql()}, NULL,
                   now() - g * interval '7 days', now() - g * interval '7 days', now() - g * interval '6 days',
                   (now() - g * interval '7 days' + interval '7 days')::date, NULL
            FROM generate_series(1, %s) g JOIN bench_proc bp ON bp.n = mod(g, %s)
            """,
            [mypage_user_id, data, mypage_cases, nproc],
        )
        cur.execute(
            "INSERT INTO cases_casehistory (case_id, action, from_status, to_status, actor_id, note,"
            " visible_to_applicant, created_at) SELECT id, 'submit', 'draft', 'submitted', applicant_id, '', true,"
            " submitted_at FROM cases_case WHERE reference LIKE 'B%%'"
        )
        cur.execute("ANALYZE")
    return time.perf_counter() - started
