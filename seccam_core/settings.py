"""The settings store: one JSON document of sections, validated, in memory, written through.

Reads never touch the disk: the document lives in memory. Every write validates the
changed sections against their owners' schemas, then writes the document twice, each
time atomically (temp file in the same folder, fsync, ``os.replace``, directory fsync):
first ``settings.json.bak``, then ``settings.json``. Only then is the change
acknowledged, so either file alone holds every acknowledged change. A file that cannot
be parsed at start is set aside as ``settings.json.corrupt-<time>`` and the backup (or
the defaults) is used, with an error in the log. A write that fails (disk full) is a
507 for the client and changes nothing, in memory or on disk.

Every write goes through :meth:`SettingsStore.save` (the API, plugins) or
:meth:`SettingsStore.update` (the command line, startup), which take an exclusive lock
on ``settings.json.lock`` and first re-read the file if another process changed it, so
``seccam password`` and a running server never overwrite each other. A running server
also notices such a change within a second (:meth:`SettingsStore.watch`), takes it in
and publishes ``settings_changed``, so a password set from the command line works at
once.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import fcntl
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema

from seccam_core import json_values
from seccam_core.contributions import SettingsSection
from seccam_core.errors import ApiError
from seccam_core.json_schema import Validator, brief_message, with_field_order
from seccam_core.legacy_settings import (
    add_sensor_list,
    is_legacy_document,
    migrate_legacy_document,
    needs_sensor_list,
)
from seccam_core.write_only import (
    keep_omitted,
    leaf_values,
    marked_schema,
    quotes_a_secret,
    readable_schema,
    redact,
    strip_markers,
)

log = logging.getLogger(__name__)

FILE_MODE = 0o600

SectionCheck = Callable[[Mapping[str, Any], Mapping[str, Any]], "str | None"]
"""A rule beyond a section's schema: ``check(new, previous)`` returns why ``new`` is
refused, naming the field (``Camera.recordings_dir: ...``), or ``None``."""


class SettingsWriteError(ApiError):
    """The disk refused the write (full, read-only); nothing changed."""

    def __init__(self, error: OSError) -> None:
        super().__init__(507, f"settings could not be saved: {error.strerror or error}")


class SettingsError(ApiError):
    """A settings change that does not validate; nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


def describe_validation_error(section: str, error: jsonschema.ValidationError) -> str:
    """``Sensor.gpio: 99 is greater than the maximum of 27``: field path first."""
    path = ".".join([section, *(str(part) for part in error.absolute_path)])
    return f"{path}: {brief_message(error)}"


def describe_without_value(section: str, error: jsonschema.ValidationError) -> str:
    """``Mqtt.password: does not meet maxLength 256``: the rule, never the value (a secret)."""
    path = ".".join([section, *(str(part) for part in error.absolute_path)])
    return f"{path}: does not meet {error.validator} {error.validator_value!r}"


_URL_CREDENTIALS = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")
_URL_CREDENTIALS_ANYWHERE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@")
MASKED_CREDENTIALS = "***"


def mask_credentials(value: Any) -> Any:
    """A URL's ``user:password@`` shown as ``***@`` (``rtsp://***@cam/stream``)."""
    if isinstance(value, str):
        return _URL_CREDENTIALS.sub(rf"\g<1>{MASKED_CREDENTIALS}@", value, count=1)
    return value


def mask_credentials_in(text: str) -> str:
    """Every URL's ``user:password@`` in a text masked, such as a line ffmpeg printed
    ("Error opening input file rtsp://admin:pw@cam/...")."""
    return _URL_CREDENTIALS_ANYWHERE.sub(rf"\g<1>{MASKED_CREDENTIALS}@", text)


