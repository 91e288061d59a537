/* helpdesk_tickets — small progressive enhancements for the customer portal.
   Every page works without this file. Text from the server is only ever set
   with textContent (never innerHTML). */
(function () {
  "use strict";

  // Look-alike open tickets while the customer types the subject.
  function setupSimilar(box) {
    var input = document.getElementById(box.getAttribute("data-source"));
    if (!input || !window.fetch) return;
    var list = box.querySelector("ul");
    var timer = null;
    var lastQuery = null;
    var controller = null;

    function render(results) {
      while (list.firstChild) list.removeChild(list.firstChild);
      results.forEach(function (item) {
        var li = document.createElement("li");
        var ref = document.createElement("span");
        ref.className = "hdt-ref";
        ref.dir = "ltr";
        ref.textContent = item.reference;
        var subject = document.createElement("a");
        subject.href = item.url;
        subject.dir = "auto";
        subject.textContent = item.subject;
        var reply = document.createElement("a");
        reply.href = item.url + "#hdt-reply-title";
        reply.className = "hdt-similar-reply";
        reply.textContent = box.getAttribute("data-reply-label");
        li.appendChild(ref);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(subject);
        li.appendChild(reply);
        list.appendChild(li);
      });
      box.hidden = results.length === 0;
    }

    function lookup() {
      var query = input.value.trim();
      if (query === lastQuery) return;
      lastQuery = query;
      if (query.length < 3) {
        render([]);
        return;
      }
      if (controller) controller.abort();
      controller = window.AbortController ? new AbortController() : null;
      var url = box.getAttribute("data-url") + "?q=" + encodeURIComponent(query);
      fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          render(data.results || []);
        })
        .catch(function () {
          /* a hint only: the server-side duplicate guard still decides */
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookup, 300);
    });
    if (input.value) lookup();
  }

  // Help articles that may answer the request, while the customer types the subject. The box and the
  // buttons are the server's markup (includes/article_suggestions.html); "kb_seen" tells the server the
  // customer has seen the suggestions for what they typed, so Send is not stopped to show them again.
  function setupArticles(box) {
    var input = document.getElementById(box.getAttribute("data-source"));
    if (!input || !window.fetch) return;
    var form = input.form;
    var seen = form ? form.querySelector("[data-hdt-articles-seen]") : null;
    var list = box.querySelector("ul");
    var timer = null;
    var lastQuery = null;
    var controller = null;

    function render(results) {
      while (list.firstChild) list.removeChild(list.firstChild);
      results.forEach(function (item) {
        var li = document.createElement("li");
        var link = document.createElement("a");
        link.href = item.url;
        link.target = "_blank";
        link.rel = "noopener";
        link.dir = "auto";
        link.textContent = item.title;
        var helped = document.createElement("button");
        helped.type = "submit";
        helped.className = "hdt-button hdt-kb-helped-button";
        helped.setAttribute("form", "hdt-kb-helped");
        helped.setAttribute("formaction", item.helped_url);
        helped.textContent = box.getAttribute("data-helped-label");
        li.appendChild(link);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(helped);
        list.appendChild(li);
      });
      box.hidden = results.length === 0;
    }

    function lookup() {
      var query = input.value.trim();
      if (query === lastQuery) return;
      lastQuery = query;
      if (controller) controller.abort();
      if (query.length < 3) {
        render([]);
        if (seen) seen.value = "1";
        return;
      }
      controller = window.AbortController ? new AbortController() : null;
      var url =
        box.getAttribute("data-url") +
        "?department=" +
        encodeURIComponent(box.getAttribute("data-department")) +
        "&q=" +
        encodeURIComponent(query);
      fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          render(data.results || []);
          if (seen && input.value.trim() === query) seen.value = "1";
        })
        .catch(function () {
          /* suggestions are a help only: without them the server shows them after Send */
        });
    }

    input.addEventListener("input", function () {
      if (seen) seen.value = "";
      clearTimeout(timer);
      timer = setTimeout(lookup, 300);
    });
    if (input.value && box.hidden) lookup();
  }

  // One submission per click: a double click does not send the form twice.
  function setupOnce(form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-submitting")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitting", "1");
      var button = form.querySelector("button[type=submit]");
      if (button) {
        var busy = button.getAttribute("data-busy-label");
        if (!button.hasAttribute("data-idle-label")) button.setAttribute("data-idle-label", button.textContent);
        if (busy) button.textContent = busy;
        button.setAttribute("aria-disabled", "true");
        button.classList.add("hdt-busy");
      }
    });
    // Ready for another try (a failed upload): the button as it was.
    form.hdtReady = function () {
      form.removeAttribute("data-submitting");
      var button = form.querySelector("button[type=submit][data-idle-label]");
      if (button) {
        button.textContent = button.getAttribute("data-idle-label");
        button.removeAttribute("aria-disabled");
        button.classList.remove("hdt-busy");
      }
    };
    // Coming back with the back button: the page may be restored from cache.
    window.addEventListener("pageshow", function () {
      form.removeAttribute("data-submitting");
    });
  }

  // A form with files is sent through XMLHttpRequest, for a progress bar while the files
  // upload. The server's answer replaces the page as a normal submission would (its
  // redirect followed, the banner shown); when it is the form again (an error, a reply
  // held because someone wrote meanwhile), the files chosen are put back into it, so
  // nothing has to be chosen again. They stay in this tab's memory only (never stored,
  // never sent anywhere else). Without XMLHttpRequest, FormData, DataTransfer or
  // DOMParser the form is simply submitted.
  var ERRORS = ".hdt [data-hdt-focus], .hdt .errorlist, .hdt [role=alert]";

  function chosenFiles(form) {
    var kept = [];
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file][name]"), function (input) {
      if (input.files && input.files.length) kept.push({ name: input.name, files: Array.prototype.slice.call(input.files) });
    });
    return kept;
  }

  function setupUpload(form, input) {
    if (!window.FormData || !window.XMLHttpRequest || !window.DataTransfer || !window.DOMParser) return;
    var box = null;
    function status(text, percent, failed) {
      if (!box) {
        box = document.createElement("div");
        box.className = "hdt-upload";
        box.setAttribute("role", "status");
        var bar = document.createElement("progress");
        bar.max = 100;
        var label = document.createElement("span");
        box.appendChild(bar);
        box.appendChild(label);
        var button = form.querySelector("button[type=submit]");
        if (button && button.parentNode !== form) button.parentNode.insertAdjacentElement("afterend", box);
        else if (button) button.insertAdjacentElement("afterend", box);
        else form.appendChild(box);
        var fresh = true;
      }
      var progress = box.querySelector("progress");
      progress.value = percent;
      progress.hidden = !!failed;
      progress.setAttribute("aria-label", text);
      box.querySelector("span").textContent = text;
      box.classList.toggle("hdt-upload-failed", !!failed);
      // Below the button it can start under the fold (a phone): bring it into sight once, filled in.
      if (fresh && box.scrollIntoView) box.scrollIntoView({ block: "nearest" });
    }
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      var kept = chosenFiles(form);
      if (!kept.length) return;
      event.preventDefault();
      var data = new FormData(form);
      var submitter = event.submitter;
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
      // A button that only asks for the same form back (the caller lookup): the files are not
      // uploaded for it, and go back into the form whatever the page says.
      var keeps = !!(submitter && submitter.hasAttribute("data-hdt-keeps-files"));
      if (keeps) {
        kept.forEach(function (entry) {
          data.delete(entry.name);
        });
      }
      var sending = input.getAttribute("data-uploading") || "%(percent)s";
      var say = function (percent) {
        var number = percent;
        try {
          number = new Intl.NumberFormat(document.documentElement.lang || undefined, { style: "percent" }).format(percent / 100);
        } catch (e) {
          number = percent + "%";
        }
        status(sending.replace("%(percent)s", number), percent);
      };
      var xhr = new XMLHttpRequest();
      // The attribute, not form.action, which a field named "action" would shadow.
      var target = submitter && submitter.hasAttribute("formaction") ? submitter.formAction : form.getAttribute("action");
      xhr.open("POST", target || window.location.href);
      xhr.upload.addEventListener("progress", function (progress) {
        if (progress.lengthComputable) say(Math.min(99, Math.floor((progress.loaded / progress.total) * 100)));
      });
      var failed = function () {
        status(input.getAttribute("data-upload-failed") || "", 0, true);
        if (form.hdtReady) form.hdtReady();
      };
      xhr.addEventListener("load", function () {
        var type = xhr.getResponseHeader("Content-Type") || "";
        if (type.indexOf("text/html") !== 0 || xhr.status >= 500) return failed();
        say(100);
        window.hdtKeptFiles = { files: kept, always: keeps };
        showPage(xhr.responseText, xhr.responseURL || window.location.href);
      });
      xhr.addEventListener("error", failed);
      xhr.addEventListener("abort", failed);
      say(0);
      xhr.send(data);
    });
  }

  // The server's answer to the form, shown as a navigation would show it: the same-origin
  // page parsed inert (DOMParser runs nothing), put in place of this one, then its own
  // scripts, which are static files of the site, loaded again in order.
  function showPage(html, url) {
    var next = new DOMParser().parseFromString(html, "text/html");
    window.history.replaceState(null, "", url);
    document.replaceChild(document.adoptNode(next.documentElement), document.documentElement);
    Array.prototype.forEach.call(document.querySelectorAll("script[src]"), function (old) {
      var script = document.createElement("script");
      script.src = old.src;
      script.async = false;
      old.parentNode.replaceChild(script, old);
    });
    window.scrollTo(0, 0);
  }

  // After the form came back (an error, a lookup): the files chosen before are chosen again.
  function restoreFiles() {
    var kept = window.hdtKeptFiles;
    window.hdtKeptFiles = null;
    if (!kept || !window.DataTransfer || !(kept.always || document.querySelector(ERRORS))) return;
    var restored = false;
    kept.files.forEach(function (entry) {
      var input = document.querySelector('.hdt input[type=file][name="' + entry.name + '"]');
      if (!input) return;
      var transfer = new DataTransfer();
      entry.files.forEach(function (file) {
        transfer.items.add(file);
      });
      input.files = transfer.files;
      input.setAttribute("data-restored", "1");
      input.dispatchEvent(new Event("change"));
      restored = true;
    });
    if (restored) {
      Array.prototype.forEach.call(document.querySelectorAll("[data-hdt-files-lost]"), function (note) {
        note.hidden = true;
      });
    }
  }

  // List the chosen files with their sizes, and flag those over the limit.
  function setupFiles(input) {
    var maxSize = parseInt(input.getAttribute("data-max-size"), 10) || 0;
    var list = document.createElement("ul");
    list.className = "hdt-file-list";
    list.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", list);
    var units = (input.getAttribute("data-size-units") || "%(size)s B|%(size)s KB|%(size)s MB|%(size)s GB").split("|");
    var lang = document.documentElement.lang || undefined;
    function size(bytes) {
      var step = 0;
      while (bytes >= 1024 && step < units.length - 1) {
        bytes /= 1024;
        step += 1;
      }
      var digits = step === 0 || bytes >= 100 ? 0 : 1;
      var number;
      try {
        number = new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(bytes);
      } catch (e) {
        number = bytes.toFixed(digits);
      }
      return units[step].replace("%(size)s", number);
    }
    var maxFiles = parseInt(input.getAttribute("data-max-files"), 10) || 0;
    // The extensions the server accepts (the accept attribute: ".png,.pdf"), to say so before uploading.
    var accepted = (input.getAttribute("accept") || "")
      .split(",")
      .map(function (ext) {
        return ext.trim().toLowerCase().replace(/^\./, "");
      })
      .filter(Boolean);
    if (!list.id) list.id = (input.id || "hdt-files") + "-chosen";
    input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + list.id).trim());
    function said(template, name) {
      return (template || "").replace("%(name)s", function () {
        return name;
      });
    }
    input.addEventListener("change", function () {
      while (list.firstChild) list.removeChild(list.firstChild);
      var count = (input.files || []).length;
      var problems = [];
      if (input.getAttribute("data-restored") && count) {
        var note = document.createElement("li");
        note.className = "hdt-file-kept";
        note.textContent = input.getAttribute("data-kept");
        list.appendChild(note);
      }
      input.removeAttribute("data-restored");
      if (maxFiles && count > maxFiles) {
        var warning = document.createElement("li");
        warning.className = "hdt-file-too-big";
        warning.textContent = input.getAttribute("data-too-many");
        problems.push(warning.textContent);
        list.appendChild(warning);
      }
      Array.prototype.forEach.call(input.files || [], function (file) {
        var li = document.createElement("li");
        var name = document.createElement("bdi");
        name.textContent = file.name;
        var meta = document.createElement("bdi");
        meta.className = "hdt-muted";
        meta.textContent = size(file.size);
        li.appendChild(name);
        li.appendChild(document.createTextNode(" — "));
        li.appendChild(meta);
        // Said in words next to the file, not by colour alone; the form is not sent with it.
        var ext = file.name.indexOf(".") === -1 ? "" : file.name.split(".").pop().toLowerCase();
        var problem = "";
        if (accepted.length && accepted.indexOf(ext) === -1) problem = said(input.getAttribute("data-bad-type"), file.name);
        else if (maxSize && file.size > maxSize) problem = said(input.getAttribute("data-too-big"), file.name);
        if (problem) {
          li.className = "hdt-file-too-big";
          var why = document.createElement("span");
          why.className = "hdt-file-problem";
          why.textContent = " " + problem;
          li.appendChild(why);
          problems.push(problem);
        }
        list.appendChild(li);
      });
      // The browser then refuses to send the form and says why (constraint validation).
      input.setCustomValidity(problems.join(" "));
      if (problems.length) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    });
  }

  // Confirm a step that cannot be undone (closing a ticket).
  function setupConfirm(form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-hdt-confirm"))) event.preventDefault();
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-hdt-similar]"), setupSimilar);
    Array.prototype.forEach.call(document.querySelectorAll("[data-hdt-articles]"), setupArticles);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-hdt-once]"), setupOnce);
    Array.prototype.forEach.call(document.querySelectorAll(".hdt input[type=file][data-max-size]"), function (input) {
      setupFiles(input);
      if (input.form) setupUpload(input.form, input);
    });
    restoreFiles();
    Array.prototype.forEach.call(document.querySelectorAll("form[data-hdt-confirm]"), setupConfirm);
    // After an action the focus goes to what it says: an error first, else the confirmation banner
    // (unless the page was opened at an anchor, such as the message just sent, which keeps it).
    var alert = document.querySelector("[data-hdt-focus]");
    var banner = document.querySelector("[data-hdt-messages]");
    if (alert) alert.focus();
    else if (banner && !window.location.hash) banner.focus({ preventScroll: false });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
