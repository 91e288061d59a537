/* Progressive enhancement of the staff workspace; every page works without it. */
(function () {
  "use strict";

  // Canned replies: insert the prepared text at the cursor instead of reloading the page.
  var canned = document.getElementById("hdt-staff-canned");
  var body = document.getElementById("id_body");
  if (canned && body) {
    var insertButton = document.querySelector(".hdt-staff-canned-insert");
    if (insertButton) insertButton.hidden = true;
    canned.addEventListener("change", function () {
      var option = canned.options[canned.selectedIndex];
      var text = option && option.getAttribute("data-text");
      if (!text) return;
      var start = body.selectionStart || 0, end = body.selectionEnd || 0, value = body.value;
      if (value && start === 0 && end === 0) start = end = value.length;
      var before = value.slice(0, start), after = value.slice(end);
      var glue = before && !/\n$/.test(before) ? "\n" : "";
      body.value = before + glue + text + after;
      var caret = (before + glue + text).length;
      body.focus();
      body.setSelectionRange(caret, caret);
      canned.selectedIndex = 0;
    });
  }

  // Internal note: make the difference impossible to miss before sending.
  var internal = document.getElementById("id_internal");
  var form = internal && internal.form;
  if (internal && form) {
    var submit = form.querySelector("button[data-public]");
    var thenStatus = document.getElementById("id_then_status");
    var sync = function () {
      form.classList.toggle("hdt-staff-reply-internal", internal.checked);
      if (submit) submit.textContent = submit.getAttribute(internal.checked ? "data-internal" : "data-public");
      if (thenStatus) thenStatus.disabled = internal.checked;
    };
    internal.addEventListener("change", sync);
    sync();
  }

  // Queue filters: apply on change, no extra click.
  var filters = document.querySelector(".hdt-staff-filters");
  if (filters) {
    filters.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () { filters.submit(); });
    });
  }

  // Ctrl/Cmd+Enter sends the reply.
  if (body && body.form) {
    body.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        body.form.requestSubmit ? body.form.requestSubmit() : body.form.submit();
      }
    });
  }
})();

(function () {
  "use strict";

  // Phone tickets: offer only the types and products of the chosen department.
  var department = document.getElementById("id_department");
  var lists = ["id_ticket_type", "id_product"].map(function (id) { return document.getElementById(id); });
  if (department && lists[0]) {
    var sync = function () {
      var chosen = department.value;
      lists.forEach(function (select) {
        if (!select) return;
        Array.prototype.forEach.call(select.options, function (option) {
          var offered = option.getAttribute("data-departments");
          var show = !offered || offered.split(" ").indexOf(chosen) !== -1;
          option.hidden = !show;
          option.disabled = !show;
        });
        var current = select.options[select.selectedIndex];
        if (current && current.disabled) {
          var first = Array.prototype.find.call(select.options, function (option) { return !option.disabled; });
          if (first) select.value = first.value;
        }
      });
    };
    department.addEventListener("change", sync);
    sync();
  }

  // "/" jumps to the queue search, as in most web apps.
  var search = document.querySelector(".hdt-staff-filters input[name=q]");
  if (search) {
    document.addEventListener("keydown", function (event) {
      var tag = (event.target.tagName || "").toLowerCase();
      if (event.key === "/" && tag !== "input" && tag !== "textarea" && tag !== "select") {
        event.preventDefault();
        search.focus();
        search.select();
      }
    });
  }
})();

(function () {
  "use strict";

  // Bulk actions: show only the value the chosen action needs, and a "tick all" box.
  var bulk = document.getElementById("hdt-staff-bulk");
  if (!bulk) return;
  var action = bulk.querySelector("select[name=action]");
  var parts = bulk.querySelectorAll("[data-bulk-for]");
  var sync = function () {
    parts.forEach(function (part) {
      part.hidden = part.getAttribute("data-bulk-for").split(" ").indexOf(action.value) === -1;
    });
  };
  if (action) {
    action.addEventListener("change", sync);
    sync();
  }
  var head = bulk.querySelector("th.hdt-staff-pick");
  var boxes = bulk.querySelectorAll("input[name=tickets]");
  if (head && boxes.length) {
    var all = document.createElement("input");
    all.type = "checkbox";
    all.setAttribute("aria-label", head.textContent.trim());
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
    head.textContent = "";
    head.appendChild(all);
  }
})();

(function () {
  "use strict";

  // Presence: a heartbeat while the ticket is open, and what the server answers (who else is
  // here or replying; whether the customer or a colleague wrote since the page was shown).
  // Text from the server is set with textContent only.
  var box = document.querySelector("[data-hdt-presence]");
  var form = document.getElementById("reply");
  if (!box || !form || !window.fetch || !window.FormData) return;
  var body = document.getElementById("id_body");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]");
  var seen = form.querySelector("input[name=seen]");
  var typedAt = 0;
  if (body) {
    body.addEventListener("input", function () { typedAt = Date.now(); });
  }

  function render(data) {
    while (box.firstChild) box.removeChild(box.firstChild);
    (data.others || []).forEach(function (other) {
      var line = document.createElement("p");
      line.className = other.replying ? "hdt-staff-presence-replying" : "hdt-staff-presence-viewing";
      line.textContent = other.text;
      box.appendChild(line);
    });
    if (data.warning) {
      var warning = document.createElement("p");
      warning.className = "hdt-staff-presence-warning";
      var strong = document.createElement("strong");
      strong.textContent = data.warning;
      var link = document.createElement("a");
      link.href = window.location.pathname;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = box.getAttribute("data-open-label");
      warning.appendChild(strong);
      warning.appendChild(document.createTextNode(" "));
      warning.appendChild(link);
      box.appendChild(warning);
    }
    box.hidden = !box.firstChild;
  }

  var timer = null;
  function beat() {
    // This page was replaced by the answer to a form (helpdesk.js): its own script beats now.
    if (!document.documentElement.contains(box)) return window.clearInterval(timer);
    if (document.hidden) return;
    var data = new FormData();
    var writing = body && body.value.trim() && Date.now() - typedAt < 60000;
    data.append("replying", writing ? "1" : "0");
    if (seen && seen.value) data.append("seen", seen.value);
    fetch(box.getAttribute("data-hdt-presence"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", Accept: "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) { if (answer) render(answer); })
      .catch(function () { /* a courtesy only: the server still holds a crossing reply */ });
  }

  beat();
  timer = window.setInterval(beat, window.hdtPresenceInterval || parseInt(box.getAttribute("data-interval"), 10) || 15000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) beat(); });
})();
