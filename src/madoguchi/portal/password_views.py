"""Resident password reset (パスワードの再設定): the shared flow of accounts.password_flow with the portal's pages."""

from __future__ import annotations

from madoguchi.accounts.password_flow import PasswordResetFlow

resident_flow = PasswordResetFlow(namespace="portal", staff=False, templates="portal")
