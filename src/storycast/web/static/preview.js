// The authoring preview: listens on /preview/events (server-sent events) and redraws in place.
// A frame whose picture changed keeps its old picture, marked as updating, until the new one
// has loaded; findings still being checked are shown greyed, never as this version's.
(function () {
  "use strict";
  var storySel = document.getElementById("story"), langSel = document.getElementById("lang");
  var strip = document.getElementById("strip"), list = document.getElementById("findings");
  var status = document.getElementById("status"), errorBox = document.getElementById("error");
  var zones = document.getElementById("zones"), aside = document.getElementById("findings-box");
  var params = new URLSearchParams(location.search);
  var want = { story: params.get("story") || "", lang: params.get("lang") || "" };
  var source = null, etag = null, shownKey = null, lost = null;
  zones.checked = params.get("zones") === "1" || localStorage.getItem("storycast-zones") === "1";

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function options(select, values, labels, current) {
    select.textContent = "";
    values.forEach(function (v, i) {
      var o = el("option", null, labels[i]); o.value = v; o.selected = v === current; select.appendChild(o);
    });
  }
  function pct(v, total) { return (100 * v / total) + "%"; }
  function say(text, cls) { status.textContent = text; status.className = "status" + (cls ? " " + cls : ""); }

  function frameItem(s) {
    var z = s.safe_zone || {}, W = s.width, H = s.height;
    var li = el("li"), shot = el("div", "shot");
    var img = el("img"); img.width = 540; img.height = 960;
    img.addEventListener("load", function () { li.classList.remove("updating"); li.removeAttribute("aria-busy"); });
    img.addEventListener("error", function () { li.classList.remove("updating"); li.classList.add("broken"); });
    shot.appendChild(img);
    [["top", "height", z.top, H], ["bottom", "height", z.bottom, H], ["left", "width", z.left, W], ["right", "width", z.right, W]].forEach(function (d) {
      var zn = el("div", "zone " + d[0]); zn.style[d[1]] = pct(d[2] || 0, d[3]); shot.appendChild(zn);
    });
    li.appendChild(shot);
    li.appendChild(el("p", "cap"));
    return li;
  }

  function drawFrames(s, frames) {
    // The same story, language and frame count: update in place, so unchanged pictures stay.
    var key = [s.focus && s.focus.story, s.focus && s.focus.lang, frames.length, JSON.stringify(s.safe_zone)].join("|");
    if (key !== shownKey) { strip.textContent = ""; shownKey = key; }
    frames.forEach(function (f, i) {
      var li = strip.children[i] || strip.appendChild(frameItem(s));
      var img = li.querySelector("img");
      if (img.getAttribute("src") !== f.url) {
        li.classList.add("updating"); li.classList.remove("broken"); li.setAttribute("aria-busy", "true");
        img.setAttribute("src", f.url);
      }
      img.alt = f.alt;
      li.setAttribute("data-frame", String(f.index));
      var cap = li.querySelector(".cap"); cap.textContent = "";
      cap.appendChild(el("span", null, String(f.index).padStart(2, "0") + " · " + f.kind));
      var n = s.findings.filter(function (x) { return x.frame === f.index; });
      if (n.length) cap.appendChild(el("span", "badge sev-" + (n.some(function (x) { return x.severity === "error"; }) ? "error" : "warning"), n.length + " finding" + (n.length > 1 ? "s" : "")));
    });
  }

  function drawFindings(s) {
    list.textContent = "";
    var pending = s.lint === "pending";
    aside.classList.toggle("pending", pending);
    aside.setAttribute("aria-busy", pending ? "true" : "false");
    if (pending) list.appendChild(el("li", "checking", "Checking the new frames…" + (s.findings.length ? " The findings below are from before this change." : "")));
    else if (!s.findings.length) list.appendChild(el("li", "none", "No findings: this story is ready to publish."));
    s.findings.forEach(function (f) {
      var li = el("li", "sev-" + f.severity);
      li.appendChild(el("div", "rule", f.severity + " · " + f.rule + (f.frame ? " · frame " + f.frame : "") + (f.location ? " · " + f.location : "")));
      li.appendChild(el("div", null, f.message));
      if (f.hint) li.appendChild(el("p", "hint", f.hint));
      list.appendChild(li);
    });
  }

  function draw(s) {
    var root = document.documentElement;
    document.body.classList.toggle("zones-on", zones.checked);
    root.setAttribute("data-version", String(s.version));
    root.setAttribute("data-lint", s.lint);
    root.setAttribute("data-rendering", s.rendering ? "1" : "0");
    strip.classList.toggle("rendering", !!s.rendering);
    strip.classList.toggle("lint-pending", s.lint === "pending");
    strip.setAttribute("aria-busy", s.rendering ? "true" : "false");
    errorBox.hidden = !s.error;
    if (s.error) {
      var e = s.error, lines = [(e.file ? e.file + (e.line ? ":" + e.line : "") + ": " : "") + e.message];
      if (e.hint) lines.push("hint: " + e.hint);
      (e.problems || []).forEach(function (p) {
        lines.push("• " + (p.file ? p.file + (p.line ? ":" + p.line : "") + ": " : "") + p.message);
        if (p.hint) lines.push("  hint: " + p.hint);
      });
      errorBox.textContent = lines.join("\n");
    }
    if (s.catalog && s.catalog.length) {
      var stories = s.catalog.map(function (c) { return c.story; });
      var focus = s.focus || { story: stories[0], lang: "" };
      var entry = s.catalog.filter(function (c) { return c.story === focus.story; })[0] || s.catalog[0];
      options(storySel, stories, s.catalog.map(function (c) { return c.titles[c.languages[0]] || c.story; }), entry.story);
      options(langSel, entry.languages, entry.languages, focus.lang);
    }
    if (s.error && !s.stories.length) {
      strip.textContent = ""; shownKey = null; list.textContent = "";
      list.appendChild(el("li", "none-muted", "Fix the error above; the frames and findings come back as soon as the story renders."));
      say("Error in the source", "bad");
      return;
    }
    drawFrames(s, s.stories[0] ? s.stories[0].frames : []);
    drawFindings(s);
    if (s.rendering) say("Rendering the change…");
    else if (s.lint === "pending") say("Frames updated; checking them…", "fresh");
    else say("Updated " + new Date().toLocaleTimeString(), "fresh");
  }

  function query() {
    return "?story=" + encodeURIComponent(want.story) + "&lang=" + encodeURIComponent(want.lang);
  }
  function listen() {
    if (source) source.close();
    if (!window.EventSource) { poll(); return; }
    source = new EventSource("/preview/events" + query());
    source.addEventListener("snapshot", function (ev) { etag = ev.lastEventId; draw(JSON.parse(ev.data)); });
    // Each stream ends after a few seconds and reconnects at once; only a reconnection that
    // does not succeed soon means the server is gone.
    source.onopen = function () { clearTimeout(lost); lost = null; };
    source.onerror = function () { if (!lost) lost = setTimeout(function () { say("Server not reachable", "bad"); }, 2000); };
  }
  // Without EventSource: ask /preview/state about once a second (ETag, so an idle page costs a 304).
  function poll() {
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch("/preview/state" + query(), { headers: headers, cache: "no-store" }).then(function (r) {
      if (r.status === 304) return;
      etag = r.headers.get("ETag");
      return r.json().then(draw);
    }).catch(function () { say("Server not reachable", "bad"); }).finally(function () { setTimeout(poll, 1000); });
  }

  function refocus() { want = { story: storySel.value, lang: langSel.value }; etag = null; listen(); }
  storySel.addEventListener("change", refocus);
  langSel.addEventListener("change", refocus);
  zones.addEventListener("change", function () {
    localStorage.setItem("storycast-zones", zones.checked ? "1" : "0");
    document.body.classList.toggle("zones-on", zones.checked);
  });
  listen();
})();
