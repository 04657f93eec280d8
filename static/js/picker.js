/* Search-as-you-type for <select data-picker-url> (wsr/pickers.py).
 * The server renders only the empty option and the chosen one; this script puts a
 * search box before the select and fills the select with the first page of matches
 * from the program's picker endpoint as one types. The form posts the select's value
 * as before; the server validates it against the program's own objects. */
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function setup(select) {
    if (select.dataset.pickerReady) { return; }
    select.dataset.pickerReady = "1";
    var label = select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
    var box = document.createElement("input");
    box.type = "search";
    box.autocomplete = "off";
    box.className = "picker-search";
    box.placeholder = "Type to search…";
    box.setAttribute("aria-controls", select.id || "");
    box.setAttribute(
      "aria-label",
      "Search " + (label ? label.textContent.replace("*", "").trim() : "the list")
    );
    var status = document.createElement("small");
    status.className = "muted picker-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(status, select.nextSibling);

    var seq = 0;
    function load(q) {
      var mine = ++seq;
      var url = select.dataset.pickerUrl + "?q=" + encodeURIComponent(q);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [], more: false }; })
        .then(function (data) {
          if (mine !== seq) { return; }
          var keep = select.value;
          var empty = select.querySelector('option[value=""]');
          var chosen = keep ? select.querySelector('option[value="' + keep + '"]') : null;
          select.innerHTML = "";
          if (empty) { select.appendChild(empty); }
          if (chosen) { select.appendChild(chosen); }
          data.results.forEach(function (item) {
            if (String(item.id) === keep) { return; }
            var opt = document.createElement("option");
            opt.value = item.id;
            opt.textContent = item.text;
            select.appendChild(opt);
          });
          status.textContent = data.results.length
            ? data.results.length + (data.more ? "+ matches: type more to narrow." : " matches.")
            : "No matches.";
        })
        .catch(function () { status.textContent = "Search is unavailable."; });
    }
    box.addEventListener("input", debounce(function () { load(box.value); }, 250));
    box.addEventListener("focus", function once() {
      box.removeEventListener("focus", once);
      if (select.options.length < 3) { load(""); }
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-picker-url]"), setup);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
