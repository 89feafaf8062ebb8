// Keeps what someone typed into a form when the server could not take it because the tab was
// signed out meanwhile (in another tab, or on another device). Every POST form's fields are
// noted in sessionStorage as it is sent; the page that answers "you were signed out" (marked
// data-keep-draft) keeps the note, any other answer drops it. Once signed in again and back
// on the form's page, the fields are filled in as they were, with a notice to check and send.
// Passwords, files and forms with a password field are never noted.
(function () {
  "use strict";
  const KEY = "portal.formDraft";
  const MAX_AGE_MS = 60 * 60 * 1000;
  const script = document.currentScript;
  const restoredText = (script && script.dataset.restored) || "";

  function load() {
    try {
      return JSON.parse(window.sessionStorage.getItem(KEY) || "null");
    } catch (_error) {
      return null;
    }
  }

  function save(draft) {
    try {
      window.sessionStorage.setItem(KEY, JSON.stringify(draft));
    } catch (_error) {
      // Storage full or refused: the form is sent as usual, only without the safety net.
    }
  }

  function drop() {
    window.sessionStorage.removeItem(KEY);
  }

  function here() {
    return window.location.pathname + window.location.search;
  }

  function noted(element) {
    return element.name && element.name !== "csrf_token" && !element.disabled &&
      element.type !== "password" && element.type !== "file" &&
      element.type !== "submit" && element.type !== "button";
  }

  function note(form) {
    const keys = {};
    const fields = {};
    for (const element of form.elements) {
      if (!noted(element)) continue;
      if (element.type === "hidden") {
        keys[element.name] = element.value;
      } else if (element.type === "checkbox" || element.type === "radio") {
        fields[element.name + "\u0000" + element.value] = element.checked;
      } else {
        fields[element.name] = element.value;
      }
    }
    return { keys, fields };
  }

  function matches(form, draft) {
    if ((form.getAttribute("action") || "") !== draft.action) return false;
    return Object.entries(draft.keys).every(([name, value]) => {
      const element = form.elements.namedItem(name);
      return element && element.value === value;
    });
  }

  function restore(form, draft) {
    for (const [key, value] of Object.entries(draft.fields)) {
      const [name, choice] = key.split("\u0000");
      const named = form.elements.namedItem(name);
      if (!named) continue;
      const elements = named instanceof RadioNodeList ? Array.from(named) : [named];
      for (const element of elements) {
        if (choice !== undefined) {
          if (element.value === choice) element.checked = Boolean(value);
        } else if (typeof value === "string") {
          element.value = value;
        }
      }
    }
    const notice = document.createElement("p");
    notice.className = "flash flash-info draft-restored";
    notice.setAttribute("role", "status");
    notice.textContent = restoredText;
    form.prepend(notice);
    const first = form.querySelector("input:not([type=hidden]), textarea, select");
    if (first) first.focus();
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
    if (form.querySelector("input[type=password]")) return;
    const pending = load();
    if (pending && pending.kept) return; // an edit still waiting to be restored comes first
    const { keys, fields } = note(form);
    if (Object.keys(fields).length === 0) return; // sign out, delete: nothing typed
    save({ page: here(), action: form.getAttribute("action") || "", keys, fields,
      at: Date.now(), kept: false });
  });

  function settle() {
    const draft = load();
    if (!draft) return;
    if (document.querySelector("[data-keep-draft]")) {
      if (!draft.kept) save({ ...draft, kept: true, at: Date.now() });
      for (const line of document.querySelectorAll("[data-draft-kept]")) line.hidden = false;
      return;
    }
    if (!draft.kept || Date.now() - draft.at > MAX_AGE_MS) {
      drop(); // the form was taken (or refused with its values shown), or it is too old
      return;
    }
    if (here() !== draft.page) return; // on the way back (signing in): keep waiting
    const form = Array.from(document.forms).find((candidate) => matches(candidate, draft));
    drop();
    if (form) restore(form, draft);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", settle);
  } else {
    settle();
  }
})();
