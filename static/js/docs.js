// Swagger UI for /docs (templates/docs.html). Kept out of the page because the
// Content-Security-Policy allows no inline scripts.
(() => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl || "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    withCredentials: true,
    // The default sends the schema URL to validator.swagger.io for a badge: stay on this site.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
