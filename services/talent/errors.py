"""Domain errors of the talent pool, each a 409 naming what is in the way; common.errors maps."""

from __future__ import annotations

from common.errors import Conflict


class PostingNotAccepting(Conflict):
    """The posting takes no applications: not open, or outside its application window."""

    slug, title = "posting-not-accepting", "The posting takes no applications"


class NoHeldPosts(Conflict):
    """A hire needs posts held for the posting, and staffing holds none (blocked or pending)."""

    slug, title = "no-held-posts", "Staffing holds no posts for the posting"


class PostingFilled(Conflict):
    """Every post of the posting is filled."""

    slug, title = "posting-filled", "Every post of the posting is filled"

    def __init__(self, count: int) -> None:
        super().__init__(f"all {count} posts of the posting are filled", extra={"count": count})


class ErasedCandidate(Conflict):
    """The candidate's personal data was erased; nothing more can be done with them."""

    slug, title = "candidate-erased", "The candidate was erased"


class SameApplicationTwice(Conflict):
    """Merging would leave one candidate with two applications to one posting."""

    slug, title = "same-application-twice", "Both candidates applied to the same posting"


class EndpointDisabled(Conflict):
    """The webhook endpoint is disabled; it takes no deliveries until enabled."""

    slug, title = "endpoint-disabled", "The webhook endpoint is disabled"


class AlreadyApplied(Conflict):
    """The candidate has applied for the posting already; names the application."""

    slug, title = "already-applied", "Applied already"
