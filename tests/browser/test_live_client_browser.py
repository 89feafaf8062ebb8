"""static/js/live.js in Chromium, against a scripted socket: what a page does with the frames."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser

LIVE_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "live.js"

# A WebSocket that records what the page sends and lets the test push frames to it.
FAKE_SOCKET = """
window.sockets = [];
class FakeSocket extends EventTarget {
  constructor(url) { super(); this.url = url; this.readyState = 0; this.sent = [];
    window.sockets.push(this); setTimeout(() => { this.readyState = 1;
      this.dispatchEvent(new Event("open")); }, 0); }
  send(data) { this.sent.push(JSON.parse(data)); }
  close() { this.readyState = 3; this.dispatchEvent(new Event("close")); }
  push(frame) { const e = new Event("message"); e.data = JSON.stringify(frame);
    this.dispatchEvent(e); }
}
FakeSocket.OPEN = 1;
window.WebSocket = FakeSocket;
"""


def event(event_id: int) -> dict[str, Any]:
    return {"type": "event", "channel": "jobs", "id": event_id, "event": "job.created", "data": {}}


def test_an_event_arriving_after_a_higher_id_is_delivered_once(browser: Browser) -> None:
    page = browser.new_page()
    try:
        # A page of its own origin (sessionStorage needs one), served by the test itself.
        page.route(
            "http://portal.test/",
            lambda route: route.fulfill(
                content_type="text/html",
                body=f"<script>{FAKE_SOCKET}</script><script>{LIVE_JS.read_text()}</script>",
            ),
        )
        page.goto("http://portal.test/")
        page.evaluate(
            """() => { window.got = [];
            window.live = PortalLive.connect();
            live.subscribe("jobs", (e) => window.got.push(e.id)); }"""
        )
        page.wait_for_function("window.sockets.length === 1 && window.sockets[0].readyState === 1")
        frames = [
            {"type": "subscribed", "channel": "jobs", "last_id": 10},
            event(12),
            event(11),  # committed first, published last: it must not be dropped
            event(12),  # a repeat is
            {"type": "batch", "messages": [event(13), event(11)]},
        ]
        page.evaluate("(frames) => frames.forEach((f) => window.sockets[0].push(f))", frames)
        assert page.evaluate("window.got") == [12, 11, 13]
        # A reconnect resumes after the highest id seen.
        page.evaluate("window.sockets[0].close()")
        page.wait_for_function("window.sockets.length === 2", timeout=5000)
        page.wait_for_function("window.sockets[1].sent.length > 0", timeout=5000)
        assert page.evaluate("window.sockets[1].sent") == [
            {"type": "subscribe", "channel": "jobs", "since": 13}
        ]
        stored = page.evaluate("sessionStorage.getItem('portal.live.last.jobs')")
        assert json.loads(stored) == 13
    finally:
        page.close()