def _keep_masked(current: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """A masked value sent back unchanged (a GET, edited, POSTed) keeps the stored one."""
    return {
        key: current[key]
        if key in current and value != current[key] and value == mask_credentials(current[key])
        else value
        for key, value in patch.items()
    }


def _merge_defaults(defaults: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(defaults))
    merged.update(copy.deepcopy(dict(stored)))
    return merged


class SettingsStore:
    """Sections of settings, each owned and validated by a plugin (or the core)."""

    def __init__(
        self, path: Path, publish: Callable[[str, dict[str, Any]], Any] | None = None
    ) -> None:
        self.path = Path(path)
        self.publish = publish
        self._lock = threading.RLock()
        self._sections: dict[str, SettingsSection] = {}
        self._validators: dict[str, Any] = {}
        self._checks: dict[str, list[SectionCheck]] = {}
        self._file_state: tuple[int, int, int] | None = None
        with self._file_lock():
            self._document: dict[str, Any] = self._load()
            self._file_state = self._stat()
        self._public: dict[str, Any] | None = None
        self._snapshots: dict[str, dict[str, Any]] = {}

    # --- loading -------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in self.path.parent.glob(self.path.name + "*.tmp-*"):
            leftover.unlink(missing_ok=True)  # a write interrupted before its rename
        if not self.path.exists():
            return {}
        try:
            document = self._parse(self.path)
        except ValueError as exc:
            return self._recover_from_corrupt_file(exc)
        if is_legacy_document(document) or needs_sensor_list(document):
            return self._migrate(document)
        return document

    @staticmethod
    def _parse(path: Path) -> dict[str, Any]:
        text = path.read_text(encoding="utf-8")
        try:
            # Lenient on purpose: a bad value costs only its section (see register).
            document = json.loads(text)
        except RecursionError:
            raise ValueError("the settings document is nested too deeply") from None
        if not isinstance(document, dict):
            raise ValueError("the settings document is not a JSON object")
        for name, section in list(document.items()):
            problem = json_values.value_problem(section)
            if problem is not None:
                # NaN, a lone surrogate...: never kept in memory, never written back.
                log.error("STORED SETTINGS SECTION %s IS INVALID (%s.%s): its defaults "
                          "are used", name, name, problem)
                document[name] = {}
        return document

    def _recover_from_corrupt_file(self, exc: Exception) -> dict[str, Any]:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        os.replace(self.path, aside)
        backup = self.path.with_name(self.path.name + ".bak")
        try:
            document = self._parse(backup)
            source = f"the last good copy {backup.name}"
        except (OSError, ValueError):
            document, source = {}, "the defaults"
        log.error(
            "SETTINGS FILE WAS CORRUPT (%s): set aside as %s; continuing with %s",
            exc, aside.name, source,
        )
        # On a full disk keep serving from memory; the next successful write repairs it.
        with contextlib.suppress(SettingsWriteError):
            self._write_file(document)
        return document

    def _migrate(self, old: dict[str, Any]) -> dict[str, Any]:
        copy_path = self.path.with_name(self.path.name + ".original")
        if copy_path.exists():  # an earlier migration's copy is the older one: keep it
            copy_path = copy_path.with_name(f"{copy_path.name}-{time.strftime('%Y%m%dT%H%M%S')}")
        copy_path.write_text(json.dumps(old, indent=2), encoding="utf-8")
        os.chmod(copy_path, FILE_MODE)
        document = old
        if is_legacy_document(old):
            document = migrate_legacy_document(old)
            log.warning(
                "settings.json was in the original flat layout: migrated into sections "
                "(original kept as %s; authentication is on, as it is by default)",
                copy_path.name,
            )
        if needs_sensor_list(document):
            document = add_sensor_list(document)
            log.warning("the Sensor section was copied into the Sensors list as its first "
                        "sensor (the file before kept as %s)", copy_path.name)
        self._write_file(document)
        return document

    # --- sections ------------------------------------------------------------------

    def register(self, section: SettingsSection) -> None:
        """Adopt a section: fill its defaults and validate what is stored for it.

        A stored section that is invalid (its schema, a non-finite number, text that is
        not valid Unicode) is replaced by the defaults in memory, with a loud log line;
        the file keeps the stored values until the section is saved again. A bad stored
        value never disables the plugin that owns the section.
        """
        validator = Validator(section.schema)
        validator.validate(section.defaults)  # a plugin bug: fails its startup loudly
        with self._lock:
            self._sections[section.name] = section
            self._validators[section.name] = validator
            self._document[section.name] = self._adopt(section, self._document.get(section.name))
            self._public = None
            self._snapshots = {}

    def _adopt(self, section: SettingsSection, stored: Any) -> dict[str, Any]:
        """The stored section merged over its defaults; the defaults if it is invalid."""
        merged = _merge_defaults(section.defaults, stored if isinstance(stored, dict) else {})
        problem = self._problem(section.name, merged, merged)
        return merged if problem is None else self._fall_back(section.name, problem)

    def add_check(self, name: str, check: SectionCheck) -> None:
        """Add a rule to a registered section, for every later write whatever the route.

        For rules that need what is known only at startup (the installed sensor types,
        the data folder). The stored section is checked at once: if it breaks the rule
        it falls back to its defaults, as in :meth:`register`.
        """
        with self._lock:
            self._checks.setdefault(name, []).append(check)
            current = self._document.get(name, {})
            problem = check(current, current)
            if problem is not None:
                self._document[name] = self._fall_back(name, problem)
                self._public = None

    def _fall_back(self, name: str, problem: str) -> dict[str, Any]:
        log.error(
            "STORED SETTINGS SECTION %s IS INVALID (%s): using its defaults until it is "
            "saved again", name, problem,
        )
        return copy.deepcopy(dict(self._sections[name].defaults))

    def _problem(
        self, name: str, merged: Mapping[str, Any], previous: Mapping[str, Any]
    ) -> str | None:
        """Why ``merged`` cannot be section ``name``: the one validation of every route.

        The answer never quotes a write-only value: a client shows it beside the field.
        """
        problem = self._first_problem(name, merged, previous)
        write_only = self._sections[name].write_only_fields
        if problem is None or not write_only or not quotes_a_secret(problem, merged, write_only):
            return problem
        error = jsonschema.exceptions.best_match(self._validators[name].iter_errors(merged))
        if error is not None:
            return describe_without_value(name, error)
        for value in leaf_values(merged, write_only):
            problem = problem.replace(value, MASKED_CREDENTIALS)
        return problem

    def _first_problem(
        self, name: str, merged: Mapping[str, Any], previous: Mapping[str, Any]
    ) -> str | None:
        value_problem = json_values.value_problem(merged)
        if value_problem is not None:
            return f"{name}.{value_problem}"
        error = jsonschema.exceptions.best_match(self._validators[name].iter_errors(merged))
        if error is not None:
            return describe_validation_error(name, error)
        own_check = self._sections[name].check
        if own_check is not None and (problem := own_check(merged)) is not None:
            return f"{name}.{problem}"
        for check in self._checks.get(name, ()):
            problem = check(merged, previous)
            if problem is not None:
                return problem
        return None

    @property
    def sections(self) -> Mapping[str, SettingsSection]:
        return self._sections

    # --- reading -------------------------------------------------------------------

    def get(self, name: str) -> dict[str, Any]:
        """A copy of one section (registered or not), without I/O."""
        with self._lock:
            return copy.deepcopy(self._document.get(name, {}))

    def snapshot(self, name: str) -> Mapping[str, Any]:
        """One section shared by every caller until it changes: read-only, without a copy
        per call, for answers that are polled (``GET /sensor/status``)."""
        cached = self._snapshots.get(name)
        if cached is None:
            with self._lock:
                cached = self._snapshots[name] = copy.deepcopy(self._document.get(name, {}))
        return cached

    def value(self, name: str, key: str, default: Any = None) -> Any:
        """One field, without copying the section: for hot paths such as the auth guard."""
        return self._document.get(name, {}).get(key, default)

    def public_document(self) -> dict[str, Any]:
        """Every registered section with its secret fields removed.

        Credentials inside URLs (``rtsp://user:pass@cam``) are masked (``***@``); a
        masked value written back unchanged keeps the stored credentials.
        A snapshot shared by every caller until the next change (``GET /settings`` is
        polled): treat it as read-only and copy it before changing anything in it.
        """
        with self._lock:
            if self._public is None:
                self._public = {
                    name: redact({
                        key: mask_credentials(copy.deepcopy(value))
                        for key, value in self._document.get(name, {}).items()
                        if key not in section.secret_fields
                    }, section.write_only_fields)
                    for name, section in sorted(self._sections.items())
                }
            return self._public

    def document_schema(self, *, partial: bool = False) -> dict[str, Any]:
        """JSON Schema of :meth:`public_document`: each section's own schema, secrets left out.

        ``partial`` drops the required lists: a document with only some sections and
        fields, as a settings import takes.
        """
        return self._schema_of_sections(hidden=lambda s: s.secret_fields, partial=partial,
                                        reading=True)

    def update_schema(self) -> dict[str, Any]:
        """JSON Schema of what ``POST /settings`` accepts: any fields of any sections.

        Each field keeps its own schema; fields the API cannot set (secret, internal) are
        left out. Rules across fields (``required``, ``if``/``then``) are checked on the
        merged section by :meth:`update`, so they are not part of a partial update.
        """
        return self._schema_of_sections(
            hidden=lambda s: s.secret_fields | s.internal_fields, partial=True)

    def _schema_of_sections(
        self, hidden: Callable[[SettingsSection], frozenset[str]], partial: bool,
        reading: bool = False,
    ) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        for name, section in sorted(self._sections.items()):
            own = dict(section.schema)
            if reading:
                own = readable_schema(own, section.write_only_fields)
            fields = {
                key: copy.deepcopy(spec)
                for key, spec in own.get("properties", {}).items()
                if key not in hidden(section)
            }
            schema: dict[str, Any] = {"type": "object", "properties": fields}
            if section.description:
                schema["description"] = section.description
            if "additionalProperties" in section.schema:
                schema["additionalProperties"] = section.schema["additionalProperties"]
            if not partial:
                schema["required"] = sorted(key for key in fields if key in section.defaults)
            properties[name] = schema
        document: dict[str, Any] = {
            "type": "object", "properties": properties, "additionalProperties": False,
        }
        if not partial:
            document["required"] = sorted(properties)
        return document

    def form_schemas(self) -> dict[str, Any]:
        """Each section's schema as a form needs it (``GET /settings/schema``).

        The section's own schema, whole (titles, descriptions, bounds, patterns, nested
        objects and lists, rules across fields), with: secret fields left out; each
        write-only field marked ``writeOnly`` (a read shows ``<field>_set`` instead);
        each field only settings.json may set marked ``readOnly``; each field's default
        as its ``default`` where the schema has none; each object's field order as
        ``x-order`` (a JSON answer sorts keys).
        """
        forms: dict[str, Any] = {}
        for name, section in sorted(self._sections.items()):
            schema = marked_schema(dict(section.schema), section.write_only_fields)
            properties = schema.setdefault("properties", {})
            for key in section.secret_fields:
                properties.pop(key, None)
            if isinstance(schema.get("required"), list):
                schema["required"] = [key for key in schema["required"]
                                      if key not in section.secret_fields]
            for key, spec in properties.items():
                if not isinstance(spec, dict):
                    continue
                if key in section.internal_fields:
                    spec["readOnly"] = True
                if key in section.defaults and "default" not in spec:
                    spec["default"] = copy.deepcopy(section.defaults[key])
            forms[name] = {
                "description": section.description,
                "schema": with_field_order(schema),
                "write_only": sorted(section.write_only_fields),
                "read_only": sorted(section.internal_fields - section.secret_fields),
            }
        return forms

    def secret_values(self) -> list[str]:
        """Current values of every secret field, for redacting logs."""
        with self._lock:
            values = [
                str(self._document.get(name, {}).get(field))
                for name, section in self._sections.items()
                for field in section.secret_fields
                if self._document.get(name, {}).get(field)
            ]
            for name, section in self._sections.items():
                values += leaf_values(self._document.get(name, {}), section.write_only_fields)
            return values

    # --- writing -------------------------------------------------------------------

    async def save(
        self, section: str, changes: Mapping[str, Any], *, trusted: bool = False
    ) -> list[str]:
        """Validate and write changes to one section, then publish ``settings_changed``.

        The write runs in a worker thread. ``trusted`` lets the section's owner set its
        secret and internal fields. Returns ``[section]`` if anything changed, else
        ``[]``; raises :class:`SettingsError` (400, naming the field) or
        :class:`SettingsWriteError` (507), and then nothing changed.
        """
        return await self.save_sections({section: changes}, trusted=trusted)

    async def save_sections(
        self, changes: Mapping[str, Any], *, trusted: bool = False
    ) -> list[str]:
        """:meth:`save` for several sections at once (``POST /settings``), all or none."""
        changed = await asyncio.to_thread(self.update, changes, trusted=trusted)
        if changed and self.publish is not None:
            self.publish("settings_changed", {"sections": changed})
        return changed

    def update(
        self, changes: Mapping[str, Any], *, trusted: bool = False
    ) -> list[str]:
        """Merge ``{section: {field: value}}`` into the document; validate; write once.

        ``trusted`` lets the owner set secret and internal fields; the API never does.
        Returns the names of the sections that changed. Raises :class:`SettingsError`
        naming the first offending field; then nothing is written.
        """
        if not isinstance(changes, Mapping):
            raise SettingsError("the settings body must be a JSON object of sections")
        with self._lock, self._file_lock():
            self._take_in_file_changes()
            updated: dict[str, dict[str, Any]] = {}
            for name, patch in changes.items():
                section = self._sections.get(name)
                if section is None:
                    known = ", ".join(sorted(self._sections))
                    raise SettingsError(f"{name}: unknown settings section (known: {known})")
                if not isinstance(patch, Mapping):
                    raise SettingsError(f"{name}: must be an object of fields")
                if not trusted:
                    for key in patch:
                        if key in section.secret_fields or key in section.internal_fields:
                            raise SettingsError(f"{name}.{key}: cannot be set through the API")
                previous = self._document.get(name, {})
                if section.write_only_fields:
                    patch = strip_markers(dict(patch), section.write_only_fields)
                if not trusted:
                    patch = _keep_masked(previous, patch)
                merged = _merge_defaults(previous, patch)
                keep_omitted(previous, merged, section.write_only_fields)
                problem = self._problem(name, merged, previous)
                if problem is not None:
                    raise SettingsError(problem)
                updated[name] = merged
            changed = [name for name, value in updated.items() if self._document.get(name) != value]
            if not changed:
                return []
            document = dict(self._document)
            document.update(updated)
            self._write_file(document)
            self._document = document
            self._file_state = self._stat()
            self._public = None
            self._snapshots = {}
            return changed

    # --- other writers: the command line, a hand edit ------------------------------------

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        """An exclusive lock between every process writing this settings file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _take_in_file_changes(self) -> list[str]:
        """Re-read the file if another process wrote it since we did (lock held)."""
        state = self._stat()
        if state == self._file_state or state is None:
            return []
        try:
            stored = self._parse(self.path)
        except (OSError, ValueError) as exc:
            log.error("settings.json changed on disk but cannot be read (%s): ignored", exc)
            self._file_state = state
            return []
        document = dict(stored)
        for name, section in self._sections.items():
            document[name] = self._adopt(section, stored.get(name))
        changed = sorted(name for name in set(document) | set(self._document)
                         if document.get(name) != self._document.get(name))
        self._document, self._file_state, self._public = document, state, None
        self._snapshots = {}
        if changed:
            log.info("settings.json was changed by another process: %s", ", ".join(changed))
        return changed

    def reload_if_changed(self) -> list[str]:
        """Take in what another process wrote; returns the sections that changed."""
        with self._lock:
            if self._stat() == self._file_state:
                return []  # the common case: one stat, no lock file
            with self._file_lock():
                return self._take_in_file_changes()

    async def watch(self, interval: float = 1.0) -> None:
        """Until cancelled: take in changes other processes make, and announce them."""
        while True:
            await asyncio.sleep(interval)
            try:
                changed = await asyncio.to_thread(self.reload_if_changed)
            except OSError:
                log.exception("settings.json could not be checked for changes")
                continue
            if changed and self.publish is not None:
                self.publish("settings_changed", {"sections": changed})

    def _write_file(self, document: Mapping[str, Any]) -> None:
        data = (json_values.dumps(document, indent=2, sort_keys=True) + "\n").encode()
        try:
            self._atomic_write(self.path.with_name(self.path.name + ".bak"), data)
            self._atomic_write(self.path, data)
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as error:
            log.error("settings could not be saved: %s", error)
            raise SettingsWriteError(error) from error

    @staticmethod
    def _atomic_write(target: Path, data: bytes) -> None:
        temp = target.with_name(f"{target.name}.tmp-{os.getpid()}-{threading.get_ident()}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except OSError:
            os.close(fd)
            temp.unlink(missing_ok=True)
            raise
        os.close(fd)
        os.replace(temp, target)


