"""The gateway in real headless Chromium (Debian's, driven by Playwright), end to end.

A curator registers a family and creates a request; the housing agency's worker resolves
it in the inbox (the requests service applies it and announces it over the real Kafka); the
curator's open page shows the new status without a reload, pushed over its live stream (the
notifications service's server-sent events, proxied by the gateway; the page does not poll);
the district head's dashboard counts it. Each main screen is saved under
test-artifacts/screenshots/.
"""

import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, async_playwright, expect

from ..conftest import PASSWORD, Stack

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[4] / "test-artifacts" / "screenshots"
TABLET = {"width": 1024, "height": 768}


@pytest.fixture
async def new_context() -> AsyncIterator[object]:
    """Opens fresh browser profiles (each its own --user-data-dir); closes them after."""
    if not Path(CHROMIUM).exists():  # noqa: ASYNC240 - once, before the browser starts
        pytest.fail("Debian's chromium is missing: run scripts/install-chromium.sh")
    SHOTS.mkdir(parents=True, exist_ok=True)
    opened: list[tuple[BrowserContext, str]] = []
    async with async_playwright() as playwright:

        async def open_context() -> BrowserContext:
            profile = tempfile.mkdtemp(prefix="patronage-chromium-")
            context = await playwright.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport=TABLET,
                locale="ru-RU",
            )
            context.set_default_timeout(20_000)
            opened.append((context, profile))
            return context

        yield open_context
        for context, profile in opened:
            await context.close()
            shutil.rmtree(profile, ignore_errors=True)


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def log_in(context: BrowserContext, base: str, user: str) -> Page:
    """Log in with the keyboard only: type, Tab to the password, Enter."""
    page = await context.new_page()
    await page.goto(f"{base}/login")
    await page.get_by_label("Логин").fill(user)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(lambda url: "/login" not in url)
    return page


