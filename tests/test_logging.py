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


def test_client_strings_cannot_forge_flood_or_color_log_lines(seccam_data_dir):
    """Generated request paths (newlines, ANSI escapes, separators, 16 KB) each make
    exactly one bounded line; none parses as an entry of its own."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from seccam_core.log_setup import MAX_MESSAGE_CHARS, escape_message, log_access

    forged = "\n2026-01-01 00:00:00 [CRITICAL] seccam.core: forged"
    paths: list[str] = []

    @settings(max_examples=150, deadline=None)
    @given(st.one_of(
        st.text(max_size=60).map(lambda text: "/" + text + forged),
        st.text(alphabet=st.characters(codec=None), max_size=40).map(lambda t: "/" + t),
        st.integers(min_value=MAX_MESSAGE_CHARS, max_value=16_384).map(lambda n: "/" + "a" * n),
        st.sampled_from(["/\x1b[31mred\x1b[0m", "/a\u2028b\u2029c\x85d\re", "/\ud800x"]),
    ))
    def collect(path: str) -> None:
        paths.append(path)
        line = escape_message(path)
        assert len(line) <= MAX_MESSAGE_CHARS + 40
        assert not any(char in line for char in "\n\r\x1b\x85\u2028\u2029")

    collect()
    listener = configure_logging(seccam_data_dir, lambda: [])
    try:
        for path in paths:
            log_access("GET", path, 404, "127.0.0.1")
    finally:
        listener.stop()
        logging.getLogger().handlers.clear()
    raw = api_log_path(seccam_data_dir).read_bytes()
    lines = raw.split(b"\n")[:-1]
    assert len(lines) == len(paths), "one line per request, whatever the path held"
    assert b"\x1b" not in raw and b"[CRITICAL]" not in b"".join(
        line.split(b"] ", 1)[0] for line in lines)
    assert all(b"[WARNING] seccam.access: GET /" in line for line in lines)
    assert max(len(line) for line in lines) < MAX_MESSAGE_CHARS + 200
