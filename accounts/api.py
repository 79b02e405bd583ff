from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import actor_from_request
from accounts.models import TigerAccount
from accounts.selectors import accounts_for_actor


class AccountOut(serializers.ModelSerializer):
    class Meta:
        model = TigerAccount
        fields = ["account_number", "label", "environment", "permission", "status", "is_default", "base_currency"]


class AccountListApi(APIView):
    @extend_schema(responses=inline_serializer("AccountList", {"accounts": AccountOut(many=True)}))
    def get(self, request):
        accounts = accounts_for_actor(actor_from_request(request))
        return Response({"accounts": AccountOut(accounts, many=True).data})