async def test_curator_agency_and_head_work_one_request_in_the_browser(
    live_stack: Stack, new_context: object
) -> None:
    base = live_stack.gateway
    open_context = new_context  # type: ignore[assignment]

    # The login page, then the curator's families.
    curator_ctx: BrowserContext = await open_context()  # type: ignore[operator]
    login_page = await curator_ctx.new_page()
    await login_page.goto(f"{base}/")
    await expect(login_page.get_by_role("heading", name="Вход")).to_be_visible()
    await shot(login_page, "01-login")
    await login_page.close()
    curator = await log_in(curator_ctx, base, "cur-elets-1")
    await expect(curator.get_by_role("heading", name="Мои семьи", level=1)).to_be_visible()
    await shot(curator, "02-curator-families")

    # A new family: a forgotten consent shows the error next to it and keeps the input.
    await curator.get_by_role("link", name="Новая семья").first.click()
    await curator.get_by_label("ФИО").first.fill("Кузнецова Елена Игоревна")
    await curator.get_by_label("Дата рождения").first.fill("1991-06-15")
    await curator.get_by_label("Телефон").fill("+7 910 555-12-34")
    await curator.locator("#f-serviceman_full_name").fill("Кузнецов Олег Петрович")
    await curator.locator("#f-serviceman_birth_date").fill("1989-01-20")
    await curator.get_by_label("Населённый пункт").fill("Елец")
    await curator.get_by_role("button", name="Зарегистрировать семью").click()
    await expect(curator.locator("#e-consent")).to_contain_text("согласия")
    await expect(curator.get_by_label("Телефон")).to_have_value("+7 910 555-12-34")
    await shot(curator, "03-new-family-validation")
    await curator.get_by_label("Согласие на обработку персональных данных получено").check()
    await curator.get_by_role("button", name="Зарегистрировать семью").click()
    await expect(curator.get_by_test_id("family-name")).to_have_text("Кузнецова Елена Игоревна")
    await shot(curator, "04-passport")

    # A request from the passport page (the requests service learns of the family by Kafka).
    for _attempt in range(60):
        await curator.get_by_label("Направление").select_option("housing")
        await curator.get_by_label("Описание").fill("Протекает крыша, нужен ремонт")
        await curator.get_by_role("button", name="Создать заявку").click()
        await curator.wait_for_load_state()
        if "/requests/" in curator.url:
            break
        await expect(curator.locator(".form-error")).to_be_visible()
        await curator.wait_for_timeout(500)
    assert "/requests/" in curator.url
    # The page listens to the curator's live stream; it never polls the status.
    status_reads: list[str] = []
    curator.on(
        "request", lambda r: status_reads.append(r.url) if r.url.endswith("/status") else None
    )
    feed = curator.get_by_test_id("live-feed")
    await expect(feed).to_have_attribute("data-state", "open")
    status = curator.get_by_test_id("request-status")
    await expect(status).to_have_attribute("data-status", "routed", timeout=30_000)
    await shot(curator, "05-request-routed")

    # The housing worker resolves it in the inbox.
    worker_ctx: BrowserContext = await open_context()  # type: ignore[operator]
    worker = await log_in(worker_ctx, base, "housing-1")
    for _attempt in range(60):
        if await worker.get_by_role("link", name="Открыть").count():
            break
        await worker.wait_for_timeout(500)
        await worker.reload()
    await shot(worker, "06-agency-inbox")
    await worker.get_by_role("link", name="Открыть").first.click()
    await expect(worker.get_by_text("Протекает крыша, нужен ремонт")).to_be_visible()
    await worker.get_by_label("Принять").check()
    await worker.get_by_role("button", name="Сохранить").click()
    await expect(worker.get_by_test_id("task-status")).to_have_attribute("data-status", "accepted")
    await worker.get_by_label("Решить").check()
    await worker.get_by_role("button", name="Сохранить").click()
    await expect(worker.locator("#e-text")).to_contain_text("Опишите, что сделано")
    await worker.get_by_label("Текст (результат, вопрос или причина)").fill(
        "Кровля отремонтирована"
    )
    await worker.get_by_label("Решить").check()
    await worker.get_by_role("button", name="Сохранить").click()
    await expect(worker.get_by_test_id("task-status")).to_have_attribute("data-status", "resolved")
    await shot(worker, "07-agency-task-resolved")

    # The curator's page, never reloaded, shows it.
    await expect(status).to_have_attribute("data-status", "resolved", timeout=45_000)
    await expect(status).to_have_text("решена")
    await expect(curator.locator(".task-note")).to_have_text("Кровля отремонтирована")
    await expect(feed).to_contain_text("решена")
    # A status read per notification shown (and one when the stream opened), none on a timer.
    assert len(status_reads) <= await feed.locator("li").count() + 1, status_reads
    await shot(curator, "08-request-resolved-live")

    # The district head's dashboard counts it.
    head_ctx: BrowserContext = await open_context()  # type: ignore[operator]
    head = await log_in(head_ctx, base, "head-elets")
    resolved_row = head.locator("tr[data-status=resolved] .count")
    for _attempt in range(60):
        if (await resolved_row.inner_text()).strip() == "1":
            break
        await head.wait_for_timeout(500)
        await head.reload()
    await expect(resolved_row).to_have_text("1")
    await shot(head, "09-head-dashboard")

    # The dispatcher finds the family by phone; the auditor sees who did what.
    dispatcher = await log_in(await open_context(), base, "dispatcher-1")  # type: ignore[operator]
    await dispatcher.get_by_label("Телефон", exact=True).fill("8 (910) 555-12-34")
    await dispatcher.get_by_role("button", name="Найти").click()
    await expect(dispatcher.get_by_test_id("found")).to_contain_text("Кузнецова Елена Игоревна")
    await shot(dispatcher, "10-dispatcher-desk")
    auditor = await log_in(await open_context(), base, "auditor-1")  # type: ignore[operator]
    await expect(auditor.get_by_test_id("audit-entries")).to_contain_text("cur-elets-1")
    await expect(auditor.get_by_test_id("audit-entries")).to_contain_text("housing-1")
    await shot(auditor, "11-audit-log")

    # English on request.
    await curator.goto(f"{base}/curator")
    await curator.get_by_role("link", name="EN").click()
    await expect(curator.get_by_role("heading", name="My families", level=1)).to_be_visible()
    await shot(curator, "12-curator-english")
