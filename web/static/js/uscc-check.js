// Checks the unified social credit code (GB 32100-2015) as the user types on the registration
// form: asks GET /register/check-uscc and shows the verdict next to the field, announced to
// screen readers (aria-live). The server checks again on submit; this is only a help.
(function () {
  "use strict";
  var input = document.getElementById("f-uscc");
  var out = document.getElementById("uscc-verdict");
  if (!input || !out || !window.fetch) {
    return;
  }
  var url = out.getAttribute("data-check-url");
  var timer = null;
  var asked = 0;
  var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  if (described.indexOf(out.id) < 0) {
    described.push(out.id);
    input.setAttribute("aria-describedby", described.join(" "));
  }

  function show(verdict) {
    var el;
    out.textContent = "";
    if (verdict.ok) {
      el = document.createElement("ins");
      el.textContent = "✓ " + verdict.message;
      input.removeAttribute("aria-invalid");
    } else if (verdict.needs_review) {
      el = document.createElement("mark");
      el.textContent = "⚠ " + verdict.message;
      input.removeAttribute("aria-invalid");
    } else {
      el = document.createElement("span");
      el.className = "field-error";
      el.textContent = verdict.message;
      input.setAttribute("aria-invalid", "true");
    }
    out.appendChild(el);
  }

  function check(always) {
    var value = input.value.trim();
    if (value === "") {
      out.textContent = "";
      return;
    }
    // While typing, wait for a whole code before saying anything is wrong.
    if (!always && value.length < 18) {
      out.textContent = "";
      return;
    }
    var mine = ++asked;
    fetch(url + "?value=" + encodeURIComponent(value), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (res) {
      if (!res.ok) {
        throw new Error("status " + res.status);
      }
      return res.json();
    }).then(function (verdict) {
      if (mine === asked) {
        show(verdict);
      }
    }).catch(function () {
      // The network failed: say nothing; the server checks the code on submit.
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { check(false); }, 250);
  });
  input.addEventListener("change", function () {
    clearTimeout(timer);
    check(true);
  });
  // A form shown again keeps its value: check it, unless the server already marked it wrong.
  if (input.value.trim() !== "" && input.getAttribute("aria-invalid") !== "true") {
    check(true);
  }
})();
