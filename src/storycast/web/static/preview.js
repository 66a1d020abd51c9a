// The authoring preview: polls /preview/state (ETag) and redraws when frames or findings change.
(function () {
  "use strict";
  var storySel = document.getElementById("story"), langSel = document.getElementById("lang");
  var strip = document.getElementById("strip"), list = document.getElementById("findings");
  var status = document.getElementById("status"), errorBox = document.getElementById("error");
  var zones = document.getElementById("zones");
  var params = new URLSearchParams(location.search);
  var want = { story: params.get("story") || "", lang: params.get("lang") || "" };
  var etag = null, snap = null;
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

  function draw(s) {
    snap = s;
    document.body.classList.toggle("zones-on", zones.checked);
    document.documentElement.setAttribute("data-version", String(s.version));
    errorBox.hidden = !s.error;
    if (s.error) {
      var e = s.error, lines = [(e.file ? e.file + (e.line ? ":" + e.line : "") + ": " : "") + e.message];
      if (e.hint) lines.push("hint: " + e.hint);
      (e.problems || []).forEach(function (p) { lines.push("• " + (p.file ? p.file + (p.line ? ":" + p.line : "") + ": " : "") + p.message); });
      errorBox.textContent = lines.join("\n");
    }
    if (s.catalog && s.catalog.length) {
      var stories = s.catalog.map(function (c) { return c.story; });
      var focus = s.focus || { story: stories[0], lang: "" };
      var entry = s.catalog.filter(function (c) { return c.story === focus.story; })[0] || s.catalog[0];
      options(storySel, stories, s.catalog.map(function (c) { return c.titles[c.languages[0]] || c.story; }), entry.story);
      options(langSel, entry.languages, entry.languages, focus.lang);
    }
    strip.textContent = "";
    list.textContent = "";
    if (s.error && !s.stories.length) {
      list.appendChild(el("li", "none-muted", "Fix the error above; the frames and findings come back as soon as the story renders."));
      return;
    }
    var z = s.safe_zone || {}, W = s.width, H = s.height;
    (s.stories[0] ? s.stories[0].frames : []).forEach(function (f) {
      var li = el("li"), shot = el("div", "shot");
      var img = el("img"); img.src = f.url; img.alt = f.alt; img.width = 540; img.height = 960;
      shot.appendChild(img);
      [["top", "height", z.top, H], ["bottom", "height", z.bottom, H], ["left", "width", z.left, W], ["right", "width", z.right, W]].forEach(function (d) {
        var zn = el("div", "zone " + d[0]); zn.style[d[1]] = pct(d[2] || 0, d[3]); shot.appendChild(zn);
      });
      li.appendChild(shot);
      var cap = el("p", "cap"); cap.appendChild(el("span", null, String(f.index).padStart(2, "0") + " · " + f.kind));
      var n = s.findings.filter(function (x) { return x.frame === f.index; });
      if (n.length) cap.appendChild(el("span", "badge sev-" + (n.some(function (x) { return x.severity === "error"; }) ? "error" : "warning"), n.length + " finding" + (n.length > 1 ? "s" : "")));
      li.appendChild(cap);
      strip.appendChild(li);
    });
    if (!s.findings.length) list.appendChild(el("li", "none", "No findings: this story is ready to publish."));
    s.findings.forEach(function (f) {
      var li = el("li", "sev-" + f.severity);
      li.appendChild(el("div", "rule", f.severity + " · " + f.rule + (f.frame ? " · frame " + f.frame : "") + (f.location ? " · " + f.location : "")));
      li.appendChild(el("div", null, f.message));
      if (f.hint) li.appendChild(el("p", "hint", f.hint));
      list.appendChild(li);
    });
  }

  function poll() {
    var q = "?story=" + encodeURIComponent(want.story) + "&lang=" + encodeURIComponent(want.lang);
    var headers = etag ? { "If-None-Match": etag } : {};
    return fetch("/preview/state" + q, { headers: headers, cache: "no-store" }).then(function (r) {
      if (r.status === 304) { status.textContent = "Watching for changes"; status.className = "status"; return; }
      etag = r.headers.get("ETag");
      return r.json().then(function (s) {
        draw(s);
        status.textContent = "Updated " + new Date().toLocaleTimeString(); status.className = "status fresh";
      });
    }).catch(function () { status.textContent = "Server not reachable"; });
  }
  function loop() { poll().finally(function () { setTimeout(loop, 800); }); }

  storySel.addEventListener("change", function () { want = { story: storySel.value, lang: langSel.value }; etag = null; poll(); });
  langSel.addEventListener("change", function () { want = { story: storySel.value, lang: langSel.value }; etag = null; poll(); });
  zones.addEventListener("change", function () {
    localStorage.setItem("storycast-zones", zones.checked ? "1" : "0");
    document.body.classList.toggle("zones-on", zones.checked);
  });
  loop();
})();
