// "For you": while the list is being refreshed after a rating, ask the server every 1.5 s whether it is done,
// then swap in the new list without a reload. Without JavaScript the page says to reload; nothing else needs it.
(function () {
  "use strict";
  function watch(box) {
    var state = box.querySelector(".list-state");
    if (!state || state.getAttribute("data-updating") !== "true") return;
    var tries = 0;
    var timer = setInterval(function () {
      tries += 1;
      if (tries > 80) { clearInterval(timer); return; }  // two minutes: give up, the reload link stays
      fetch(box.getAttribute("data-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (status) {
          if (!status || status.updating) return;
          clearInterval(timer);
          return fetch(box.getAttribute("data-list-url"), { credentials: "same-origin" })
            .then(function (r) { return r.ok ? r.text() : null; })
            .then(function (html) {
              if (html === null) return;
              box.innerHTML = html;
              box.setAttribute("data-refreshed", String(Date.now()));
              var note = document.createElement("p");
              note.className = "message success";
              note.setAttribute("role", "status");
              note.textContent = "Your list has been updated.";
              box.insertBefore(note, box.firstChild);
              watch(box);
            });
        })
        .catch(function () {});
    }, 1500);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("for-you");
    if (box) watch(box);
  });
})();
