"""The guide pages without JavaScript: plain GET requests, as a browser with scripts off sends them."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape

import pytest
from django.urls import reverse

from madoguchi.accounts.models import AssuranceLevel, IdentityLink, LinkMethod
from madoguchi.accounts.tests.factories import ResidentFactory, StaffFactory
from madoguchi.core.models import AuditEvent
from madoguchi.counter import selectors
from madoguchi.procedures.tests.factories import sync_repository_procedures
from madoguchi.residents.models import Person
from madoguchi.residents.services import import_registry_csv
from madoguchi.residents.tests.factories import registry_csv, registry_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def town(db):
    """The seven departments of the demo town and the repository's procedures, published."""
    sync_repository_procedures()


def page(response) -> str:
    return response.content.decode()


def text_of(html: str) -> str:
    """The visible text, tags removed and white space folded (to look for sentences across tags)."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def checked_values(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="radio" id="[^"]+" name="{name}" value="([^"]*)" checked', html)


def test_index_lists_the_life_events(client, town):
    response = client.get("/guide/")
    html = page(response)
    assert response.status_code == 200
    for path, title in (
        ("/guide/birth/", "子どもが生まれたとき（出生）"),
        ("/guide/death/", "おくやみ（ご家族が亡くなったとき）"),
        ("/guide/turning-65/", "65歳になったとき"),
        ("/guide/leaving-job/", "会社を辞めたとき（退職・離職）"),
    ):
        assert f'<a href="{path}">{title}</a>' in html
    assert html.count('class="card"') == 10


def test_home_links_to_the_guide_and_keeps_the_chips(client, town):
    html = page(client.get("/"))
    assert '<a class="button" href="/guide/">くらしの出来事から手続きを探す</a>' in html
    assert 'href="/procedures/?life_event=birth"' in html


def test_unknown_event_is_a_404(client, town):
    assert client.get("/guide/wedding/").status_code == 404
    assert client.get("/guide/Birth/").status_code == 404
    assert client.get("/guide/birth_x/").status_code == 404


def test_the_form_before_answering(client, town):
    response = client.get("/guide/birth/")
    html = page(response)
    assert response.status_code == 200
    assert 'method="get"' in html and 'name="answered" value="1"' in html
    assert html.count("<fieldset") == 6
    assert '<legend class="field__label">赤ちゃんは国民健康保険に加入しますか。' in html
    assert '<label class="field__label" for="event-date">生まれた日' in html
    assert checked_values(html, "kokuho") == [""]  # "わからない・答えない" until answered
    assert "必要な手続き</h2>" not in html
    assert "<table" not in html


def test_answers_give_the_list_grouped_by_where(client, town):
    response = client.get(
        "/guide/birth/",
        {
            "date": "2026-04-01",
            "kokuho": "yes",
            "other_children": "no",
            "single_parent": "no",
            "outside": "no",
            "nursery": "no",
            "foreign": "no",
            "answered": "1",
        },
    )
    html = page(response)
    assert response.status_code == 200
    text = text_of(html)
    assert "回答から、6 件の手続きが必要です。" in text
    online, window, office = (html.index(f'id="group-{kind}"') for kind in ("online", "window", "office"))
    assert online < window < office
    assert html.index('id="entry-kodomo-iryohi"') > online and html.index('id="entry-kodomo-iryohi"') < window
    assert (
        html.index('id="entry-shussei-todoke"') > window and html.index('id="entry-shussei-todoke"') < office
    )
    assert html.index('id="entry-akachan-homon"') > office
    # A guide-only entry: where (the demo town's department name and window), what to bring, the deadline.
    assert "市民課 1番窓口（戸籍・住民異動の届出）" in html
    assert "<li>母子健康手帳</li>" in html
    assert "生まれた日を含めて14日以内" in text and "令和8年（2026年）4月14日（火）まで" in text
    # An online procedure: its name and department come from the procedure; links to its page and to apply.
    assert '<a href="/procedures/kodomo-iryohi/">子ども医療費助成申請</a>' in html
    assert 'href="/procedures/kodomo-iryohi/apply/"' in html
    assert "オンライン（担当：子育て支援課）" in html
    assert "令和8年（2026年）5月1日（金）まで" in text
    # The answers are kept in the form.
    assert checked_values(html, "kokuho") == ["yes"] and checked_values(html, "nursery") == ["no"]
    assert 'value="2026-04-01"' in html
    # Entries that do not apply are not listed.
    assert 'id="entry-jido-teate-gaku"' not in html and 'id="entry-kenpo-fuyo"' not in html


def test_unanswered_questions_list_what_may_apply(client, town):
    html = page(client.get("/guide/birth/", {"answered": "1"}))
    text = text_of(html)
    assert "回答から、3 件の手続きが必要です。" in text
    assert "ほかに 10 件が、答えていない質問の回答によって必要になります。" in text
    assert "日付を入力すると、期限を日付で表示します。" in text
    assert "「ひとり親で子育てをしますか。」" in text  # the question that decides 児童扶養手当


def test_a_deadline_on_a_closed_day_moves_to_the_next_open_day(client, town):
    # Born on 20 April 2026: 14 days counting that day end on Sunday 3 May (憲法記念日); the office reopens on 7 May.
    html = page(client.get("/guide/birth/", {"date": "令和8年4月20日", "answered": "1"}))
    text = text_of(html)
    assert "令和8年（2026年）5月3日（日）まで" in text
    assert "この日は閉庁日のため、令和8年（2026年）5月7日（木）まで" in text


def test_a_past_deadline_says_so(client, town):
    html = page(client.get("/guide/birth/", {"date": "2020-01-01", "answered": "1"}))
    assert "期限を過ぎています。" in html


def test_an_invalid_answer_comes_back_with_a_message(client, town):
    response = client.get(
        "/guide/birth/", {"kokuho": "perhaps", "nursery": "yes", "date": "2026-04-01", "answered": "1"}
    )
    html = page(response)
    assert response.status_code == 200
    assert 'class="error-summary"' in html and 'href="#q-kokuho-yes"' in html
    assert "この質問の回答は「はい」「いいえ」「わからない・答えない」から選んでください。" in html
    assert 'aria-invalid="true"' in html
    assert checked_values(html, "nursery") == ["yes"] and 'value="2026-04-01"' in html
    assert "必要な手続き</h2>" not in html


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2026-02-30", "2026年の2月30日は存在しない日付です。"),
        ("tomorrow", "日付として読み取れませんでした。"),
        ("1800-01-01", "100年以内の日付を入力してください。"),
    ],
)
def test_an_invalid_date_comes_back_with_a_message(client, town, typed, message):
    response = client.get("/guide/death/", {"date": typed, "insurance": "kokuho", "answered": "1"})
    html = page(response)
    assert response.status_code == 200
    assert message in html
    assert 'href="#event-date"' in html and f'value="{typed}"' in html
    assert checked_values(html, "insurance") == ["kokuho"]
    assert "必要な手続き</h2>" not in html


def test_long_or_odd_input_is_never_a_500(client, town):
    response = client.get("/guide/birth/", {"date": "9" * 500, "kokuho": "x" * 500, "answered": "1"})
    assert response.status_code == 200
    response = client.get("/guide/birth/", {"date": "9999-12-31", "answered": "2"})
    assert response.status_code == 200


def test_english(client, town):
    html = page(client.get("/en/guide/"))
    assert "Find procedures by life event" in html and "When a child is born" in html
    response = client.get("/en/guide/birth/", {"date": "2026-04-01", "kokuho": "yes", "answered": "1"})
    text = text_of(page(response))
    assert '<html lang="en">' in page(response)
    assert "Procedures you need" in text
    assert "Birth registration (出生届)" in text
    assert "Residents Division Window 1 (family register and moving notifications)" in text
    assert "Tuesday 14 April 2026" in text
    assert "Online (Child and Family Support Division)" in text
    response = client.get("/en/guide/birth/", {"kokuho": "perhaps", "answered": "1"})
    assert 'Choose one of "Yes", "No" or "Not sure, or I prefer not to say" for this question.' in text_of(
        page(response)
    )
    response = client.get("/en/guide/birth/", {"date": "2026-02-30", "answered": "1"})
    assert "Day 30 of month 2 does not exist in 2026." in page(response)


def test_a_procedure_not_published_is_left_out(client, town):
    from madoguchi.procedures.models import Procedure

    Procedure.objects.filter(slug="kodomo-iryohi").update(is_active=False)
    html = page(client.get("/guide/birth/", {"answered": "1"}))
    assert 'id="entry-kodomo-iryohi"' not in html
    assert 'id="entry-shussei-todoke"' in html


def test_a_broken_guide_file_is_left_out_and_logged(client, town, settings, tmp_path, caplog):
    (tmp_path / "birth.yaml").write_text("id: birth\n", encoding="utf-8")
    settings.GUIDES_DIR = tmp_path
    assert client.get("/guide/birth/").status_code == 404
    assert '<li class="card">' not in page(client.get("/guide/"))
    assert "is not shown: it has problems" in caplog.text


# ---- a verified resident: answers from the register ----------------------------------------------------------


@pytest.fixture
def family(db):
    """A household of three in the register: a parent born 1961-07-10, a child born 2015-06-01 and a
    grandparent born 1948-03-03."""
    rows = [
        registry_row(宛名番号="9100000001", 世帯番号="9100000001", 生年月日="1961-07-10", 続柄="世帯主"),
        registry_row(
            宛名番号="9100000002",
            世帯番号="9100000001",
            氏名="緑川\u3000太郎",
            氏名フリガナ="ミドリカワ\u3000タロウ",
            生年月日="2015-06-01",
            性別="1",
            続柄="子",
            住民となった日="2015-06-01",
            住所を定めた日="2015-06-01",
            異動日="2015-06-01",
            届出日="2015-06-05",
        ),
        registry_row(
            宛名番号="9100000003",
            世帯番号="9100000001",
            氏名="緑川\u3000トメ",
            氏名フリガナ="ミドリカワ\u3000トメ",
            生年月日="1948-03-03",
            続柄="母",
        ),
    ]
    report = import_registry_csv(source=io.BytesIO(registry_csv(rows)), kind="full", source_name="family.csv")
    assert report.ok, report.problems
    return Person.objects.get(atena_number="9100000001")


def _link(user, person, level=AssuranceLevel.HIGH):
    staff = StaffFactory()
    IdentityLink.objects.create(
        user=user,
        person=person,
        method=LinkMethod.COUNTER,
        assurance_level=level,
        verified_by=staff,
        evidence="運転免許証",
    )


def test_a_verified_resident_gets_answers_from_the_register(client, town, family):
    resident = ResidentFactory()
    _link(resident, family)
    client.force_login(resident)
    audited = AuditEvent.objects.count()

    html = page(client.get("/guide/moving-out/"))
    assert checked_values(html, "children") == ["yes"]  # the child born 2015
    assert checked_values(html, "school") == ["yes"]
    assert checked_values(html, "elderly_75") == ["yes"]  # the grandparent born 1948
    assert checked_values(html, "kokuho") == [""]  # not in the register: left to the resident
    assert html.count('<span class="field__source">住民記録より</span>') == 4
    assert "住民記録からわかる回答を入れてあります" in html

    html = page(client.get("/guide/turning-65/"))
    assert 'id="event-date" name="date" value="2026-07-09"' in html  # the day before the 65th birthday

    html = page(client.get("/guide/leaving-job/"))
    assert checked_values(html, "under_60") == ["no"]

    # Once answered, the resident's answers count, not the register's.
    html = page(client.get("/guide/moving-out/", {"children": "no", "answered": "1"}))
    assert checked_values(html, "children") == ["no"]
    assert 'id="entry-jido-teate-shometsu"' not in html
    # The resident read their own household's birth dates: like form pre-fill, not a staff access.
    assert AuditEvent.objects.count() == audited


def test_no_register_answers_without_verification(client, town, family):
    resident = ResidentFactory()
    client.force_login(resident)
    html = page(client.get("/guide/moving-out/"))
    assert "住民記録より" not in html
    assert checked_values(html, "children") == [""]
    other = ResidentFactory()
    _link(other, family)
    IdentityLink.objects.filter(user=other).update(revoked_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    client.force_login(other)
    assert "住民記録より" not in page(client.get("/guide/turning-65/"))


def test_guides_directory_defaults_next_to_the_procedures(settings, tmp_path):
    settings.GUIDES_DIR = None
    settings.PROCEDURES_DIR = tmp_path / "procedures"
    assert selectors.guides_directory() == tmp_path / "guides"
    settings.GUIDES_DIR = str(tmp_path / "elsewhere")
    assert selectors.guides_directory() == tmp_path / "elsewhere"


def test_urls():
    assert reverse("guide:index") == "/guide/"
    assert reverse("guide:detail", args=["birth"]) == "/guide/birth/"
