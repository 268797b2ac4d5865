import subprocess
import sys


def test_importing_jp_loads_no_django_and_no_heavy_data():
    code = (
        "import sys, madoguchi.jp as jp; "
        "jp.parse_date('令和6年1月31日'); jp.is_valid_my_number('123456789018'); "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'ninja', 'celery', 'sudachipy', 'zengin_code')]; "
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
