"""How many pages, and how many phone screens, an intake with every symptom takes.

"Screens" is measured, not guessed: Chromium (Debian's, through Playwright) at a 390 x 844
phone viewport opens each page of a running server from the start page to "Check your
answers", and records each page's height in viewport heights as first shown (before any
error). The patient is a 66-year-old man (no pregnancy page) with all 13 symptoms (or
the first `--symptoms N`), no urgent symptom, no blood test; every field is filled the way
a patient would, by its name, so the same script walks an older version of the form too
(bench/README.md compares them).

    .venv/bin/python bench/bench_screens.py http://127.0.0.1:8000

Only a loopback address is accepted. Bounded: at most 25 pages, 30 s a page.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

VIEWPORT = {"width": 390, "height": 844}
MAX_PAGES = 25
CHECK_PATH = "/intake/check/"

# Fills the page's own form as this patient would; returns the submit button to press.
FILL = """
(symptoms) => {
  const form = document.querySelector('main form[method="post"]:not([action*="i18n"])')
    || document.querySelector('form[method="post"]');
  const text = {full_name: 'Screen Patient', email: 'screens@example.com',
    phone: '01632 960 001', dob_day: '3', dob_month: '4', dob_year: '1960',
    alcohol_units_per_week: '2'};
  const radios = {sex: 'male', contact_consent: 'no', care_consent: 'yes', diet: 'omnivore',
    family_history: 'no', b12_treatment: 'none'};
  const seen = new Set();
  let present = 0;  // symptoms answered yes on an older one-page form
  for (const el of form.querySelectorAll('input, select, textarea')) {
    const name = el.name || '';
    if (el.type === 'hidden' || el.type === 'submit' || !name) continue;
    if (el.type === 'radio') {
      if (seen.has(name)) continue;
      const group = [...form.querySelectorAll(`input[type=radio][name="${name}"]`)];
      let want = radios[name] || 'no';
      if (name.endsWith('_both_sides')) want = 'yes';
      if (name.endsWith('_present')) want = present++ < symptoms ? 'yes' : 'no';
      const pick = group.find(r => r.value === want) || group.find(r => r.value === 'no')
        || group[0];
      pick.checked = true; seen.add(name); continue;
    }
    if (el.type === 'checkbox') {
      if (name === 'symptoms') {
        const boxes = [...form.querySelectorAll('input[name=symptoms]')]
          .filter(b => b.value !== 'none');
        el.checked = symptoms ? boxes.indexOf(el) >= 0 && boxes.indexOf(el) < symptoms
          : el.value === 'none';
        continue;
      }
      if (name === 'medicines' || name === 'conditions' || name === 'surgery') {
        el.checked = el.value === 'none'; continue; }
      if (name.endsWith('_sites')) {
        if (!seen.has(name)) { el.checked = true; seen.add(name); }
        continue;
      }
      if (name === 'care_consent') { el.checked = true; continue; }
      continue;
    }
    if (el.tagName === 'SELECT') {
      if (name.endsWith('_duration_unit')) el.value = 'months';
      continue;
    }
    if (name in text) { el.value = text[name]; continue; }
    if (name.endsWith('_severity')) { el.value = '5'; continue; }
    if (name.endsWith('_duration') || name.endsWith('_duration_number')) {
      el.value = '4'; continue;
    }
  }
  const buttons = [...form.querySelectorAll('button[type=submit], input[type=submit]')]
    .filter(b => b.name !== 'switch_language' && b.getAttribute('aria-hidden') !== 'true'
      && b.value !== 'save');
  form.requestSubmit(buttons[0] || undefined);
}
"""


def walk(base_url: str, symptoms: int) -> list[tuple[str, float]]:
    """(path, height in viewport heights) of each page, start page to check page."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("needs Debian's chromium (apt-get install chromium)")
    pages: list[tuple[str, float]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        page = browser.new_page(viewport=VIEWPORT, locale="en-GB")
        page.set_default_timeout(30_000)
        page.goto(base_url + "/")
        while True:
            path = urlsplit(page.url).path
            height = page.evaluate("document.documentElement.scrollHeight / window.innerHeight")
            pages.append((path, height))
            if path == CHECK_PATH or len(pages) >= MAX_PAGES:
                break
            if path == "/":
                page.click("main a.btn")  # "Start now"
                continue
            with page.expect_navigation():
                page.evaluate(FILL, symptoms)
            if urlsplit(page.url).path == path:
                raise SystemExit(f"{path} was not accepted: {page.inner_text('main')[:300]}")
        browser.close()
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("--symptoms", type=int, default=13, help="how many, of 13 (default 13)")
    args = parser.parse_args()
    host = urlsplit(args.base_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("a loopback address only")
    pages = walk(args.base_url.rstrip("/"), args.symptoms)
    print(f"{args.symptoms} symptoms, {VIEWPORT['width']} x {VIEWPORT['height']} px")
    for path, height in pages:
        print(f"  {path:40s} {height:5.2f} screens")
    questions = [p for p in pages if p[0] not in ("/", CHECK_PATH)]
    print(
        f"pages from start to check: {len(pages)} ({len(questions)} question pages); "
        f"screens scrolled (sum of heights): {sum(h for _, h in pages):.1f}; "
        f"screens rounded up per page: {sum(math.ceil(h) for _, h in pages)}"
    )


if __name__ == "__main__":
    sys.exit(main())
