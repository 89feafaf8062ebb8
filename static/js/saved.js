// Saved jobs: the save toggles of cards, job pages and /saved, without a reload.
//
//   PortalSaved.set(jobId, true)    // PUT /api/v1/me/saved-jobs/<id>; false: DELETE
//     -> Promise resolving to the new state (true: saved), rejecting on failure
//
// Each toggle is a form (templates/saved/_save_button.html) that also works without
// JavaScript; here its submit becomes a PUT or DELETE with the page's CSRF token in the
// X-CSRF-Token header, and the button's aria-pressed, label and the form's action follow.
// Every toggle of the same job on the page follows too, and a "portal:saved" event
// ({jobId, saved} in detail) tells other scripts (the home page's live list).
(function () {
  "use strict";
  if (window.PortalSaved) return; // one copy per page, however many templates include it

  const API = "/api/v1/me/saved-jobs/";

  function csrfToken() {
    const input = document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  async function set(jobId, saved) {
    const response = await fetch(API + encodeURIComponent(jobId), {
      method: saved ? "PUT" : "DELETE",
      headers: { "X-CSRF-Token": csrfToken(), Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.status === 401) {
      // Signed out meanwhile (another tab): sign in and come back.
      const next = window.location.pathname + window.location.search;
      window.location.assign("/login?next=" + encodeURIComponent(next));
    }
    if (response.status !== 204) {
      const body = await response.json().catch(() => ({}));
      const error = new Error((body.error && body.error.message) || String(response.status));
      error.status = response.status;
      throw error;
    }
    document.dispatchEvent(
      new CustomEvent("portal:saved", { detail: { jobId: Number(jobId), saved: saved } })
    );
    return saved;
  }

  function show(form, saved) {
    const button = form.querySelector(".save-button");
    button.setAttribute("aria-pressed", saved ? "true" : "false");
    const label = button.querySelector(".save-label");
    label.textContent = saved ? button.dataset.labelSaved : button.dataset.labelSave;
    form.action = saved ? form.dataset.unsaveAction : form.dataset.saveAction;
    form.closest(".job-card")?.classList.toggle("unsaved", !saved);
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-save-toggle]");
    if (!form) return;
    event.preventDefault();
    const button = form.querySelector(".save-button");
    if (button.disabled) return;
    const wanted = button.getAttribute("aria-pressed") !== "true";
    button.disabled = true;
    try {
      await set(form.dataset.jobId, wanted);
    } catch (failure) {
      // Let the server say what went wrong (a job taken down meanwhile: its 404 page).
      if (failure.status !== 401) form.submit();
      return;
    } finally {
      button.disabled = false;
    }
  });

  document.addEventListener("portal:saved", (event) => {
    const { jobId, saved } = event.detail;
    document
      .querySelectorAll('form[data-save-toggle][data-job-id="' + jobId + '"]')
      .forEach((form) => show(form, saved));
  });

  window.PortalSaved = { set: set };
})();
