#!/usr/bin/python3
"""A real browser on the acknowledgement link (t29): headless Chromium opens the
link, the page must show the incident and a button and run no script, and a
click on the button must acknowledge (the page says so).

  browser_ack.py URL EXPECTED_TEXT

Exit status 0 when all of that held; the reason on stderr otherwise.
"""
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def main():
    url, expected = sys.argv[1], sys.argv[2]
    opts = Options()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors",
              "--disable-dev-shm-usage"):
        opts.add_argument(a)
    opts.binary_location = "/usr/bin/chromium"
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        d.set_page_load_timeout(20)
        d.get(url)
        src = d.page_source
        if expected not in src:
            sys.exit("the page does not show %r: %s" % (expected, src[:500]))
        if d.find_elements(By.TAG_NAME, "script"):
            sys.exit("the page has a script")
        d.find_element(By.TAG_NAME, "button").click()
        end = time.monotonic() + 20
        while "Đã xác nhận" not in d.page_source:
            if time.monotonic() > end:
                sys.exit("the click did not acknowledge: %s" % d.page_source[:500])
            time.sleep(0.1)
    finally:
        d.quit()


main()
