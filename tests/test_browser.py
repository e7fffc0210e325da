"""The pages in a real browser: Debian's chromium, headless, driven by selenium through
/usr/bin/chromedriver. A missing browser fails these tests (install it with
``tools/install-system.sh``, which installs ``chromium`` and ``chromium-driver``).

Checks: opening a paragraph IRI shows that paragraph scrolled into view with its ¶ link
holding the IRI; pages render without console errors (the CSP included); cable text with
markup stays text; a phone-sized window needs no sideways scrolling; the static site's
pages behave alike from files.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_serve import BASE, HOSTILE, build_output, build_store, running_server

from cablerdf import iris, pages
from cablerdf.settings import Settings
from cablerdf.site import SiteOptions, write_site

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

PARAGRAPHS = [
    ("06ASTANA395", "p/11"),  # the last paragraph of a long page
    ("06LAPAZ3400", "p/12,2"),  # the second paragraph printed as 12
    ("05ANKARA1656", "u/18"),  # an unnumbered block, far down
    ("06MOSCOW9533", "p/10,2"),
]


def make_driver(profile: str, width: int = 1200, height: int = 900, phone: bool = False) -> Any:
    """A headless chromium; ``phone``: emulates a 375-pixel-wide touch screen (headless
    windows cannot be narrower than 500 pixels)."""
    assert CHROMIUM.is_file() and CHROMEDRIVER.is_file(), (
        "the browser tests need Debian's chromium and chromium-driver: "
        "run `sudo bash tools/install-system.sh` (or apt-get install chromium chromium-driver)"
    )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if phone:
        metrics = {"width": 375, "height": 812, "pixelRatio": 3.0, "touch": True, "mobile": True}
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


@pytest.fixture(scope="module")
def output_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_output(tmp_path_factory)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory, output_dir: Path) -> Iterator[str]:
    store = build_store(tmp_path_factory, output_dir)
    with running_server(output_dir, store) as (base_url, _):
        yield base_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with tempfile.TemporaryDirectory() as profile:
        driver = make_driver(profile)
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture(scope="module")
def phone() -> Iterator[Any]:
    with tempfile.TemporaryDirectory() as profile:
        driver = make_driver(profile, phone=True)
        try:
            yield driver
        finally:
            driver.quit()


def console_errors(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def paragraph_in_view(driver: Any, anchor: str) -> dict[str, Any]:
    found: dict[str, Any] = driver.execute_script(
        """
        const e = document.getElementById(arguments[0]);
        if (!e) { return null; }
        const r = e.getBoundingClientRect();
        const t = document.querySelector(':target');
        const link = e.querySelector('a.pil');
        return {top: r.top, bottom: r.bottom, height: window.innerHeight,
                scrolled: window.scrollY, target: t ? t.id : null,
                link: link ? link.getAttribute('href') : null};
        """,
        anchor,
    )
    return found


@pytest.mark.parametrize(("reference_id", "key"), PARAGRAPHS)
def test_a_paragraph_iri_opens_its_cable_scrolled_to_it(
    browser: Any, url: str, reference_id: str, key: str
) -> None:
    cable_path = f"cable/{iris.segment(reference_id)}"
    browser.get_log("browser")
    browser.get(f"{url}{cable_path}/{key}")
    anchor = pages.anchor_for(key)
    assert browser.current_url == f"{url}{cable_path}#{anchor}"
    seen = paragraph_in_view(browser, anchor)
    assert seen is not None, f"no element #{anchor}"
    assert seen["target"] == anchor
    assert 0 <= seen["top"] < seen["height"] / 2, seen
    assert seen["scrolled"] > 0, "the paragraph is far down the page: the page scrolled"
    assert seen["link"] == f"{BASE}{cable_path}/{key}"
    assert console_errors(browser) == []


PAGES = [
    "",
    "browse",
    "browse/origin",
    "browse/tag",
    "browse/tag/PREL",
    "browse/created",
    "browse/created/2006",
    "browse/created/2006/11",
    "browse/classification/secret-noforn",
    "cable/06ASTANA395",
    f"cable/{HOSTILE}",
    "cable/08MANAMA492",
    "post/Embassy_Astana",
    "station/SECSTATE_WASHDC",
    "country/KZ",
    "ontology",
    "dataset",
    "sparql",
    "sparql?query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20LIMIT%2020",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_without_console_errors(browser: Any, url: str, path: str) -> None:
    browser.get_log("browser")
    browser.get(url + path)
    assert browser.execute_script("return document.readyState") == "complete"
    assert browser.find_element("tag name", "h1").text
    assert console_errors(browser) == []


def test_the_404_page_shows_its_problem_and_nothing_else_fails(browser: Any, url: str) -> None:
    browser.get_log("browser")
    browser.get(url + "cable/06ASTANA305")
    assert browser.find_element("tag name", "h1").text == "404 Not Found"
    errors = console_errors(browser)
    assert all("status of 404" in e["message"] for e in errors), errors


def test_markup_in_a_cable_stays_text_in_the_browser(browser: Any, url: str) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    browser.get(url + f"cable/{HOSTILE}")
    text = browser.execute_script("return document.body.innerText")
    assert "<script>alert(1)</script>" in text
    assert "</textarea><img src=x onerror=alert(2)>" in text
    assert browser.execute_script("return document.images.length") == 0
    with pytest.raises(NoAlertPresentException):
        _ = browser.switch_to.alert.text


@pytest.mark.parametrize(
    "path", ["cable/10PRISTINA44", "cable/06ASTANA395", "browse/tag/PREL", "post/Embassy_Astana"]
)
def test_pages_fit_a_phone_screen(phone: Any, url: str, path: str) -> None:
    phone.get(url + path)
    width = phone.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " window.innerWidth]"
    )
    assert width[0] <= width[1] and width[2] == 375, width
    size = phone.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('main p, main td')).fontSize)"
    )
    assert size >= 12


def test_the_static_site_behaves_alike_from_files(
    browser: Any, tmp_path: Path, output_dir: Path
) -> None:
    site = tmp_path / "site"
    write_site(output_dir, site, SiteOptions(Settings()))
    page = site / "cable" / "06ASTANA395.html"
    browser.get_log("browser")
    browser.get(page.as_uri() + "#p-11")
    seen = paragraph_in_view(browser, "p-11")
    assert seen["target"] == "p-11" and 0 <= seen["top"] < seen["height"] / 2
    assert seen["link"] == f"{BASE}cable/06ASTANA395/p/11"
    assert console_errors(browser) == []
    browser.get((site / "browse" / "tag" / "PREL.html").as_uri())
    assert console_errors(browser) == []
