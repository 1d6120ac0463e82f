"""Authentication as the seed describes it, with the original's defects fixed."""

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seccam_core.auth import LoginThrottle, hash_password, verify_password


@pytest.fixture
def password(seccam_app):
    return seccam_app.seccam.initial_password


async def test_first_start_generates_a_password_that_logs_in(seccam_client, password):
    assert password and len(password) >= 12
    response = await seccam_client.post("/auth/validate", json={"password": password}, token=None)
    assert response.status_code == 200
    body = await response.get_json()
    assert body == {"valid": True, "token": seccam_client.seccam.auth.token}


async def test_wrong_password_is_refused(seccam_client):
    response = await seccam_client.post("/auth/validate", json={"password": "nope"}, token=None)
    assert (response.status_code, await response.get_json()) == (200, {"valid": False})


async def test_password_must_be_a_string(seccam_client):
    response = await seccam_client.post("/auth/validate", json={"password": 1234}, token=None)
    assert response.status_code == 400
    assert "password" in (await response.get_json())["error"]


async def test_failed_logins_are_throttled_per_address(seccam_client, password):
    for _ in range(5):
        await seccam_client.post("/auth/validate", json={"password": "guess"}, token=None)
    blocked = await seccam_client.post("/auth/validate", json={"password": password}, token=None)
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert "try again" in (await blocked.get_json())["error"]


def test_throttle_window_expires():
    now = [1000.0]
    throttle = LoginThrottle(limit=2, window=60, clock=lambda: now[0])
    throttle.failed("a")
    throttle.failed("a")
    assert not throttle.check("a").allowed
    assert throttle.check("b").allowed, "other addresses are not affected"
    now[0] += 61
    assert throttle.check("a").allowed


async def test_status_reports_token_validity(seccam_client):
    token = seccam_client.seccam.auth.token
    cases = {None: None, token: True, "bad": False}
    for sent, expected in cases.items():
        response = await seccam_client.get("/auth/status", token=sent)
        assert await response.get_json() == {"enabled": True, "valid": expected}


async def test_regenerate_kills_the_old_token(seccam_client):
    old = seccam_client.seccam.auth.token
    response = await seccam_client.post("/auth/regenerate")
    new = (await response.get_json())["token"]
    assert new != old and len(new) >= 43
    assert (await seccam_client.get("/settings", token=old)).status_code == 401
    assert (await seccam_client.get("/settings", token=new)).status_code == 200


async def test_set_password(seccam_client, password):
    async def change(current, new):
        response = await seccam_client.post(
            "/auth/set-password", json={"current": current, "new": new})
        return response.status_code, await response.get_json()

    assert (await change(password, "abc"))[0] == 400
    assert (await change(password, "x" * 129))[0] == 400
    status, body = await change("wrong", "good-password")
    assert status == 403 and "current" in body["error"]
    assert await change(password, "good-password") == (200, {"message": "Password updated"})
    login = await seccam_client.post(
        "/auth/validate", json={"password": "good-password"}, token=None)
    assert (await login.get_json())["valid"] is True


async def test_turning_auth_off_and_on_through_settings(seccam_client):
    response = await seccam_client.post("/settings", json={"Auth": {"enabled": False}})
    assert response.status_code == 200
    assert (await seccam_client.get("/settings", token=None)).status_code == 200
    response = await seccam_client.post("/settings", json={"Auth": {"enabled": True}}, token=None)
    body = await response.get_json()
    assert body["token"] == seccam_client.seccam.auth.token
    assert (await seccam_client.get("/settings", token=None)).status_code == 401


async def test_secrets_cannot_be_set_or_read_through_settings(seccam_client):
    response = await seccam_client.post("/settings", json={"Auth": {"token": "mine"}})
    assert response.status_code == 400
    assert "Auth.token" in (await response.get_json())["error"]
    document = await (await seccam_client.get("/settings")).get_json()
    assert document["Auth"] == {"enabled": True}
    exported = await (await seccam_client.get("/settings/export")).get_data(as_text=True)
    assert seccam_client.seccam.auth.token not in exported
    assert "password_hash" not in exported


