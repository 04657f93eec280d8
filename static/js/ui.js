// Progressive enhancements of every page: a static file, so it runs under the strict CSP.
// Everything here also works, more plainly, without JavaScript.
(function () {
  "use strict";
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  // Tables keep their column labels on phones (issue 23): each data cell gets its column
  // header as data-label, which the stylesheet shows before the cell once the table is
  // stacked. Explicit roles keep the table a table in the accessibility tree when the
  // stylesheet changes its display.
  function labelTables() {
    each(document.querySelectorAll("table.table"), function (table) {
      var head = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
      if (!head) return;
      var labels = [];
      each(head.cells, function (th) {
        for (var i = 0; i < (th.colSpan || 1); i++) labels.push(th.textContent.trim());
      });
      table.setAttribute("role", "table");
      each(table.querySelectorAll("thead, tbody, tfoot"), function (group) {
        group.setAttribute("role", "rowgroup");
      });
      each(table.rows, function (row) {
        row.setAttribute("role", "row");
        var column = 0;
        each(row.cells, function (cell) {
          if (cell.tagName === "TH") {
            cell.setAttribute("role", row.parentNode.tagName === "THEAD" ? "columnheader" : "rowheader");
          } else {
            cell.setAttribute("role", "cell");
            if (!cell.hasAttribute("data-label") && labels[column] && (cell.colSpan || 1) === 1) {
              cell.setAttribute("data-label", labels[column]);
            }
          }
          column += cell.colSpan || 1;
        });
      });
      table.classList.add("stacked");
    });
  }

  // The receipt code's copy button (shown only where the clipboard can be written).
  function copyButtons() {
    each(document.querySelectorAll("[data-copy-target]"), function (button) {
      if (!navigator.clipboard) return;
      var target = document.getElementById(button.getAttribute("data-copy-target"));
      var status = document.getElementById(button.getAttribute("data-copy-status"));
      if (!target) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(target.textContent.replace(/\s+/g, "")).then(function () {
          if (status) status.textContent = button.getAttribute("data-copied");
        });
      });
    });
  }

  // Contact fields of the complaint form show once the worker chooses to give them.
  function contactChoice() {
    each(document.querySelectorAll("[data-reveal-when]"), function (panel) {
      var radios = document.querySelectorAll("input[name='" + panel.getAttribute("data-reveal-name") + "']");
      var wanted = panel.getAttribute("data-reveal-when");
      var sync = function () {
        var chosen = document.querySelector("input[name='" + panel.getAttribute("data-reveal-name") + "']:checked");
        var typed = Array.prototype.some.call(panel.querySelectorAll("input, textarea"), function (f) { return f.value; });
        panel.hidden = !((chosen && chosen.value === wanted) || typed);
      };
      each(radios, function (radio) { radio.addEventListener("change", sync); });
      sync();
    });
  }

  function start() { labelTables(); copyButtons(); contactChoice(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
