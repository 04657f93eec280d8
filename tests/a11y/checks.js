// The page crawl's checks that run in the page (tests/a11y/test_crawl.py): what axe-core
// leaves to review or to a person, made mechanical. Returns a list of problems (strings).
// Called with {phone: bool, narrowest: bool}.
(opts) => {
  const problems = [];
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    if (el.getAttribute("name")) s += `[name=${el.getAttribute("name")}]`;
    return s;
  };
  const byId = (id) => document.querySelectorAll(`[id="${CSS.escape(id)}"]`);

  // No duplicate id: a label, a description or a skip link would reach the first only.
  const counts = new Map();
  for (const el of document.querySelectorAll("[id]")) {
    counts.set(el.id, (counts.get(el.id) || 0) + 1);
  }
  for (const [id, n] of counts) {
    if (n > 1) problems.push(`duplicate id "${id}" (${n} elements)`);
  }

  // Every id reference resolves to exactly one element.
  for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls", "aria-errormessage"]) {
    for (const el of document.querySelectorAll(`[${attr}]`)) {
      for (const id of el.getAttribute(attr).split(/\s+/).filter(Boolean)) {
        const n = byId(id).length;
        if (n !== 1) problems.push(`${describe(el)} ${attr}="${id}" resolves to ${n} elements`);
      }
    }
  }
  for (const label of document.querySelectorAll("label[for]")) {
    const id = label.getAttribute("for");
    const targets = byId(id);
    if (targets.length !== 1) {
      problems.push(`label for="${id}" ("${label.textContent.trim()}") resolves to ${targets.length} elements`);
      continue;
    }
    // A label names the control of its own form, never one in another form on the page
    // (the case page's "Internal note" label put the cursor in the message to the worker).
    const form = label.closest("form");
    if (form && targets[0].closest("form") !== form) {
      problems.push(`label for="${id}" ("${label.textContent.trim()}") names a control of another form`);
    }
  }

  // Table header cells have text, and stay in the accessibility tree at every width.
  for (const th of document.querySelectorAll("th")) {
    const text = (th.textContent || "").trim() || th.getAttribute("aria-label") || "";
    if (!text) problems.push(`empty table header cell in table "${th.closest("table").getAttribute("aria-label") || th.closest("table").className}"`);
    const style = getComputedStyle(th);
    if (!th.checkVisibility() || style.visibility === "hidden") {
      problems.push(`table header "${text}" hidden from the accessibility tree`);
    }
  }
  // At phone size a table shown as stacked cells keeps each cell's label.
  if (opts.phone) {
    for (const td of document.querySelectorAll("table td")) {
      const table = td.closest("table");
      if (!table.querySelector("thead th")) continue;
      if (getComputedStyle(td).display !== "block") continue;
      if (td.hasAttribute("colspan")) continue;
      const before = getComputedStyle(td, "::before").content;
      if (!td.dataset.label || before === "none" || before === '""' || before === "normal") {
        problems.push(`stacked table cell without its column label: "${td.textContent.trim().slice(0, 40)}"`);
        break; // one per page is enough to say it
      }
    }
  }

  // No template text left in the page.
  const text = document.body.innerText;
  for (const marker of ["{#", "#}", "{%", "%}", "{{", "}}"]) {
    const at = text.indexOf(marker);
    if (at >= 0) problems.push(`template text ${JSON.stringify(text.slice(Math.max(0, at - 20), at + 40))}`);
  }

  // No sideways scroll at the narrowest width (WCAG 1.4.10 reflow).
  if (opts.narrowest) {
    const over = document.documentElement.scrollWidth - document.documentElement.clientWidth;
    if (over > 0) {
      const wide = [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .filter((el) => !el.parentElement || el.parentElement.getBoundingClientRect().right <= document.documentElement.clientWidth + 1)
        .slice(0, 3).map(describe);
      problems.push(`page scrolls ${over}px sideways (${wide.join(", ")})`);
    }
  }
  return problems;
}
