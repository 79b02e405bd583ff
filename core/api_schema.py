"""The OpenAPI schema's error responses: every operation documents the one error shape
(core.api_errors) for the refusals any request can meet, so a client (and the fuzzer) can check them."""

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Stable, machine-readable (e.g. invalid_input, throttled)."},
                "message": {"type": "string", "description": "What went wrong and how to fix the request."},
                "details": {"type": "object", "additionalProperties": True},
            },
            "required": ["code", "message"],
        },
    },
    "required": ["error"],
}

ERROR_STATUSES = {
    "400": "The request cannot be served as sent: the message says what to change.",
    "401": "No valid API token or session.",
    "403": "Not allowed for this token or account.",
    "404": "No such resource among those available to you.",
    "409": "Conflicts with the current state (e.g. a token already used).",
    "422": "Refused by a risk rule or by Tiger.",
    "429": "Too many requests for this token, or Tiger's rate limit: see Retry-After.",
    "502": "Tiger answered with an error.",
    "503": "Tiger is unreachable or this account's circuit is open; retry later.",
    "504": "Tiger's answer was lost: the outcome is unknown, reconciliation resolves it.",
}


def error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: the Error component and its responses on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(status, {"description": description,
                                              "content": {"application/json": {"schema": ref}}})
            responses.setdefault("default", {"description": "Any other refusal, in the same shape.",
                                             "content": {"application/json": {"schema": ref}}})
    return result
