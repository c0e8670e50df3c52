"""Small Playwright helpers for the panels' stable CSS classes (``cnn-*``)."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Records, per panel, every width the progress bar takes and every message.
WATCH_JS = """(sel) => {
  const root = document.querySelector(sel);
  const log = {widths: [], messages: [], images: 0};
  const bar = root.querySelector('.cnn-progress .progress-bar');
  const msg = root.querySelector('.cnn-message');
  const img = root.querySelector('img.cnn-image');
  new MutationObserver(() => log.widths.push(bar.style.width)).observe(bar, {attributes: true});
  new MutationObserver(() => log.messages.push(msg.innerText)).observe(msg, {subtree: true, childList: true, characterData: true});
  new MutationObserver(() => { log.images += 1; }).observe(img, {attributes: true, attributeFilter: ['src']});
  window.__cnnWatch = window.__cnnWatch || {};
  window.__cnnWatch[sel] = log;
}"""

IMAGE_JS = """async (sel) => {
  const img = document.querySelector(sel + ' img.cnn-image');
  if (!img || !img.getAttribute('src')) return null;
  const buf = await (await fetch(img.src)).arrayBuffer();
  let s = ''; const b = new Uint8Array(buf);
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192));
  return btoa(s);
}"""


def page_text(page) -> str:
    return page.evaluate("document.body.innerText")


def fail_on_traceback(page, where: str = "") -> None:
    """Fail the test, showing the traceback, when a cell or a callback errored."""
    text = page_text(page)
    if "Traceback" in text:
        start = text.find("Traceback")
        pytest.fail(f"traceback in the page {where}:\n{text[max(0, start - 200):start + 3000]}")


def open_app(page, url: str, ready: str, timeout_s: float = 150) -> float:
    """Load a Voilà page; wait until ``ready`` has a picture, or fail fast on a traceback.

    Returns the seconds it took.
    """
    t0 = time.monotonic()
    page.goto(url, timeout=timeout_s * 1000, wait_until="domcontentloaded")
    js = """(sel) => document.body.innerText.includes('Traceback')
                 || !!document.querySelector(sel + ' img.cnn-image[src]')"""
    page.wait_for_function(js, arg=ready, timeout=timeout_s * 1000, polling=250)
    fail_on_traceback(page, "while the notebook ran")
    return time.monotonic() - t0


def image_bytes(page, panel: str) -> bytes | None:
    """The PNG the panel's ``cnn-image`` shows, as bytes (``None`` if empty)."""
    b64 = page.evaluate(IMAGE_JS, panel)
    return None if b64 is None else base64.b64decode(b64)


def message(page, panel: str) -> str:
    return page.locator(f"{panel} .cnn-message").inner_text()


def watch(page, panel: str) -> None:
    """Start recording the panel's progress-bar widths, messages and image updates."""
    page.evaluate(WATCH_JS, panel)


def watched(page, panel: str) -> dict:
    return page.evaluate("(sel) => window.__cnnWatch[sel]", panel)


def wait_done(page, panel: str, timeout_s: float = 120) -> str:
    """After :func:`watch`: wait for a final message (Done/Stopped/⚠/Saved) or a traceback; return it."""
    js = """(sel) => document.body.innerText.includes('Traceback')
                    || window.__cnnWatch[sel].messages.some(m => /Done in|Stopped|⚠|Saved/.test(m))"""
    page.wait_for_function(js, arg=panel, timeout=timeout_s * 1000, polling=200)
    fail_on_traceback(page, f"after working in {panel}")
    return [m for m in watched(page, panel)["messages"] if m.strip()][-1]


def act(page, panel: str, action, timeout_s: float = 120) -> str:
    """Run ``action()`` (a click, a key press...) and wait for the panel's work to finish; return the message."""
    watch(page, panel)
    action()
    return wait_done(page, panel, timeout_s)


def wait_image_change(page, panel: str, before: bytes | None, timeout_s: float = 120) -> bytes:
    """Poll until the panel's picture differs from ``before``; return the new bytes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = image_bytes(page, panel)
        if now is not None and now != before:
            return now
        fail_on_traceback(page, f"waiting for {panel}'s picture")
        page.wait_for_timeout(250)
    pytest.fail(f"the picture of {panel} did not change within {timeout_s} s; message: {message(page, panel)!r}")


def run_and_check_progress(page, panel: str, before: bytes | None, timeout_s: float = 120,
                           expect_new: bool = True) -> bytes:
    """Click Run; assert the bar restarted and filled, the message says Done, and a picture came.

    With ``expect_new`` the picture must differ from ``before`` (controls changed since).
    """
    text = act(page, panel, lambda: page.locator(f"{panel} .cnn-run").click(), timeout_s)
    assert "Done in" in text, f"{panel}: Run ended with {text!r}"
    log = watched(page, panel)
    widths = [float(w.rstrip("%")) for w in log["widths"] if w.endswith("%")]
    assert widths and min(widths) < 100 and widths[-1] == 100, f"{panel}: progress bar went {log['widths']}"
    assert any("Working" in m for m in log["messages"]), f"{panel}: no 'Working…' while running: {log['messages']}"
    if expect_new:
        return wait_image_change(page, panel, before, timeout_s=30)
    now = image_bytes(page, panel)
    assert now, f"{panel}: no picture after Run"
    return now


def press_slider(page, selector: str, key: str = "ArrowRight", handle: int = 0) -> None:
    """Move a slider by one step with one key press on its handle (never a drag)."""
    page.locator(f"{selector} .noUi-handle").nth(handle).press(key)


def choose(page, selector: str, label: str) -> None:
    """Pick an option of a Dropdown (``select``) or of ToggleButtons (a button)."""
    sel = page.locator(f"{selector} select")
    if sel.count():
        sel.select_option(label=label)
    else:
        page.locator(f"{selector} button", has_text=label).first.click()


def upload(page, selector: str, path) -> None:
    """Choose a file in a FileUpload through the browser's file chooser."""
    with page.expect_file_chooser() as chooser:
        page.locator(selector).click()
    chooser.value.set_files(str(path))


def assert_clear_error(page, panel: str, *needles: str, timeout_s: float = 60) -> str:
    """The panel shows a red ``cnn-error`` line (containing ``needles``) and no traceback."""
    page.locator(f"{panel} .cnn-message .cnn-error").wait_for(timeout=timeout_s * 1000)
    text = message(page, panel)
    fail_on_traceback(page, f"after bad input in {panel}")
    for needle in needles:
        assert needle.lower() in text.lower(), f"{panel}: error message {text!r} lacks {needle!r}"
    return text


def open_tab(page, title: str) -> None:
    page.get_by_role("tab", name=title).click()


def choose_other(page, selector: str) -> str:
    """Pick the next option of a Dropdown (wrapping around); return its label."""
    sel = page.locator(f"{selector} select")
    labels = [t.strip() for t in sel.locator("option").all_inner_texts()]
    current = sel.evaluate("s => s.options[s.selectedIndex].text").strip()
    label = labels[(labels.index(current) + 1) % len(labels)]
    sel.select_option(label=label)
    return label


def corrupt_file(tmp_path, name: str = "broken.png"):
    """A file named like a picture whose bytes are not one."""
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a picture" * 4)
    return path
