"""Issue 16 §3: a refused count minutes says at the top of the page everything still to fix (the law's checks and the
signatures together), each a link to its field; an explanation already written is not asked for again; and a
refused boosted form stays at its page's address, so a reload does not answer 405."""

from __future__ import annotations

from tests.reports.helpers import AREA, vn
from tests.reports.test_views import NA, clock, count_form_data, count_url, form_values, soup  # noqa: F401


def _summary(page) -> list[tuple[str, str]]:
    box = page.select_one("[data-error-summary]")
    assert box is not None, "no summary at the top of a refused form"
    return [(a["href"], a.get_text(" ", strip=True)) for a in box.select("a")]


def test_a_refused_minutes_lists_every_problem_at_the_top_with_links(as_user, w, clock, db_session):  # noqa: F811
    clock(vn(19, 40))
    client = as_user("to01")
    url = count_url(w, db_session)
    values = count_form_data(db_session, w, soup(client.get(url)))
    valid = int(values["valid"])
    response = client.post(url, data={**values, "valid": str(valid + 1), "witness_2": "", "step": "review"})
    assert response.status_code == 422
    page = soup(response)
    items = _summary(page)
    form = page.select_one("#count-entry")
    # The summary comes first in the form, before any field.
    assert form.select_one("[data-error-summary]") is form.select_one("[data-error-summary], input[inputmode]")
    hrefs = [href for href, _ in items]
    assert "#valid" in hrefs, items
    assert "#witness_2" in hrefs, "the witnesses are reported with the arithmetic, not one round trip later"
    assert any("Ghi tên hai cử tri chứng kiến" in text for _, text in items)
    for href in hrefs:
        assert page.select_one(href) is not None, f"{href} leads nowhere"
    assert page.select_one("[data-error-summary] h2").get_text(strip=True).endswith(f"({len(items)})")


def test_an_explanation_written_is_not_asked_for_again(as_user, w, clock, db_session):  # noqa: F811
    clock(vn(19, 40))
    client = as_user("to01")
    url = count_url(w, db_session)
    values = count_form_data(db_session, w, soup(client.get(url)))
    issued = str(int(values["ballots_issued"]) + 1)
    received = str(int(values["ballots_received"]))
    bad = {**values, "ballots_issued": issued, "ballots_received": received, "witness_2": "", "step": "review"}
    asked = _summary(soup(client.post(url, data=bad)))
    assert "#explain_issued_ne_voted" in [href for href, _ in asked]
    explained = _summary(soup(client.post(url, data={**bad, "explain_issued_ne_voted": "Một phiếu hỏng đổi lại.",
                                                     "explain_received_lt_issued": "Một phiếu hỏng đổi lại."})))
    assert [href for href, _ in explained] == ["#witness_2"]


def test_a_refused_boosted_form_keeps_its_page_address(as_user, w, clock, db_session):  # noqa: F811
    clock(vn(19, 40))
    client = as_user("to01")
    url = count_url(w, db_session)
    values = count_form_data(db_session, w, soup(client.get(url)), witness_2="")
    boosted = {"HX-Request": "true", "HX-Boosted": "true"}
    refused = client.post(url, data={**values, "step": "review"}, headers=boosted)
    assert refused.status_code == 422 and refused.headers["HX-Push-Url"] == "false"
    assert "HX-Push-Url" not in client.get(url, headers=boosted).headers
    # A POST-only address: without the header htmx would push it, and a reload would answer 405.
    no_change = url.split("/count/")[0] + "/turnout/no-change"
    assert client.get(no_change).status_code == 405
    refused = client.post(no_change, data={"csrf_token": values["csrf_token"]}, headers=boosted)
    assert refused.status_code == 422 and refused.headers["HX-Push-Url"] == "false"


def test_the_bar_keeps_only_what_is_unresolved_and_an_explanation_rechecks_it(
        as_user, w, clock, db_session):  # noqa: F811
    clock(vn(19, 40))
    client = as_user("to01")
    url = count_url(w, db_session)
    page = soup(client.get(url))
    values = count_form_data(db_session, w, page)
    values["ballots_issued"] = str(int(values["ballots_issued"]) + 1)  # issued ≠ voted: to explain
    check = page.select_one("#count-entry .rep-numbers")["hx-post"]

    def bar(**more):
        fragment = soup(client.post(check, data={**values, **more}))
        return fragment.select_one(".rep-live-bar").get_text(" ", strip=True), fragment

    text, fragment = bar()
    assert text.startswith("Cần xem: ") and "Số phiếu phát ra" in text, text
    box = fragment.select_one("textarea[name=explain_issued_ne_voted]")
    # The box rechecks the bar as it is typed in, and swaps the bar only.
    assert box["hx-post"] == check and box["hx-select"] == box["hx-target"] == ".rep-live-bar"
    text, _ = bar(explain_issued_ne_voted="Một phiếu hỏng đã đổi.", explain_received_lt_issued="Một phiếu hỏng.")
    assert "Cần xem" not in text and text.startswith("✓"), text


def test_a_refused_turnout_lists_its_problems_at_the_top_with_links(as_user, w, clock, db_session):  # noqa: F811
    """The turnout form's summary is the count form's: at the top of the form, each problem a link to the field
    that fixes it, the field marked invalid."""
    client = as_user("to01")
    url = f"/reports/{w.area(AREA).id}/turnout"
    values = form_values(soup(client.get(url)), "form[data-offline]")
    page = soup(client.post(url, data={**values, "voted": "999999"}))
    items = _summary(page)
    assert {href for href, _ in items} == {"#voted"} and all("lớn hơn" in text for _, text in items)
    form = page.select_one("form[data-offline]")
    assert form.select_one("[data-error-summary]") is form.select_one("[data-error-summary], input[inputmode]")
    assert page.select_one("#voted")["aria-invalid"] == "true"
    assert client.post(url, data={**values, "voted": "420"}).status_code == 303
    # Lower than the last report without a reason: the reason's box is the fix, opened.
    clock(vn(11, 32))
    values = form_values(soup(client.get(url)), "form[data-offline]")
    page = soup(client.post(url, data={**values, "voted": "400"}))
    assert [href for href, _ in _summary(page)] == ["#reason"]
    assert page.select_one("details.rep-reason").has_attr("open")


def test_a_refused_turnout_per_contest_links_each_contests_field(as_user, w, clock, db_session):  # noqa: F811
    client = as_user("to01")
    url = f"/reports/{w.area(AREA).id}/turnout?per_contest=1"
    values = form_values(soup(client.get(url)), "form[data-offline]")
    names = sorted(n for n in values if n.startswith("contest_"))
    page = soup(client.post(url, data={**values, **{n: "300" for n in names}, names[1]: "", names[2]: "x"}))
    hrefs = [href for href, _ in _summary(page)]
    assert hrefs == [f"#{names[1]}", f"#{names[2]}"], hrefs
    for href in hrefs:
        assert page.select_one(href)["aria-invalid"] == "true"
    assert page.select_one(f"#{names[0]}")["aria-invalid"] == "false"