def test_password_hash_is_salted_scrypt():
    first, second = hash_password("same"), hash_password("same")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("same", first) and not verify_password("other", first)


def test_hashes_of_the_original_system_still_verify():
    """Werkzeug's pbkdf2 format, built here with hashlib (Werkzeug is not a dependency)."""
    digest = hashlib.pbkdf2_hmac("sha256", b"door", b"salty", 1000).hex()
    stored = f"pbkdf2:sha256:1000$salty${digest}"
    assert verify_password("door", stored)
    assert not verify_password("window", stored)
    scrypt_digest = hashlib.scrypt(b"door", salt=b"s4lt", n=2**14, r=8, p=1, dklen=64).hex()
    assert verify_password("door", f"scrypt:16384:8:1$s4lt${scrypt_digest}")


# --- hardening (issue 17) ----------------------------------------------------------------


async def test_concurrent_wrong_logins_run_at_most_the_limit_of_hash_checks(
        seccam_client, monkeypatch):
    """100 wrong logins at once: the throttle's slots are taken before hashing."""
    import asyncio

    auth = seccam_client.seccam.auth
    checks = []
    real_check = auth.check_password

    def counted(password):
        checks.append(password)
        return real_check(password)

    monkeypatch.setattr(auth, "check_password", counted)
    answers = await asyncio.gather(*(
        seccam_client.post("/auth/validate", json={"password": f"guess-{n}"}, token=None)
        for n in range(100)))
    statuses = sorted(answer.status_code for answer in answers)
    assert len(checks) <= auth.throttle.limit
    assert statuses.count(429) == 100 - len(checks)


async def test_first_password_lives_in_a_private_file_removed_at_first_login(seccam_app):
    seccam = seccam_app.seccam
    secret_file = seccam.data_dir / "first-password.txt"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert secret_file.read_text().strip() == seccam.initial_password
    client = seccam_app.test_client()
    wrong = await client.post("/auth/validate", json={"password": "not-it-at-all"})
    assert (await wrong.get_json())["valid"] is False and secret_file.exists()
    right = await client.post("/auth/validate", json={"password": seccam.initial_password})
    assert (await right.get_json())["valid"] is True
    assert not secret_file.exists()


@pytest.mark.parametrize("origin", ["http://evil.example", "null"])
async def test_login_is_never_open_to_another_origin(seccam_client, password, origin):
    """Even with the origin (or "*") configured, no other page can try passwords."""
    await seccam_client.post("/settings", json={"Api": {"cors_origins": ["*", origin]}})
    response = await seccam_client.post(
        "/auth/validate", json={"password": password}, token=None, headers={"Origin": origin})
    assert response.status_code == 403
    assert "token" not in (await response.get_json())
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_cors_is_same_origin_by_default(seccam_client, password):
    foreign = await seccam_client.get("/settings", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers
    posted = await seccam_client.post("/sensor/disable", headers={"Origin": "http://evil.example"})
    assert posted.status_code == 403
    own = await seccam_client.post("/auth/validate", json={"password": password}, token=None,
                                   headers={"Origin": "http://localhost"})
    assert (await own.get_json())["valid"] is True
    null = await seccam_client.post("/sensor/disable", headers={"Origin": "null"})
    assert null.status_code == 403


_INVISIBLE = st.sampled_from(["\x00", "\x07", "\t", "\n", "\x1b", "\x7f", "\u200b", "\u200e",
                              "\u2028", "\ufeff", "\u202e"])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(weak=st.one_of(
    st.text(min_size=0, max_size=7),
    st.text(alphabet=" \u00a0\u3000", min_size=8, max_size=20),
    st.tuples(st.text(min_size=4, max_size=10), _INVISIBLE, st.text(max_size=10)).map("".join),
))
async def test_weak_new_passwords_are_refused_and_never_echoed(seccam_client, password, weak):
    response = await seccam_client.post(
        "/auth/set-password", json={"current": password, "new": weak})
    assert response.status_code == 400
    error = (await response.get_json())["error"]
    assert error.startswith("new:")
    assert repr(weak) not in error
    assert len(weak.strip()) < 4 or weak not in error, "the password is never echoed"
    assert seccam_client.seccam.auth.check_password(password), "the password is unchanged"
