// Shaml console: live refresh of marked regions, canned replies, and the phone simulator. No libraries.
"use strict";

(function () {
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  // Any element with data-poll="URL" has its content replaced by that URL's HTML every data-interval ms.
  function poll(el) {
    var url = el.getAttribute("data-poll");
    var every = parseInt(el.getAttribute("data-interval"), 10) || 3000;
    function tick() {
      if (document.hidden) { return setTimeout(tick, every); }
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) {
          if (html !== null && html !== el.innerHTML) {
            // A transcript follows new messages only when the reader is already at the bottom.
            var follow = el.classList.contains("transcript") && atBottom(el);
            var keep = el.scrollTop;
            el.innerHTML = html;
            el.scrollTop = follow ? el.scrollHeight : keep;
            countInTitle(el);
          }
        })
        .catch(function () {})
        .then(function () { setTimeout(tick, every); });
    }
    setTimeout(tick, every);
  }

  function atBottom(el) { return el.scrollHeight - el.scrollTop - el.clientHeight < 40; }

  // The inbox puts the number of unclaimed conversations in the tab's title, seen from other tabs.
  var baseTitle = document.title;
  function countInTitle(el) {
    if (el.id !== "inbox-rows") { return; }
    var waiting = el.querySelectorAll("tr.open").length;
    document.title = (waiting ? "(" + waiting + ") " : "") + baseTitle;
  }

  // Canned replies: a tap puts the text in the reply box, ready to edit and send.
  function canned(btn) {
    btn.addEventListener("click", function () {
      var box = document.getElementById(btn.getAttribute("data-fill"));
      if (box) { box.value = btn.getAttribute("data-text"); box.focus(); }
    });
  }

  // A simulated phone: shows its own messages and what reached it; sends through the real pipeline.
  // A Telegram or gateway phone (demo mode) shows what the local fake provider received for it, and a
  // Telegram phone shows the bot's reply buttons ("share my number" sends the account's own number).
  function phone(el) {
    var id = el.getAttribute("data-phone");
    var channel = el.getAttribute("data-channel") || "sim";
    var every = parseInt(el.getAttribute("data-interval"), 10) || 1500;
    var screen = el.querySelector(".screen");
    var keys = el.querySelector(".keys");
    var form = el.querySelector(".compose");
    var input = form.querySelector("input");
    var shown = {};
    var last = 0;

    function bubble(m) {
      var li = document.createElement("li");
      li.className = "bubble " + (m.direction === "in" ? "mine" : "theirs") + " by-" + m.author;
      li.setAttribute("data-id", String(m.id));
      li.setAttribute("dir", "auto");
      li.textContent = m.template ? "📩 " + (m.body || "template") : m.body;  // text, never HTML
      screen.appendChild(li);
      screen.scrollTop = screen.scrollHeight;
    }

    function buttons(list) {
      if (!keys) { return; }
      keys.textContent = "";
      (list || []).forEach(function (b) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.contact ? "📞 " + b.text : b.text;
        btn.addEventListener("click", function () { send(b.contact ? "" : b.text, b.contact); });
        keys.appendChild(btn);
      });
    }

    function refresh() {
      var url = "/console/simulator/messages?phone=" + encodeURIComponent(id) + "&channel=" + channel;
      if (channel !== "sim") { url += "&after=" + last; }
      return fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { messages: [] }; })
        .then(function (data) {
          data.messages.forEach(function (m) {
            if (!shown[m.id]) { shown[m.id] = true; bubble(m); }
            if (channel !== "sim") {
              last = Math.max(last, m.id);
              if (m.direction === "out") { buttons(m.buttons); }
            }
          });
        })
        .catch(function () {});
    }

    function send(body, contact) {
      fetch("/console/simulator/send", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ phone: id, body: body, channel: channel, contact: !!contact })
      }).then(function () { buttons([]); return refresh(); });
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = input.value.trim();
      if (!body) { return; }
      input.value = "";
      send(body, false);
    });

    (function loop() { refresh().then(function () { setTimeout(loop, every); }); })();
  }

  document.addEventListener("DOMContentLoaded", function () {
    // A transcript opens at its newest message, at once (not on the first refresh).
    document.querySelectorAll(".transcript").forEach(function (el) { el.scrollTop = el.scrollHeight; });
    document.querySelectorAll("[data-poll]").forEach(function (el) { countInTitle(el); poll(el); });
    document.querySelectorAll(".canned-btn").forEach(canned);
    document.querySelectorAll(".phone[data-phone]").forEach(phone);
  });
})();
