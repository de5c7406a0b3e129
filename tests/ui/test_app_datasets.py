"""`make run`'s app, in a real headless Chromium: it lists the datasets `planner demo` stored."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from planner.cli import main

from .conftest import serve, severe_console_errors

pytestmark = pytest.mark.browser


def test_app_lists_the_demo_datasets(store_url, browser, artifacts):
    assert main(["demo", "--no-plan"]) == 0
    process, url = serve(store_url)
    try:
        browser.get(url)
        table = WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "datasets")))
        text = table.text
        for name in ("sample_centre", "us_bank_2003", "anonymous_bank_1999"):
            assert name in text
        assert "27,716" in text and "87,120" in text
        browser.save_screenshot(str(artifacts / "datasets.png"))
        assert severe_console_errors(browser) == []
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_app_on_an_empty_store_says_how_to_fill_it(store_url, browser):
    process, url = serve(store_url)
    try:
        browser.get(url)
        message = WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "no-datasets")))
        assert "planner demo" in message.text
    finally:
        process.terminate()
        process.wait(timeout=10)
