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

  // Forms marked data-hdt-autosubmit (the dashboard's period) apply a new choice at once;
  // without JavaScript their button does it.
  document.querySelectorAll("form[data-hdt-autosubmit]").forEach(function (form) {
    var button = form.querySelector("[data-hdt-autosubmit-button]");
    if (button) button.hidden = true;
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () { form.submit(); });
    });
  });

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
