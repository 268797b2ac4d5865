"""Staff password reset (職員のパスワード再設定): the shared flow of accounts.password_flow with the office's pages.

A reset sets the password only: the authenticator app and backup codes stay, and the next sign-in still asks
for a code (accounts.passwords). Staff without an authenticator while MADOGUCHI_STAFF_MFA is on get an email
saying whom to ask instead of a link.
"""

from __future__ import annotations

from madoguchi.accounts.password_flow import PasswordResetFlow

staff_flow = PasswordResetFlow(namespace="office", staff=True, templates="office")
