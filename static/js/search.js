// The static build's search page (search.html): Pagefind's UI in place of the
// app's results, started with the ?q= that the header's search form sends.
// The page loads /pagefind/pagefind-ui.js first (both scripts are deferred).
(function () {
  "use strict";
  var mount = document.getElementById("search-ui");
  var status = document.getElementById("search-status");
  if (!mount) {
    return;
  }
  if (typeof window.PagefindUI !== "function") {
    // The index did not load: the plain form stays, and says why nothing happens.
    if (status) {
      status.textContent = "Search could not start: its index did not load. " +
        "Try again later, or browse all posts.";
    }
    return;
  }
  var form = document.querySelector("main .search-form");
  var query = new URLSearchParams(window.location.search).get("q") || "";

  // The address bar follows the search, so it can be shared or reloaded.
  function rememberTerm(term) {
    var url = term ? "?q=" + encodeURIComponent(term) : window.location.pathname;
    window.history.replaceState(null, "", url);
    return term;
  }

  // Results link to the post's own address (its canonical link), on this host.
  function localLink(result) {
    if (result.meta && result.meta.url) {
      var url = new URL(result.meta.url, window.location.href);
      result.meta.url = url.pathname + url.search + url.hash;
    }
    return result;
  }

  // The other parts of the index (a blog with many posts has several), merged
  // into the one at /pagefind/.
  var parts = (mount.getAttribute("data-merge-index") || "").split(" ").filter(Boolean);

  if (form) {
    form.hidden = true;   // Pagefind's own box searches as you type
  }
  var ui = new window.PagefindUI({
    element: "#search-ui",
    showImages: false,
    showSubResults: false,
    autofocus: !query,
    processTerm: rememberTerm,
    processResult: localLink,
    mergeIndex: parts.map(function (path) { return { bundlePath: path }; }),
    translations: { placeholder: mount.getAttribute("data-placeholder") || "Search" }
  });
  if (query) {
    ui.triggerSearch(query);
  }
}());
