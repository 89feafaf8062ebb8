// Applying on the job page without leaving it: the form is sent to the JSON API and its
// errors shown next to their fields. Without JavaScript the same form posts to
// /jobs/<id>/apply, which answers with a page.
(function () {
  "use strict";
  const form = document.querySelector("form.apply-form");
  if (!form || !window.fetch || !window.FormData) return;
  const labels = JSON.parse(form.dataset.labels || "{}");
  const status = form.querySelector(".apply-status");
  const button = form.querySelector("button[type=submit]");
  const MAX_BYTES = 10 * 1024 * 1024;

  function clearErrors() {
    for (const error of form.querySelectorAll("p.error.live")) error.remove();
    for (const field of form.querySelectorAll(".has-error")) field.classList.remove("has-error");
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  }

  function showError(name, message) {
    const input = form.querySelector('[name="' + name + '"]');
    if (!input) return false;
    const field = input.closest(".field, fieldset");
    const error = document.createElement("p");
    error.className = "error live";
    error.id = "e-live-" + name;
    error.textContent = message;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", error.id);
    field.classList.add("has-error");
    input.insertAdjacentElement("afterend", error);
    return true;
  }

  function succeed(body) {
    const done = document.createElement("p");
    done.className = "applied-state";
    done.setAttribute("role", "status");
    done.append(labels.sent + " ");
    const link = document.createElement("a");
    link.href = "/applications";
    link.textContent = labels.mine;
    done.append(link);
    done.dataset.applicationId = String(body.id);
    form.replaceWith(done);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const file = form.querySelector("input[type=file]").files[0];
    const useSaved = form.querySelector("input[name=use_saved_resume]:checked");
    if (file && !(useSaved && useSaved.value === "true")) {
      if (file.size > MAX_BYTES) return void showError("resume", labels.too_large);
    }
    button.disabled = true;
    status.textContent = labels.sending;
    const token = form.querySelector("input[name=csrf_token]");
    try {
      const response = await fetch(form.dataset.api, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-CSRF-Token": token ? token.value : "", Accept: "application/json" },
        credentials: "same-origin",
      });
      const body = await response.json().catch(() => ({}));
      if (response.ok) return void succeed(body);
      const error = body.error || {};
      const fields = error.fields || {};
      let placed = false;
      for (const [name, message] of Object.entries(fields)) placed = showError(name, message) || placed;
      if (!placed) {
        const message = error.code === "not_a_pdf" ? labels.not_pdf : error.message || labels.failed;
        if (!(error.code === "not_a_pdf" || error.code === "too_large") || !showError("resume", message)) {
          status.textContent = message;
          return;
        }
      }
      status.textContent = "";
    } catch (failure) {
      status.textContent = labels.failed;
    } finally {
      button.disabled = false;
    }
  });
})();
