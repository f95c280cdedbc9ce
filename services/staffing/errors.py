"""Domain errors of staffing, each a 409 naming what is in the way; common.errors maps them."""

from __future__ import annotations

from common.errors import Conflict


class NoVacancy(Conflict):
    """A movement needs more vacant posts than the unit has (不得超编)."""

    slug, title = "no-vacancy", "Not enough vacant posts"

    def __init__(
        self, unit_code: str, quota_type: str, needed: int, *, vacant: int = 0, held: str = ""
    ) -> None:
        if held:
            detail = (
                f"unit {unit_code} has {vacant} vacant {quota_type} posts and this needs {needed}"
                f" ({held})"
            )
        else:
            detail = f"unit {unit_code} has no approved {quota_type} posts"
        super().__init__(
            detail, extra={"vacant": vacant, "needed": needed, "quota_type": quota_type}
        )


class PoolExhausted(Conflict):
    """The turnover pool holds fewer posts than a decision grants."""

    slug, title = "pool-exhausted", "The pool holds too few posts"

    def __init__(
        self, quota_type: str, balance: int, granted: int, *, field: str | None = None
    ) -> None:
        what = "the plan" if field else "this decision"
        super().__init__(
            f"the {quota_type} pool holds {balance} posts and {what} grants {granted}",
            errors=[{"field": field, "message": "more than the pool holds"}] if field else None,
            extra={"pool_balance": balance, "granted": granted, "quota_type": quota_type},
        )


class BelowHeldPosts(Conflict):
    """A cut would leave a unit fewer approved posts than its staff, reservations and loans hold."""

    slug, title = "below-held-posts", "The cut goes below the posts in use"

    def __init__(self, detail: str, *, quota_type: str, remaining: int, held: int) -> None:
        super().__init__(
            detail, extra={"quota_type": quota_type, "remaining": remaining, "held": held}
        )


class OverRepayment(Conflict):
    """A repayment returns more posts than the loan has outstanding."""

    slug, title = "over-repayment", "More than the loan has outstanding"

    def __init__(self, outstanding: int, count: int) -> None:
        super().__init__(
            f"the loan has {outstanding} posts outstanding, not {count}",
            extra={"outstanding": outstanding, "count": count},
        )


class NotOnRoster(Conflict):
    """The staff member has left the roster; only the active can move or leave."""

    slug, title = "not-on-roster", "No longer on the roster"

    def __init__(self, name: str, staff_status: str) -> None:
        super().__init__(
            f"{name} is no longer on the roster: {staff_status}",
            extra={"staff_status": staff_status},
        )


class PoolNotOpen(Conflict):
    """The city does not pool the quota type (yet)."""

    slug, title = "pool-not-open", "The pool is not open"

    def __init__(self, quota_type: str) -> None:
        super().__init__(
            f"the city does not pool {quota_type} posts", extra={"quota_type": quota_type}
        )


class PostsReserved(Conflict):
    """A school holds posts for open postings; they are closed or moved first."""

    slug, title = "posts-reserved", "Posts are held for open postings"

    def __init__(self, detail: str, *, quota_type: str, reserved: int) -> None:
        super().__init__(detail, extra={"quota_type": quota_type, "reserved": reserved})
