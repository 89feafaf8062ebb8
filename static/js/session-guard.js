// A signed-in page that the browser brings back from its back/forward cache is shown as it was
// when it was left, account data included, even after signing out (in this tab or another).
// Such a copy is never trusted: ask the server again, which answers for whoever is signed in
// now (a sign-in page once signed out). replace(), not reload(): a page a form's POST rendered
// (the new API token) must not be posted again.
"use strict";

window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    window.location.replace(window.location.href);
  }
});
