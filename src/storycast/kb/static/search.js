// Knowledge base search: loads search/<lang>.json (built by `storycast kb build`) and ranks
// tutorials. Thai text was segmented into words at build time; the query is segmented here
// with Intl.Segmenter, and each query word may match an indexed word exactly or as a prefix.
// The query is folded with the index's own table (index.fold, written by kb/fold.py), the same
// folding the index was built with: Arabic diacritics and letter forms, Serbian Cyrillic and
// Latin, the Devanagari nukta.
(function () {
  "use strict";
  var form = document.querySelector("form[data-search-index]");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var out = document.getElementById("results");
  var root = form.getAttribute("data-root");
  var lang = form.getAttribute("data-lang");
  var index = null;
  var THAI = /[\u0E00-\u0E7F]/;
  var WORD = /[\p{L}\p{M}\p{N}]+/gu;

  // NFC, lower case, then the table: kb/fold.py's fold(), step for step.
  function fold(text) {
    var table = (index && index.fold) || {};
    return Array.from(text.normalize("NFC").toLowerCase(), function (c) {
      return Object.prototype.hasOwnProperty.call(table, c) ? table[c] : c;
    }).join("");
  }

  function words(text) {
    text = fold(text);
    var found = [];
    (text.match(WORD) || []).forEach(function (run) {
      if (THAI.test(run) && window.Intl && Intl.Segmenter) {
        var seg = new Intl.Segmenter("th", { granularity: "word" });
        for (var part of seg.segment(run)) if (part.isWordLike) found.push(part.segment);
      } else {
        found.push(run);
      }
    });
    return found;
  }

  function hitsFor(word) {
    var hits = new Map();
    var terms = index.terms;
    var thai = THAI.test(word);
    for (var term in terms) {
      var factor = term === word ? 1 : term.startsWith(word) ? 0.5 : thai && term.includes(word) ? 0.3 : 0;
      if (!factor) continue;
      terms[term].forEach(function (p) { hits.set(p[0], (hits.get(p[0]) || 0) + p[1] * factor); });
    }
    return hits;
  }

  function run(query) {
    var ws = words(query);
    var scores = null;
    ws.forEach(function (w) {
      var hits = hitsFor(w);
      // A one-letter fragment that matches nothing (a stray Thai segment) should not empty the result.
      if (hits.size === 0 && w.length < 2) return;
      if (scores === null) { scores = hits; return; }
      var next = new Map();
      scores.forEach(function (s, d) { if (hits.has(d)) next.set(d, s + hits.get(d)); });
      scores = next;
    });
    var ranked = Array.from((scores || new Map()).entries()).sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
    return ranked.slice(0, 30).map(function (e) { return index.docs[e[0]]; });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    if (text) node.textContent = text;
    return node;
  }

  function show(query) {
    out.textContent = "";
    if (!query.trim()) return;
    var results = run(query);
    var heading = el("h2", { id: "results-heading" },
      (results.length ? form.getAttribute("data-results-for") : form.getAttribute("data-no-results")).replace("{q}", query));
    out.appendChild(heading);
    if (!results.length) return;
    var list = el("ol", { "aria-labelledby": "results-heading" });
    results.forEach(function (doc) {
      var li = el("li");
      li.appendChild(el("p", { class: "cat" }, doc.category));
      li.appendChild(el("a", { href: root + doc.url }, doc.title));
      if (doc.summary) li.appendChild(el("p", { class: "sum" }, doc.summary));
      list.appendChild(li);
    });
    out.appendChild(list);
  }

  function load() {
    if (index) return Promise.resolve(index);
    return fetch(form.getAttribute("data-search-index"))
      .then(function (r) { return r.json(); })
      .then(function (data) { index = data; return data; });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = input.value;
    history.replaceState(null, "", "?q=" + encodeURIComponent(q));
    load().then(function () { show(q); });
  });

  var initial = new URLSearchParams(location.search).get("q");
  if (initial) {
    input.value = initial;
    load().then(function () { show(initial); });
  }
  // For tests and embedding pages: the same folding and word splitting the search uses.
  window.storycastSearch = { load: load, fold: fold, words: words };
  document.documentElement.setAttribute("data-search-ready", lang);
})();
