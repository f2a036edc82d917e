"""Nothing typed is ever lost (issue 16 §1), in Debian's Chromium at 360×740: a draft of the count minutes
survives a reload and "Trang chủ" then Back, says it was restored, can be discarded, asks before the page is
left, and goes once the minutes are sent; offline, a queued report shows where it would be typed again, and the
photo taken in the offline read-back is queued shrunk."""

from __future__ import annotations

import io
import os

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.offline.conftest import OWN_LEADERS, LiveServer, shot, sign_in
from tests.offline.helpers import keep_pages, outbox, wait_until
from tests.offline.test_count_offline_browser import _contests, enter_count_offline, evening  # noqa: F401
from tests.offline.test_offline_browser import TURNOUT_FORM, enter_offline, prepare
from webapp.accounts.models import User
from webapp.elections.models import PollingArea

pytestmark = pytest.mark.browser

# The drafts kept in the outbox's IndexedDB (read directly: the test must not trust the code it checks).
DRAFTS = """() => new Promise((ok, fail) => {
  const req = indexedDB.open('baucu-outbox');
  req.onsuccess = () => {
    const get = req.result.transaction('meta').objectStore('meta').getAllKeys();
    get.onsuccess = () => { ok(get.result.filter(k => String(k).startsWith('draft:'))); req.result.close(); };
    get.onerror = () => fail(get.error);
  };
  req.onerror = () => fail(req.error);
})"""

# The queued photo as stored: its size in bytes and the dimensions of the image inside the multipart body.
QUEUED_PHOTO = """async () => {
  const item = (await window.Outbox.items()).find(i => i.kind === 'photo');
  const type = item.headers['Content-Type'];
  const file = (await new Response(item.body, {headers: {'Content-Type': type}}).formData()).getAll('photo')
    .find(f => f.size > 0);
  const bitmap = await createImageBitmap(file);
  return {body: item.body.byteLength, file: file.size, width: bitmap.width, height: bitmap.height};
}"""


def _code(server: LiveServer, username: str) -> str:
    with Session(server.app.extensions["db"].engine) as session:
        user = session.scalars(sa.select(User).where(User.username == username)).one()
        return session.get(PollingArea, user.polling_area_id).code


def _count_form(page: Page, server: LiveServer, username: str) -> tuple[str, str, dict[str, str]]:
    """The area's list of count minutes, the first contest's form, and minutes for it passing every check."""
    counts = page.get_attribute("#leader-home a[href$='/count']", "href")
    assert counts
    contest_id, values = _contests(server, _code(server, username))[0]
    return counts, f"{counts}/{contest_id}", values


def _typed(page: Page, names: list[str]) -> list[str]:
    return [page.input_value(f"#count-entry input[name={n}]") for n in names]


def _noise_jpeg(width: int, height: int) -> bytes:
    """A photo that compresses as badly as a real one (a flat colour would be a few KB at any size)."""
    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(out, "JPEG", quality=95)
    return out.getvalue()


def test_a_count_draft_survives_reload_and_back_is_discarded_and_goes_when_sent(phone, offline_server,
                                                                                 evening):  # noqa: F811
    leader = OWN_LEADERS["drafts"]
    page = phone().new_page()
    sign_in(page, leader)
    _, form, values = _count_form(page, offline_server, leader)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.accept()))

    page.goto(form)
    expect(page.locator("[data-draft-notice]")).to_have_count(0)
    names = list(values)[:6]
    for name in names:
        page.fill(f"#count-entry input[name={name}]", values[name])
    page.fill("#count-entry input[name=witness_1]", "Nguyễn Văn Chứng")
    wait_until(lambda: page.evaluate(DRAFTS), message="the draft to be kept", page=page)

    # A reload (and so a crashed tab): asked first, then everything typed is back, and says so.
    page.reload()
    assert dialogs == ["beforeunload"]
    notice = page.locator("[data-draft-notice=restored]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Đã khôi phục số liệu đang nhập dở")
    assert _typed(page, names) == [values[n] for n in names]
    assert page.input_value("#count-entry input[name=witness_1]") == "Nguyễn Văn Chứng"
    shot(page, "draft-restored")

    # "Trang chủ" (a boosted link: no unload) then Back: the draft, not the server's empty form.
    page.click(".mainnav a[href='/']")
    page.wait_for_function("() => location.pathname === '/'")
    page.go_back()
    page.wait_for_function("p => location.pathname === p", arg=form)
    expect(page.locator("[data-draft-notice=restored]")).to_be_visible()
    assert _typed(page, names) == [values[n] for n in names]

    # Discard: the server's values again, nothing kept, nothing to ask when leaving.
    page.click("[data-draft-discard]")
    expect(page.locator("[data-draft-notice]")).to_have_count(0)
    assert _typed(page, names) == [""] * len(names)
    wait_until(lambda: page.evaluate(DRAFTS) == [], message="the draft to go", page=page)
    page.reload()
    assert dialogs == ["beforeunload"]
    expect(page.locator("#count-entry")).to_be_visible()
    page.wait_for_timeout(300)
    expect(page.locator("[data-draft-notice]")).to_have_count(0)

    # Typed again and sent (the server's read-back, then "Correct — send"): the draft goes with it.
    for name, value in values.items():
        page.fill(f"#count-entry input[name={name}]", value)
    page.fill("#count-entry input[name=witness_1]", "Nguyễn Văn Chứng")
    page.fill("#count-entry input[name=witness_2]", "Lê Thị Kiến")
    wait_until(lambda: page.evaluate(DRAFTS), message="the draft to be kept", page=page)
    page.click("#count-entry button[name=step]")
    page.click("form[data-offline] button[name=step][value=send]")
    page.wait_for_function("p => location.pathname !== p", arg=form)
    wait_until(lambda: not outbox(page) and page.evaluate(DRAFTS) == [], message="sent, and the draft gone",
               page=page)
    page.goto(form)
    expect(page.locator("#count-entry")).to_be_visible()
    page.wait_for_timeout(300)
    expect(page.locator("[data-draft-notice]")).to_have_count(0)
    assert dialogs == ["beforeunload"]


