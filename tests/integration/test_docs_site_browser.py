"""The docs site in a real browser: headless Chromium loads ``target/docs/index.html`` from disk.

The graph renders, search finds a model, clicking a graph node opens its page, clicking a
column shows where it comes from and where it goes, focus dims the unrelated nodes. Screenshots
of each step are saved under the test's tmp folder (and copied to ``$PYFLOW_TEST_ARTIFACTS``
when that is set) for review.

Without a Chromium the test is skipped, except under ``CI=true`` (``.ci/run`` installs Debian's
``chromium``), where a missing browser fails it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.browser import Browser, find_chromium

pytestmark = pytest.mark.slow


@pytest.fixture
def chromium() -> str:
    found = find_chromium()
    if found is None:
        why = "no chromium found (apt-get install chromium, or set PYFLOW_CHROMIUM)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {why}", pytrace=False)
        pytest.skip(why)
    return found


@pytest.fixture
def browser(chromium: str, tmp_path: Path) -> Iterator[Browser]:
    b = Browser(chromium, tmp_path / "chromium-profile")
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def shots(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[Browser, str], Path]:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    extra = os.environ.get("PYFLOW_TEST_ARTIFACTS")

    def take(b: Browser, name: str) -> Path:
        path = b.screenshot(folder / f"{name}.png")
        assert path.stat().st_size > 5000  # a real picture, not an empty page
        if extra:
            target = Path(extra) / request.node.name
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target / path.name)
        return path

    return take


def site(copy_project: Callable[..., Path], pyflow: Callable[..., Any]) -> tuple[Path, dict[str, Any]]:
    project = copy_project("examples/shop")
    pyflow("build", "--project-dir", project)
    pyflow("docs", "generate", "--project-dir", project)
    folder = project / "target" / "docs"
    text = (folder / "data.js").read_text(encoding="utf-8")
    data = json.loads(text.removeprefix("window.PYFLOW_DOCS = ").rstrip().removesuffix(";"))
    return folder, data


def js(selector: str, expr: str = "") -> str:
    return f"document.querySelector({json.dumps(selector)}){expr}"


def test_docs_site_in_chromium_graph_search_node_page_and_column_lineage(
    browser: Browser, shots: Callable[[Browser, str], Path], copy_project: Callable[..., Path],
    pyflow: Callable[..., Any],
) -> None:  # fmt: skip
    folder, data = site(copy_project, pyflow)
    browser.open((folder / "index.html").as_uri())

    # the lineage graph: one box per model, source, seed and snapshot, one path per edge
    drawn = browser.eval("Array.from(document.querySelectorAll('.gnode')).map(n => n.dataset.uid).sort()")
    assert drawn == sorted(data["graph"]["positions"])
    assert "model.shop.fct_orders" in drawn and "source.shop.ecommerce.orders" in drawn
    assert browser.eval("document.querySelectorAll('.gedge').length") == len(data["graph"]["edges"]) > 5
    width = browser.eval(js('.gnode[data-uid="model.shop.stg_orders"]', ".getBoundingClientRect().width"))
    assert width > 20  # laid out and visible, not a zero-size box
    before = browser.eval(js("#viewport", ".getAttribute('transform')"))
    browser.send("Input.dispatchMouseEvent", type="mouseWheel", x=600, y=400, deltaX=0, deltaY=-300)
    after = js("#viewport", ".getAttribute('transform')")
    browser.wait_for(f"{after} !== {json.dumps(before)}")
    shots(browser, "1-graph")

    # search finds a model (and marks it in the graph)
    browser.type("#search-input", "fct_ord")
    first = browser.wait_for(js("#search-results li", "?.dataset.uid"))
    assert first == "model.shop.fct_orders"
    assert browser.eval("document.querySelector('#search-results').hidden") is False
    marked = browser.eval("Array.from(document.querySelectorAll('.gnode.match')).map(n => n.dataset.uid)")
    assert marked == ["model.shop.fct_orders"]
    shots(browser, "2-search")
    browser.click('#search-results li[data-uid="model.shop.fct_orders"]')
    browser.wait_for(js("#node-view h1", "?.textContent") + " === 'fct_orders'")

    # clicking a node in the graph opens its page: description, typed columns, Python source, SQL
    browser.eval("location.hash = '#!/graph'")
    browser.wait_for(js("#graph-view", ".hidden === false"))
    browser.click('.gnode[data-uid="model.shop.stg_orders"]')
    browser.wait_for(js("#node-view h1", "?.textContent") + " === 'stg_orders'")
    page = browser.eval(js("#node-view", ".innerText"))
    assert "Python source" in page and "def stg_orders(" in page
    assert "Compiled SQL" in page and "SELECT" in page.upper()
    types = browser.eval(
        "Object.fromEntries(Array.from(document.querySelectorAll('table.columns tbody tr'))"
        ".map(r => [r.dataset.col, r.children[1].innerText]))"
    )
    assert types["order_id"] == "BIGINT" and types["status"] == "VARCHAR"  # from the catalog
    assert "not_null" in browser.eval(js('table.columns tr[data-col="order_id"]', ".innerText"))
    # the run history (the build above) on the node's page, as `pyflow monitor` counts it
    assert "Run history" in page and "Last run: success" in page
    assert browser.eval("document.querySelectorAll('#run-history table.history-runs tbody tr').length") == 1
    shots(browser, "3-node-page")

    # a column shows where it comes from and where it goes
    browser.click('button.col[data-col="amount_dollars"]')
    browser.wait_for(js("#column-lineage", ".hidden === false"))
    up = browser.eval("Array.from(document.querySelectorAll('#lineage-up a')).map(a => a.textContent)")
    down = browser.eval("Array.from(document.querySelectorAll('#lineage-down a')).map(a => a.textContent)")
    assert up == ["ecommerce.orders.total_amount_cents"]
    assert "fct_orders.amount_dollars" in down and "fct_daily_sales.revenue" in down
    assert browser.eval("location.hash").endswith("/col/amount_dollars")
    shots(browser, "4-column-lineage")

    # the column's lineage in the graph: the nodes it passes through stay, the rest is dimmed
    browser.click("#column-in-graph")
    browser.wait_for(js("#graph-view", ".hidden === false"))
    browser.wait_for(js(".gnode.selected", "?.dataset.uid") + " === 'model.shop.stg_orders'")
    kept = set(
        browser.eval("Array.from(document.querySelectorAll('.gnode:not(.dim)')).map(n => n.dataset.uid)")
    )
    assert kept == {
        "source.shop.ecommerce.orders", "model.shop.stg_orders", "model.shop.fct_orders",
        "model.shop.fct_daily_sales", "model.shop.int_orders_pivoted",
    }  # fmt: skip
    assert "amount_dollars (column lineage)" in browser.eval(js("#focus-label", ".textContent"))
    shots(browser, "4b-column-lineage-graph")
    browser.eval("history.back()")
    browser.wait_for(js("#column-lineage", "?.hidden === false"))

    # following a lineage link opens that node with its column selected
    browser.click('#lineage-down a[href$="fct_orders/col/amount_dollars"]')
    browser.wait_for(js("#node-view h1", "?.textContent") + " === 'fct_orders'")
    browser.wait_for(js("tr.col-selected", "?.dataset.col") + " === 'amount_dollars'")
    ups = browser.eval("Array.from(document.querySelectorAll('#lineage-up a')).map(a => a.textContent)")
    assert ups[:2] == ["stg_orders.amount_dollars", "ecommerce.orders.total_amount_cents"]  # the whole chain

    # focus on a node: its upstream and downstream stay, the rest is dimmed
    browser.eval("location.hash = '#!/node/model.shop.stg_orders'")
    browser.click("#show-in-graph")
    browser.wait_for(js(".gnode.selected", "?.dataset.uid") + " === 'model.shop.stg_orders'")
    dimmed = set(browser.eval("Array.from(document.querySelectorAll('.gnode.dim')).map(n => n.dataset.uid)"))
    assert "model.shop.stg_customers" in dimmed  # neither parent nor child of stg_orders
    assert not {"model.shop.fct_orders", "source.shop.ecommerce.orders", "model.shop.stg_orders"} & dimmed
    shots(browser, "5-focus")
    browser.eval(
        "(() => { const s = document.querySelector('#focus-mode'); s.value = 'up';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    dimmed = set(browser.eval("Array.from(document.querySelectorAll('.gnode.dim')).map(n => n.dataset.uid)"))
    assert "model.shop.fct_orders" in dimmed and "source.shop.ecommerce.orders" not in dimmed

    # drag pans the graph
    before = browser.eval(js("#viewport", ".getAttribute('transform')"))
    for kind, x in (("mousePressed", 700), ("mouseMoved", 600), ("mouseReleased", 600)):
        browser.send("Input.dispatchMouseEvent", type=kind, x=x, y=120, button="left", clickCount=1)
    assert browser.eval(js("#viewport", ".getAttribute('transform')")) != before
    # a pan that starts on a node moves the graph and does not open the node
    x, y = browser.eval(
        "(() => { const r = document.querySelector('.gnode[data-uid=\"model.shop.stg_orders\"]')"
        ".getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()"
    )
    assert 260 < x < 1280 - 40 and 90 < y < 860 - 10  # on screen, in the graph
    for kind, dx in (("mousePressed", 0), ("mouseMoved", 60), ("mouseReleased", 60)):
        browser.send("Input.dispatchMouseEvent", type=kind, x=x + dx, y=y, button="left", clickCount=1)
    assert browser.eval("location.hash").startswith("#!/graph")
    assert browser.eval(js("#graph-view", ".hidden")) is False
    assert browser.errors == []
