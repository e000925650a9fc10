// Dev server only: reload this page when a post, template or static file changes.
// base.html includes this file only in debug mode; the endpoint is a 404 otherwise.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch) {
    return;
  }
  var endpoint = script.getAttribute("data-endpoint");
  var token = script.getAttribute("data-token") || "";
  var retryDelay = 1000;

  function poll() {
    fetch(endpoint + "?token=" + encodeURIComponent(token), { cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("live reload: HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        retryDelay = 1000;
        if (token && data.token !== token) {
          window.location.reload();
          return;
        }
        token = data.token;
        poll();
      })
      .catch(function () {
        // The server is restarting (or stopped): try again, less and less often.
        window.setTimeout(poll, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 10000);
      });
  }

  poll();
})();
