from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from trading.live import account_group


def _readable_account_ids(user) -> list[int]:
    from accounts.actors import Actor
    from accounts.models import Scope
    from accounts.selectors import accounts_for_actor

    return list(accounts_for_actor(Actor.for_user(user), scope=Scope.READ).values_list("pk", flat=True))


class OrderUpdatesConsumer(AsyncJsonWebsocketConsumer):
    """The admin order list's live feed: staff who may view orders, and only for the accounts their
    grants let them read (a superuser reads all), as they stand when the socket connects. Everyone
    else is refused."""

    groups_joined: list[str] | tuple = ()

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_staff \
                or not await database_sync_to_async(user.has_perm)("trading.view_order"):
            await self.close(code=4403)
            return
        self.groups_joined = [account_group(pk) for pk in await database_sync_to_async(_readable_account_ids)(user)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def order_update(self, event):
        await self.send_json(event["order"])
