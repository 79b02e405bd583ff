from channels.generic.websocket import AsyncJsonWebsocketConsumer

from trading.live import GROUP


class OrderUpdatesConsumer(AsyncJsonWebsocketConsumer):
    """Staff only (the admin door sees every account's orders); everyone else is refused."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_staff:
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def order_update(self, event):
        await self.send_json(event["order"])
