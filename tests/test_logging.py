"""The API log: one line format, written off the request path, secrets redacted."""

import logging
import re

from seccam_core.log_setup import api_log_path, configure_logging


def test_secrets_never_reach_the_log_file(seccam_data_dir):
    secrets = ["tok3n-value-abc", "scrypt$16384$8$1$salt$hash"]
    listener = configure_logging(seccam_data_dir, lambda: secrets)
    try:
        log = logging.getLogger("seccam.test")
        log.info("client sent %s", secrets[0])
        log.warning("hash is %s", secrets[1])
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("with a traceback")
    finally:
        listener.stop()
        logging.getLogger().handlers.clear()
    text = api_log_path(seccam_data_dir).read_text()
    assert secrets[0] not in text and secrets[1] not in text
    assert text.count("[redacted]") == 2
    first = text.splitlines()[0]
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[INFO\] seccam\.test: client sent \[redacted\]", first)
    assert "Traceback (most recent call last):" in text
