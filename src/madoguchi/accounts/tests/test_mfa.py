"""The staff second factor service (accounts.mfa) and `madoguchi staff reset-mfa`."""

from __future__ import annotations

import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from madoguchi.accounts import mfa
from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import DepartmentFactory, ResidentFactory, StaffFactory
from madoguchi.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def code_of(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def enrol(user) -> mfa.Enrolment:
    return mfa.confirm_enrolment(user=user, code=code_of(mfa.enrolment_device(user=user)), ip="192.0.2.1")


def test_only_staff_need_a_second_factor_and_only_with_the_setting_on(settings):
    staff, resident = StaffFactory(reviewer=True), ResidentFactory()

    settings.STAFF_MFA = False
    off = (mfa.is_required(staff), mfa.is_required(resident))
    settings.STAFF_MFA = True
    on = (mfa.is_required(staff), mfa.is_required(resident))

    assert off == (False, False)
    assert on == (True, False)


def test_the_setting_follows_production_unless_set(monkeypatch):
    from madoguchi.core import conf

    assert "MADOGUCHI_STAFF_MFA" in conf.DECLARED
    monkeypatch.delenv("MADOGUCHI_STAFF_MFA", raising=False)
    assert conf.env_bool("MADOGUCHI_STAFF_MFA", True, help="x") is True
    monkeypatch.setenv("MADOGUCHI_STAFF_MFA", "false")
    assert conf.env_bool("MADOGUCHI_STAFF_MFA", True, help="x") is False


def test_enrolment_gives_ten_distinct_single_use_backup_codes():
    staff = StaffFactory(reviewer=True)

    enrolment = enrol(staff)

    assert enrolment.device.confirmed
    assert len(set(enrolment.backup_codes)) == 10
    assert all(len(code) == 9 and code[4] == "-" for code in enrolment.backup_codes)
    assert mfa.backup_codes_left(staff) == 10
    assert mfa.has_authenticator(staff)


def test_a_new_enrolment_replaces_the_old_backup_codes(settings):
    staff = StaffFactory(reviewer=True)
    first = enrol(staff)
    TOTPDevice.objects.filter(user=staff).delete()

    second = enrol(staff)

    assert StaticDevice.objects.filter(user=staff).count() == 1
    stored = set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True))
    assert stored == {code.replace("-", "") for code in second.backup_codes}
    assert not stored & {code.replace("-", "") for code in first.backup_codes}


def test_backup_codes_ignore_case_spaces_and_hyphens_and_work_once():
    staff = StaffFactory(reviewer=True)
    code = enrol(staff).backup_codes[0]

    device = mfa.verify_code(user=staff, code=f" {code.upper()} ", ip=None)

    assert isinstance(device, StaticDevice)
    assert mfa.backup_codes_left(staff) == 9
    with pytest.raises(mfa.MfaError) as excinfo:
        mfa.verify_code(user=staff, code=code, ip=None)
    assert excinfo.value.code == "bad_code"


def test_the_authenticator_code_is_checked_against_the_authenticator(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    staff = StaffFactory(reviewer=True)
    enrol(staff)
    device = TOTPDevice.objects.get(user=staff)
    device.last_t = -1  # the set-up code's time step may be reused in this test
    device.save(update_fields=["last_t"])

    with pytest.raises(mfa.MfaError):
        mfa.verify_code(user=staff, code="12345", ip=None)
    accepted = mfa.verify_code(user=staff, code=code_of(device), ip=None)

    assert accepted == device


def test_a_staff_member_without_any_device_is_never_accepted():
    staff = StaffFactory(reviewer=True)

    for code in ("123456", "abcd-efgh"):
        with pytest.raises(mfa.MfaError):
            mfa.verify_code(user=staff, code=code, ip=None)


def test_normalize_code():
    assert mfa.normalize_code("１２３ ４５６") == "123456"
    assert mfa.normalize_code("ABCD-EFGH") == "abcdefgh"


# ---- reset ---------------------------------------------------------------------------------------------------


@pytest.fixture
def enrolled_reviewer():
    staff = StaffFactory(department=DepartmentFactory(code="kosodate"), role=Role.REVIEWER)
    enrol(staff)
    return staff


def test_a_department_admin_resets_a_colleague_with_an_audit_row(enrolled_reviewer):
    admin = StaffFactory(department=enrolled_reviewer.department, role=Role.DEPARTMENT_ADMIN)
    out = StringIO()

    call_command("staff", "reset-mfa", enrolled_reviewer.email.upper(), "--by", admin.email, stdout=out)

    assert "2段階認証をリセットしました（2 件" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=enrolled_reviewer).exists()
    assert not StaticDevice.objects.filter(user=enrolled_reviewer).exists()
    row = AuditEvent.objects.get(action=mfa.RESET_ACTION)
    assert (row.actor_id, row.object_type, row.object_id, row.purpose, row.channel, row.person_id) == (
        admin.pk,
        "user",
        str(enrolled_reviewer.pk),
        mfa.RESET_PURPOSE,
        "cli",
        None,
    )


def test_a_superuser_resets_anyone(enrolled_reviewer):
    superuser = StaffFactory(department=None, role="", is_superuser=True)
    out = StringIO()

    call_command(
        "staff", "reset-mfa", enrolled_reviewer.email, "--by", superuser.email, "--lang", "en", stdout=out
    )

    assert "Second factor of" in out.getvalue()
    assert not mfa.has_authenticator(enrolled_reviewer)


@pytest.mark.parametrize(
    "admin_kind", ["admin_of_another_department", "approver_of_the_department", "resident", "inactive_admin"]
)
def test_others_cannot_reset(enrolled_reviewer, admin_kind):
    department = enrolled_reviewer.department
    admin = {
        "admin_of_another_department": lambda: StaffFactory(
            department=DepartmentFactory(code="zeimu"), role=Role.DEPARTMENT_ADMIN
        ),
        "approver_of_the_department": lambda: StaffFactory(department=department, role=Role.APPROVER),
        "resident": ResidentFactory,
        "inactive_admin": lambda: StaffFactory(
            department=department, role=Role.DEPARTMENT_ADMIN, is_active=False
        ),
    }[admin_kind]()

    with pytest.raises(CommandError) as excinfo:
        call_command("staff", "reset-mfa", enrolled_reviewer.email, "--by", admin.email)

    assert "課管理者" in str(excinfo.value)
    assert mfa.has_authenticator(enrolled_reviewer)
    assert not AuditEvent.objects.exists()


def test_reset_refuses_unknown_and_resident_accounts():
    admin = StaffFactory(role=Role.DEPARTMENT_ADMIN)
    resident = ResidentFactory()

    with pytest.raises(CommandError, match="アカウントはありません"):
        call_command("staff", "reset-mfa", "nobody@example.jp", "--by", admin.email)
    with pytest.raises(CommandError, match="職員のアカウントではありません"):
        call_command("staff", "reset-mfa", resident.email, "--by", admin.email)
    assert not AuditEvent.objects.exists()