def test_offline_queued_reports_show_where_they_would_be_typed_again(phone, offline_server,
                                                                    evening):  # noqa: F811
    leader = OWN_LEADERS["queued"]
    context = phone()
    page = context.new_page()
    turnout = prepare(page, leader)
    counts, form, values = _count_form(page, offline_server, leader)
    keep_pages(page, [counts, form])

    context.set_offline(True)
    enter_offline(page, turnout, 345)
    page.reload()
    expect(page.locator("[data-draft-notice=queued]")).to_contain_text("Đang chờ gửi")
    assert page.input_value(f"{TURNOUT_FORM} #voted") == "345"

    # Typing that began before the kept report was read wins. A tap (or Playwright's fill) focuses and selects the
    # field, and the digits come a moment later: a restore arriving in between made "345" + "346" = "345346".
    # The form is opened again (htmx:load) with the field focused and selected, the restore finishes (its notice is
    # back), then the digits are typed.
    page.evaluate("""(selector) => {
      const form = document.querySelector(selector), voted = form.querySelector('#voted');
      document.querySelectorAll('[data-draft-notice]').forEach((n) => n.remove());
      voted.blur(); voted.value = ''; form.removeAttribute('data-draft-ready');
      voted.focus(); voted.select();
      document.dispatchEvent(new CustomEvent('htmx:load', {detail: {elt: form}}));
    }""", TURNOUT_FORM)
    expect(page.locator("[data-draft-notice=queued]")).to_be_visible()
    page.keyboard.insert_text("346")
    assert page.input_value(f"{TURNOUT_FORM} #voted") == "346"
    page.once("dialog", lambda dialog: dialog.accept())  # "leave with unsent changes?": yes
    page.reload()
    queued = page.locator("#turnout-history [data-queued-item]")
    expect(queued).to_have_count(1)
    expect(queued).to_contain_text("19:00")
    expect(queued).to_contain_text("345")
    expect(queued.locator(".rep-status-queued")).to_have_text("đang chờ gửi")
    shot(page, "turnout-queued")

    # The count minutes, read back and queued on the phone; the photo after them is queued shrunk.
    client_uuid = enter_count_offline(page, form, values)
    big = _noise_jpeg(3000, 2250)
    assert len(big) > 3_000_000
    page.set_input_files("#photo-gallery-later", files=[{"name": "bien-ban.jpg", "mimeType": "image/jpeg",
                                                          "buffer": big}])
    page.click(f"#photo-after-{client_uuid} button[type=submit]")
    expect(page.locator("#photo-later .outbox-status.is-saved")).to_be_visible()
    photo = page.evaluate(QUEUED_PHOTO)
    assert (photo["width"], photo["height"]) == (1600, 1200)
    assert photo["body"] < len(big) / 3

    page.reload()
    expect(page.locator("[data-draft-notice=queued]")).to_be_visible()
    assert _typed(page, list(values)) == list(values.values())
    assert page.input_value("#count-entry input[name=witness_1]") == "Nguyễn Văn Chứng"
    shot(page, "count-queued")
    assert [i["kind"] for i in outbox(page)] == ["numbers", "numbers", "photo"]

    # The list of the minutes says which contest waits on the phone, rather than "not sent yet" alone.
    page.goto(counts)
    waiting = page.locator(f".rep-contest [data-queued-for$='{form}']")
    expect(waiting).to_be_visible()
    expect(waiting.locator(".rep-status-queued")).to_have_text("đang chờ gửi")
    expect(page.locator(".rep-contest [data-queued-for]:visible")).to_have_count(1)
