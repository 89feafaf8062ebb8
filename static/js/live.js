// The live channel client: one websocket per page, subscriptions by channel, resume by event id.
//
//   const live = PortalLive.connect();
//   live.subscribe("jobs", (event) => { ... });      // event: {id, event, data, at, channel}
//   live.onState((state) => { ... });                // "connecting" | "live" | "offline"
//
// It remembers the last id per channel (in sessionStorage, so a reload resumes too), reconnects
// with exponential backoff and jitter, resumes with `since`, pings to keep the socket alive,
// and unpacks `batch` frames. A `reload` handler is called when the server's log no longer
// covers the gap.
(function () {
  "use strict";
  if (window.PortalLive) return; // included by the layout and by a page: one client per page

  const PING_EVERY_MS = 25000;
  const MAX_BACKOFF_MS = 30000;
  const SEEN_IDS = 2000; // per channel, remembered to drop repeats

  function storageKey(channel) {
    return "portal.live.last." + channel;
  }

  function readLastId(channel) {
    try {
      const value = Number(window.sessionStorage.getItem(storageKey(channel)));
      return Number.isFinite(value) && value > 0 ? value : null;
    } catch (e) {
      return null;
    }
  }

  function writeLastId(channel, id) {
    try {
      window.sessionStorage.setItem(storageKey(channel), String(id));
    } catch (e) {
      /* private mode: resume only within this page */
    }
  }

  class LiveClient {
    constructor(url) {
      this.url = url;
      this.handlers = new Map(); // channel -> Set(handler)
      this.lastIds = new Map();
      this.seen = new Map(); // channel -> Set of ids delivered on this page
      this.stateHandlers = new Set();
      this.state = "connecting";
      this.attempt = 0;
      this.socket = null;
      this.pingTimer = null;
      this.closedByUs = false;
      this.open();
      window.addEventListener("online", () => this.reconnectSoon(0));
    }

    // `since`: the last event id the page's own HTML already reflects (rendered by the server),
    // so exactly the events after the render arrive; without it, the stored id is used.
    subscribe(channel, handler, { since = null } = {}) {
      if (!this.handlers.has(channel)) {
        this.handlers.set(channel, new Set());
        const start = since !== null ? since : readLastId(channel);
        if (start !== null) this.lastIds.set(channel, start);
        this.sendSubscribe(channel);
      }
      this.handlers.get(channel).add(handler);
      return () => this.handlers.get(channel).delete(handler);
    }

    onState(handler) {
      this.stateHandlers.add(handler);
      handler(this.state);
    }

    setState(state) {
      if (state === this.state) return;
      this.state = state;
      for (const handler of this.stateHandlers) handler(state);
    }

    open() {
      this.setState("connecting");
      let socket;
      try {
        socket = new WebSocket(this.url);
      } catch (e) {
        this.reconnectSoon();
        return;
      }
      this.socket = socket;
      socket.addEventListener("open", () => {
        this.attempt = 0;
        this.setState("live");
        for (const channel of this.handlers.keys()) this.sendSubscribe(channel);
        clearInterval(this.pingTimer);
        this.pingTimer = setInterval(() => this.send({ type: "ping" }), PING_EVERY_MS);
      });
      socket.addEventListener("message", (message) => this.receive(message.data));
      socket.addEventListener("close", () => {
        clearInterval(this.pingTimer);
        if (this.socket === socket && !this.closedByUs) this.reconnectSoon();
      });
    }

    reconnectSoon(delay) {
      this.setState("offline");
      if (delay === undefined) {
        const ceiling = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt);
        delay = ceiling / 2 + Math.random() * (ceiling / 2); // jitter spreads a herd of reconnects
        this.attempt += 1;
      }
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        if (this.socket && this.socket.readyState <= 1) this.socket.close();
        this.open();
      }, delay);
    }

    send(message) {
      if (this.socket && this.socket.readyState === WebSocket.OPEN) {
        this.socket.send(JSON.stringify(message));
      }
    }

    sendSubscribe(channel) {
      const message = { type: "subscribe", channel: channel };
      const since = this.lastIds.get(channel);
      if (since !== undefined) message.since = since;
      this.send(message);
    }

    receive(raw) {
      let frame;
      try {
        frame = JSON.parse(raw);
      } catch (e) {
        return;
      }
      if (frame.type === "batch") {
        for (const message of frame.messages || []) this.deliver(message);
      } else if (frame.type === "event") {
        this.deliver(frame);
      } else if (frame.type === "subscribed") {
        if (!this.lastIds.has(frame.channel)) this.remember(frame.channel, frame.last_id);
        if (frame.reload) this.emit(frame.channel, { event: "reload", channel: frame.channel });
      } else if (frame.type === "error") {
        console.warn("live:", frame.code, frame.message);
      }
    }

    remember(channel, id) {
      this.lastIds.set(channel, id);
      writeLastId(channel, id);
    }

    // Each id once, whatever its order: the server sends a socket's events in id order, but a
    // page must not lose an event for arriving after a higher id (an older server, a replay
    // overlapping live events). The highest id stays the place to resume from.
    deliver(event) {
      let seen = this.seen.get(event.channel);
      if (!seen) {
        seen = new Set();
        this.seen.set(event.channel, seen);
      }
      if (seen.has(event.id)) return;
      seen.add(event.id);
      if (seen.size > SEEN_IDS) seen.delete(seen.values().next().value); // the oldest
      if (event.id > (this.lastIds.get(event.channel) || 0)) this.remember(event.channel, event.id);
      this.emit(event.channel, event);
    }

    emit(channel, event) {
      for (const handler of this.handlers.get(channel) || []) {
        try {
          handler(event);
        } catch (e) {
          console.error(e);
        }
      }
    }
  }

  let shared = null;
  window.PortalLive = {
    connect() {
      if (!shared) {
        const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
        shared = new LiveClient(scheme + "//" + window.location.host + "/ws");
      }
      return shared;
    },
  };

  // The small indicator in the navigation.
  document.addEventListener("DOMContentLoaded", () => {
    const badge = document.getElementById("live-indicator");
    if (!badge || !document.querySelector("[data-live]")) return;
    const labels = JSON.parse(badge.dataset.labels || "{}");
    window.PortalLive.connect().onState((state) => {
      badge.hidden = false;
      badge.dataset.state = state;
      badge.textContent = labels[state] || state;
    });
  });
})();
