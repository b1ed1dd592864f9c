"""Login, sessions, lockout, CSRF and API tokens against the real store."""

import httpx
import pytest

from ..conftest import PASSWORD, Stack, api_token, browser, csrf_of, login

pytestmark = pytest.mark.integration


async def test_login_sets_a_safe_session_cookie_and_opens_the_role_home(stack: Stack) -> None:
    async with browser(stack) as client:
        response = await login(client, "cur-elets-1")
        assert response.status_code == 303
        assert response.headers["location"] == "/curator"
        cookie = response.headers["set-cookie"]
        assert "patronage_session=" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
        home = await client.get("/curator")
        assert home.status_code == 200
        assert "Маркова Виктория Петровна" in home.text


async def test_wrong_password_keeps_the_login_and_says_so_next_to_the_field(stack: Stack) -> None:
    async with browser(stack) as client:
        response = await login(client, "cur-elets-1", "wrong-password")
        assert response.status_code == 401
        assert 'value="cur-elets-1"' in response.text
        assert 'id="e-password"' in response.text
        assert "Неверный логин или пароль" in response.text
        assert "patronage_session" not in client.cookies


async def test_repeated_failures_lock_the_login_even_with_the_right_password(
    stack: Stack,
) -> None:
    async with browser(stack) as client:
        for _ in range(stack.settings.login_free_attempts - 1):
            assert (await login(client, "dispatcher-1", "nope-nope")).status_code == 401
        locked = await login(client, "dispatcher-1", "nope-nope")
        assert locked.status_code == 429
        assert "Слишком много неудачных попыток" in locked.text
        still_locked = await login(client, "dispatcher-1", PASSWORD)
        assert still_locked.status_code == 429
    token = await client_token_status(stack, "dispatcher-1")
    assert token == 429
    # Another login is not affected.
    async with browser(stack, "cur-elets-1") as other:
        assert (await other.get("/curator")).status_code == 200


async def client_token_status(stack: Stack, user: str) -> int:
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.post("/api/token", json={"login": user, "password": PASSWORD})
        return response.status_code


async def test_a_form_without_the_csrf_token_is_refused(stack: Stack) -> None:
    async with browser(stack) as client:
        await client.get("/login")
        forged = await client.post("/login", data={"login": "cur-elets-1", "password": PASSWORD})
        assert forged.status_code == 403
    async with browser(stack, "cur-elets-1") as client:
        page = await client.get("/families/new")
        token = csrf_of(page.text)
        no_token = await client.post("/logout")
        assert no_token.status_code == 403
        wrong = await client.post("/logout", data={"csrf_token": token[::-1]})
        assert wrong.status_code == 403
        assert (await client.get("/curator")).status_code == 200
        ok = await client.post("/logout", data={"csrf_token": token})
        assert ok.status_code == 303
        assert (await client.get("/curator")).headers["location"].startswith("/login")


async def test_api_tokens_authenticate_and_expire_with_logout_never(stack: Stack) -> None:
    headers = await api_token(stack, "head-elets")
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        me = await client.get("/api/me", headers=headers)
        assert me.status_code == 200
        assert me.json()["role"] == "district_head"
        assert me.json()["district"] == "elets"
        bad = await client.get("/api/me", headers={"Authorization": "Bearer not-a-token"})
        assert bad.status_code == 401
        assert (await client.get("/api/me")).status_code == 401


async def test_cookie_authenticated_api_writes_need_the_csrf_header(stack: Stack) -> None:
    async with browser(stack, "dispatcher-1") as client:
        response = await client.post(
            "/api/requests",
            json={
                "family_id": "00000000-0000-0000-0000-000000000000",
                "category": "housing",
                "description": "Течёт крыша",
            },
        )
        assert response.status_code == 403
