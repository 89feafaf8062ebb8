// Live Markdown preview on the admin job form: the server renders it exactly as the job page will.
(() => {
  const source = document.getElementById("f-content");
  const target = document.getElementById("preview");
  const token = document.querySelector("input[name=csrf_token]");
  if (!source || !target) return;
  let timer = null;
  let latest = 0;
  async function render() {
    const ticket = ++latest;
    const response = await fetch("/api/v1/jobs/preview", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token ? token.value : "" },
      body: JSON.stringify({ content: source.value }),
    });
    if (!response.ok || ticket !== latest) return;
    const body = await response.json();
    target.innerHTML = body.html; // sanitised on the server (nh3)
  }
  source.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(render, 250);
  });
  if (source.value) render();
})();
