// The admin company form: a preview of the chosen logo, and a file too large said at once
// (the server checks again, and re-encodes what it keeps).
(() => {
  const field = document.querySelector(".logo-field");
  const input = document.getElementById("f-logo");
  const preview = document.getElementById("logo-preview");
  if (!field || !input || !preview) return;
  const maxBytes = Number(field.dataset.maxBytes);
  const original = preview.getAttribute("src");
  let message = null;

  function say(text) {
    if (!message) {
      message = document.createElement("p");
      message.className = "error";
      message.id = "e-logo-client";
      input.insertAdjacentElement("afterend", message);
    }
    message.textContent = text;
    message.hidden = !text;
    field.classList.toggle("has-error", Boolean(text));
  }

  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    say("");
    if (!file) {
      if (original) preview.setAttribute("src", original);
      return;
    }
    if (file.size > maxBytes) {
      say(field.dataset.tooLarge);
      input.value = "";
      return;
    }
    // A data: URL, which the page's Content-Security-Policy allows for images (blob: it does not).
    const reader = new FileReader();
    reader.addEventListener("load", () => {
      preview.src = reader.result;
      preview.hidden = false;
      const none = document.getElementById("logo-none");
      if (none) none.hidden = true;
    });
    reader.readAsDataURL(file);
  });
})();
