"""Users and their roles; a town officer is scoped to towns, a firm user to one firm."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, String, Table,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from registry.extensions import db
from registry.firms.models import Firm, Town
from registry.timeutil import utcnow
from registry.vocab import ROLES, check_in

user_towns = Table(
    "user_towns",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("town_id", ForeignKey("towns.id", ondelete="CASCADE"), primary_key=True),
)

STAFF_ROLES = ("admin", "staff")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(check_in("role", ROLES), name="role"),
        CheckConstraint("role <> 'firm' OR firm_id IS NOT NULL", name="firm_user_has_firm"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"), index=True)
    is_active_flag: Mapped[bool] = mapped_column("is_active", Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    activation_code_hash: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    #: Moved on by every password change, reset and deactivation; part of ``get_id`` so a
    #: session or remember-me cookie issued before it no longer loads the user.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    firm: Mapped[Firm | None] = relationship()
    towns: Mapped[list[Town]] = relationship(secondary=user_towns, order_by=Town.sort_order)

    # --- Flask-Login -------------------------------------------------------
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return bool(self.is_active_flag)

    def get_id(self) -> str:
        """"<id>:<session version>": a session or remember-me cookie made before the last
        password change, reset or deactivation no longer loads the user."""
        return f"{self.id}:{self.session_version or 1}"

    def end_sessions(self) -> None:
        """Invalidate every session and remember-me cookie of this account."""
        self.session_version = (self.session_version or 1) + 1

    # --- passwords (werkzeug's scrypt) --------------------------------------
    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        if self.id is not None:  # a new account has no sessions to end
            self.end_sessions()

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    # --- roles --------------------------------------------------------------
    @property
    def role_label(self) -> str:
        return ROLES[self.role]

    @property
    def is_staff(self) -> bool:
        """Bureau staff: may read and write every record."""
        return self.role in STAFF_ROLES

    @property
    def can_view_all(self) -> bool:
        """Bureau staff and leaders see every firm."""
        return self.role in STAFF_ROLES or self.role == "viewer"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class LoginAttempt(db.Model):
    """One sign-in attempt, kept for rate limiting per account and per address.

    Stored in the database (or Redis when configured) so every worker process sees the same
    counts; old rows are pruned by the limiter itself.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
