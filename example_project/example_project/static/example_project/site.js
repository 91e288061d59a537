/* The example site's header. The language switch is a plain button per language (the pages' CSP allows no
   inline handler, and a menu that applies on change switches on an arrow key). Switching reloads the page:
   whatever was typed in its forms is kept in sessionStorage for that reload and put back. */
(function () {
  "use strict";
  var KEY = "site-drafts:" + window.location.pathname;
  var SKIP = { hidden: 1, file: 1, password: 1, submit: 1, button: 1, reset: 1, image: 1 };

  function forms() {
    return Array.prototype.filter.call(document.querySelectorAll("main form"), function (form) {
      return !form.hasAttribute("data-keep-drafts");
    });
  }

  function changed(field) {
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    if (field.tagName === "SELECT") {
      return Array.prototype.some.call(field.options, function (option) {
        return option.selected !== option.defaultSelected;
      });
    }
    return field.value !== field.defaultValue;
  }

  function save() {
    var drafts = [];
    forms().forEach(function (form, index) {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (!field.name || SKIP[field.type] || field.disabled || !changed(field)) return;
        var entry = { form: index, name: field.name, type: field.type };
        if (field.type === "checkbox" || field.type === "radio") {
          entry.value = field.value;
          entry.checked = field.checked;
        } else if (field.tagName === "SELECT") {
          entry.values = Array.prototype.filter
            .call(field.options, function (o) {
              return o.selected;
            })
            .map(function (o) {
              return o.value;
            });
        } else {
          entry.value = field.value;
        }
        drafts.push(entry);
      });
    });
    try {
      if (drafts.length) window.sessionStorage.setItem(KEY, JSON.stringify(drafts));
    } catch (e) {
      /* storage off or full: the switch still works, only the text is not carried over */
    }
  }

  function restore() {
    var drafts;
    try {
      drafts = JSON.parse(window.sessionStorage.getItem(KEY) || "null");
      window.sessionStorage.removeItem(KEY);
    } catch (e) {
      return;
    }
    if (!drafts) return;
    var all = forms();
    drafts.forEach(function (entry) {
      var form = all[entry.form];
      if (!form) return;
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name !== entry.name) return;
        if (entry.type === "checkbox" || entry.type === "radio") {
          if (field.value === entry.value) field.checked = entry.checked;
        } else if (field.tagName === "SELECT" && entry.values) {
          Array.prototype.forEach.call(field.options, function (o) {
            o.selected = entry.values.indexOf(o.value) !== -1;
          });
        } else if (typeof entry.value === "string") {
          field.value = entry.value;
        }
      });
    });
  }

  restore();
  document.querySelectorAll("form[data-keep-drafts]").forEach(function (form) {
    form.addEventListener("submit", save);
  });
})();
