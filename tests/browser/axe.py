"""axe-core in the browser tests: a pinned copy of ``axe.min.js`` (npm axe-core 4.14.1, tests/browser/assets,
MPL-2.0) is evaluated into the page through Playwright (the DevTools protocol, which the page's CSP does not
govern) and run over the whole document. Serious and critical violations fail the test."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "assets" / "axe-core-4.14.1.min.js"
FAILING = ("serious", "critical")

RUN = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').split('\\n')[1])}));
}"""


@cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(page: Page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    return [v for v in page.evaluate(RUN) if v["impact"] in FAILING]


def assert_accessible(page: Page) -> None:
    found = violations(page)
    assert not found, f"axe-core on {page.url}: " + "; ".join(
        f"{v['impact']} {v['id']} ({v['help']}): {v['nodes']}" for v in found)
