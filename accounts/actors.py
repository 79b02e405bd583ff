"""Who is acting, and through which door.

Every service takes an Actor: it decides which accounts the caller may use (accounts.selectors) and
is written into every audit event.
"""

import uuid
from dataclasses import dataclass, field

DOORS = ("admin", "api", "mcp", "task", "cli")


@dataclass(frozen=True)
class Actor:
    kind: str  # "user" | "api_token" | "mcp_client" | "system"
    door: str
    label: str
    user: object | None = None
    api_token: object | None = None
    mcp_client: object | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self):
        if self.door not in DOORS:
            raise ValueError(f"Unknown door {self.door!r}; expected one of {DOORS}.")

    @property
    def ref_id(self) -> str:
        holder = self.user or self.api_token or self.mcp_client
        return str(holder.pk) if holder is not None else ""

    @property
    def identity(self) -> str:
        """Who this is, whatever the door or request (a confirmation token is bound to it): a label can
        be shared (two API tokens may have one name), a holder's primary key cannot."""
        return f"{self.kind}:{self.ref_id or self.label}"

    @classmethod
    def for_user(cls, user, *, door="admin", request_id=None) -> "Actor":
        kwargs = {"request_id": request_id} if request_id else {}
        return cls(kind="user", door=door, label=user.get_username(), user=user, **kwargs)

    @classmethod
    def for_api_token(cls, token, *, request_id=None) -> "Actor":
        kwargs = {"request_id": request_id} if request_id else {}
        return cls(kind="api_token", door="api", label=f"token:{token.name}", api_token=token, **kwargs)

    @classmethod
    def for_mcp_client(cls, client, *, request_id=None) -> "Actor":
        kwargs = {"request_id": request_id} if request_id else {}
        return cls(kind="mcp_client", door="mcp", label=f"mcp:{client.name}", mcp_client=client, **kwargs)

    @classmethod
    def system(cls, door: str, label: str = "system") -> "Actor":
        return cls(kind="system", door=door, label=label)
