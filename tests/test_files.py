"""The one safe resolver: nothing outside the allowed folder, nothing but allowed names."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seccam_core.errors import ApiError
from seccam_core.files import FileArea


@pytest.fixture
def area(tmp_path):
    root = tmp_path / "recordings"
    root.mkdir()
    (root / "snapshot_20260401_143022.jpg").write_bytes(b"\xff\xd8jpeg")
    (tmp_path / "secret.txt").write_text("token")
    (tmp_path / "snapshot_outside.jpg").write_text("outside")
    return FileArea(root, ("snapshot_*.jpg",))


def test_absolute_and_relative_names_inside_resolve(area):
    inside = area.root / "snapshot_20260401_143022.jpg"
    assert area.resolve(str(inside)) == inside
    assert area.resolve("snapshot_20260401_143022.jpg") == inside


@pytest.mark.parametrize("requested, status", [
    ("../secret.txt", 400),
    ("../snapshot_outside.jpg", 400),
    ("/etc/passwd", 400),
    ("snapshot_20260401_143022.jpg/..", 400),
    ("snapshot_missing.jpg", 404),
    ("settings.json", 400),
    ("snapshot_x.jpg\x00.png", 400),
    ("..\\secret.txt", 400),
    ("", 400),
])
def test_refused(area, requested, status):
    with pytest.raises(ApiError) as caught:
        area.resolve(requested)
    assert caught.value.status == status


def test_non_string_is_refused(area):
    with pytest.raises(ApiError, match="path must be a non-empty string"):
        area.resolve(["snapshot_20260401_143022.jpg"])


def test_symlink_out_of_the_folder_is_refused(area, tmp_path):
    os.symlink(tmp_path / "secret.txt", area.root / "snapshot_link.jpg")
    with pytest.raises(ApiError) as caught:
        area.resolve("snapshot_link.jpg")
    assert caught.value.status == 400


def test_subfolders_only_when_recursive(tmp_path):
    root = tmp_path / "logs"
    (root / "install").mkdir(parents=True)
    (root / "install" / "a.log").write_text("x")
    with pytest.raises(ApiError):
        FileArea(root, ("*.log",)).resolve("install/a.log")
    assert FileArea(root, ("*.log",), recursive=True).resolve("install/a.log").name == "a.log"


PATH_PARTS = st.sampled_from(["..", ".", "snapshot_a.jpg", "x", "/", "//", "%2e%2e", "~",
                              "snapshot_*.jpg", "\x00", "link", "sub"])


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.one_of(PATH_PARTS, st.text(max_size=12)), min_size=1, max_size=8),
       absolute=st.booleans())
def test_no_generated_path_resolves_outside(area, tmp_path, parts, absolute):
    """Property: whatever the request says, the result is an allowed file in the folder."""
    if not (area.root / "link").exists():
        os.symlink(tmp_path, area.root / "link")
        (area.root / "sub").mkdir()
    requested = "/".join(parts)
    if absolute:
        requested = str(area.root) + "/" + requested
    try:
        resolved = area.resolve(requested)
    except ApiError as error:
        assert error.status in (400, 404)
        return
    assert resolved.parent == area.root.resolve()
    assert resolved.name.startswith("snapshot_") and resolved.name.endswith(".jpg")
    assert resolved.is_file() and not resolved.is_symlink()


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(categories=["Cs", "Cc", "Lu", "Nd", "Po"]),
                    min_size=1, max_size=20))
def test_any_text_is_a_client_error_never_a_crash(tmp_path_factory, text):
    """Lone surrogates and control characters included (issue 17: a 500 before)."""
    root = tmp_path_factory.getbasetemp()
    try:
        FileArea(root, ("snapshot_*.jpg",)).resolve(text)
    except ApiError as error:
        assert error.status in (400, 404)
