import logging

from core.redaction import REDACTED, RedactingFilter, redact, register_secret, scrub_text


def test_registered_secret_is_scrubbed_from_any_text():
    register_secret("s3cr3t-value-XYZ")
    assert scrub_text("error near s3cr3t-value-XYZ in request") == f"error near {REDACTED} in request"


def test_pem_and_long_base64_are_scrubbed():
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----"
    assert REDACTED in scrub_text(f"key={pem}") and "MIIabc" not in scrub_text(pem)
    blob = "A" * 200
    assert blob not in scrub_text(f"sign={blob}")


def test_redact_by_key_name_keeps_other_values():
    assert redact({"tiger_id": "2015", "symbol": "AAPL", "items": [{"token": "t"}]}) == {
        "tiger_id": REDACTED, "symbol": "AAPL", "items": [{"token": REDACTED}]}


def test_logging_filter_scrubs_message_args_and_traceback():
    register_secret("canary-log-secret-42")
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "request %s", ("canary-log-secret-42",), None)
    try:
        raise ValueError("bad key canary-log-secret-42")
    except ValueError:
        import sys
        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert "canary-log-secret-42" not in formatted
    assert "ValueError" in formatted and REDACTED in formatted
