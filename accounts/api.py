from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import actor_from_request
from accounts.models import TigerAccount
from accounts.selectors import MAX_AUDIT_EVENTS, accounts_for_actor, audit_events_for
from core.api_errors import validated_query


class AccountOut(serializers.ModelSerializer):
    class Meta:
        model = TigerAccount
        fields = ["account_number", "label", "environment", "permission", "status", "is_default", "base_currency"]


class AccountListApi(APIView):
    @extend_schema(responses=inline_serializer("AccountList", {"accounts": AccountOut(many=True)}))
    def get(self, request):
        accounts = accounts_for_actor(actor_from_request(request))
        return Response({"accounts": AccountOut(accounts, many=True).data})


class AuditQuery(serializers.Serializer):
    account = serializers.CharField(required=False, allow_blank=True, max_length=64, help_text="Only this account's events.")
    event_type = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                       help_text="e.g. order (every order.* event) or order.placed.")
    limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=MAX_AUDIT_EVENTS)


class AuditEventOut(serializers.Serializer):
    seq = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    event_type = serializers.CharField()
    account_number = serializers.CharField(allow_blank=True)
    actor_type = serializers.CharField()
    actor_label = serializers.CharField()
    door = serializers.CharField()
    request_id = serializers.CharField(allow_blank=True)
    payload = serializers.JSONField(help_text="What changed; secrets are never recorded.")


class AuditEventsOut(serializers.Serializer):
    events = AuditEventOut(many=True)


class AuditEventListApi(APIView):
    """Recent audit events, newest first: for staff (session) or an API token owned by staff."""

    @extend_schema(operation_id="audit_list", parameters=[AuditQuery], responses=AuditEventsOut)
    def get(self, request):
        q = validated_query(request, AuditQuery)
        rows = audit_events_for(actor=actor_from_request(request), account_number=q.get("account") or None,
                                event_type=q.get("event_type") or None, limit=q["limit"])
        return Response(AuditEventsOut({"events": list(rows)}).data)
