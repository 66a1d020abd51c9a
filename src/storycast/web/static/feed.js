// The local feed viewer: rings, progress segments, tap/arrow navigation, polls and replies.
(function () {
  "use strict";
  var data = document.getElementById("feed-data");
  var stories = JSON.parse(data.textContent);
  // Ages count from the server's clock (it may be pinned with --now), advancing with the page.
  var clockSkew = Date.parse(data.getAttribute("data-now")) - Date.now();
  // The signed viewer id this page was served with: votes, replies and views carry it.
  var viewerToken = data.getAttribute("data-viewer");
  var viewer = document.getElementById("viewer");
  if (!viewer) return;
  var params = new URLSearchParams(location.search);
  var autoplay = params.get("autoplay") !== "0";
  var IMAGE_SECONDS = 5;
  var $ = function (sel) { return viewer.querySelector(sel); };
  var img = $(".frame"), video = $(".frame-video"), segs = $(".segments");
  var pollBox = $(".poll"), toast = $(".toast");
  var si = 0, fi = 0, timer = null, paused = false, opener = null;
  var seen = JSON.parse(localStorage.getItem("storycast-seen") || "{}");

  function ago(iso) {
    var s = (Date.now() + clockSkew - Date.parse(iso)) / 1000;
    if (s < 60) return "now";
    if (s < 3600) return Math.floor(s / 60) + " min";
    return Math.floor(s / 3600) + " h";
  }
  document.querySelectorAll("time[data-ago]").forEach(function (t) { t.textContent = ago(t.getAttribute("datetime")); });
  function markSeen() {
    document.querySelectorAll(".ring").forEach(function (r) {
      if (seen[r.getAttribute("data-story")]) r.classList.add("seen");
    });
  }
  markSeen();

  function post(url, body) {
    var headers = { "Content-Type": "application/json", "X-Storycast-Viewer": viewerToken };
    return fetch(url, { method: "POST", headers: headers, body: JSON.stringify(body), credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (d) { d.status = r.status; return d; }); });
  }
  function say(text) {
    toast.textContent = text; toast.hidden = false;
    clearTimeout(say.t); say.t = setTimeout(function () { toast.hidden = true; }, 2200);
  }

  function schedule(seconds) {
    clearTimeout(timer);
    if (!autoplay || paused) return;
    timer = setTimeout(next, seconds * 1000);
  }

  function render() {
    var story = stories[si], frame = story.frames[fi];
    viewer.setAttribute("data-story", story.id);
    viewer.setAttribute("data-frame", String(fi + 1));
    $(".who-title").textContent = story.title;
    $(".who-title").setAttribute("lang", story.lang);
    $(".who-title").setAttribute("dir", story.dir || "auto");
    $(".who-time").textContent = ago(frame.published_at);
    $(".counter").textContent = story.title + ": " + (fi + 1) + " / " + story.frames.length;
    segs.textContent = "";
    story.frames.forEach(function (_, i) {
      var s = document.createElement("span");
      s.className = "seg" + (i < fi ? " done" : i === fi ? " now" : "");
      s.appendChild(document.createElement("i"));
      segs.appendChild(s);
    });
    var seconds = IMAGE_SECONDS;
    if (frame.kind === "video") {
      img.hidden = true; video.hidden = false;
      video.src = "/media/" + frame.media; video.setAttribute("aria-label", frame.alt || story.title);
      video.play().catch(function () {});
      video.onloadedmetadata = function () {
        if (isFinite(video.duration)) { segs.style.setProperty("--dur", video.duration + "s"); schedule(video.duration); }
      };
    } else {
      video.pause(); video.hidden = true; img.hidden = false;
      img.src = "/media/" + frame.media; img.alt = frame.alt || story.title;
    }
    segs.style.setProperty("--dur", seconds + "s");
    showPoll(frame, story);
    seen[story.id] = true;
    localStorage.setItem("storycast-seen", JSON.stringify(seen));
    if (frame.remote_id) post("/api/view", { remote_id: frame.remote_id }).catch(function () {});
    $(".reply input").placeholder = "Reply to " + story.title + "…";
    if (frame.kind !== "video") schedule(seconds);
  }

  function showPoll(frame, story) {
    var poll = frame.poll;
    pollBox.hidden = !poll;
    if (!poll) return;
    $(".poll-q").textContent = poll.question;
    $(".poll-q").setAttribute("lang", story.lang);
    $(".poll-q").setAttribute("dir", story.dir || "auto");
    var box = $(".poll-options"), note = $(".poll-note");
    box.textContent = ""; note.textContent = "";
    box.setAttribute("aria-label", poll.question);
    var chosen = sessionStorage.getItem("vote:" + poll.poll_id);
    poll.options.forEach(function (label, i) {
      var b = document.createElement("button");
      b.type = "button"; b.textContent = label; b.setAttribute("lang", story.lang); b.setAttribute("dir", story.dir || "auto");
      b.setAttribute("aria-pressed", String(chosen === String(i + 1)));
      b.addEventListener("click", function (ev) {
        ev.stopPropagation();
        setPaused(true);
        post("/api/vote", { poll_id: poll.poll_id, option: i + 1, lang: story.lang }).then(function (d) {
          if (!d.ok) { note.textContent = d.error || "The vote was not counted."; return; }
          sessionStorage.setItem("vote:" + poll.poll_id, String(i + 1));
          box.querySelectorAll("button").forEach(function (o, j) { o.setAttribute("aria-pressed", String(j === i)); });
          note.textContent = "Thanks, your vote counts.";
          viewer.setAttribute("data-voted", String(i + 1));
        });
      });
      box.appendChild(b);
    });
  }

  function open(index, from) {
    si = index; fi = 0; opener = from || null; paused = false;
    viewer.classList.remove("paused");
    viewer.hidden = false;
    render();
    viewer.focus();  // arrow keys work at once; no focus ring on a tap zone
  }
  function close() {
    clearTimeout(timer); video.pause();
    viewer.hidden = true; markSeen();
    if (opener) opener.focus();
  }
  function next() {
    var story = stories[si];
    if (fi + 1 < story.frames.length) { fi += 1; render(); }
    else if (si + 1 < stories.length) { si += 1; fi = 0; render(); }
    else close();
  }
  function prev() {
    if (fi > 0) { fi -= 1; render(); }
    else if (si > 0) { si -= 1; fi = stories[si].frames.length - 1; render(); }
    else render();
  }
  function setPaused(on) {
    paused = on;
    viewer.classList.toggle("paused", on);
    $(".pause").setAttribute("aria-label", on ? "Play" : "Pause");
    $(".pause").textContent = on ? "▶" : "❚❚";
    if (on) { clearTimeout(timer); video.pause(); } else { schedule(IMAGE_SECONDS); if (!video.hidden) video.play().catch(function () {}); }
  }

  document.querySelectorAll(".ring, .card").forEach(function (b) {
    b.addEventListener("click", function () { open(Number(b.getAttribute("data-index")), b); });
  });
  $(".tap.next").addEventListener("click", next);
  $(".tap.prev").addEventListener("click", prev);
  $(".close").addEventListener("click", close);
  $(".pause").addEventListener("click", function () { setPaused(!paused); });
  document.addEventListener("keydown", function (ev) {
    if (viewer.hidden || ev.target.tagName === "INPUT") return;
    if (ev.key === "ArrowRight") { ev.preventDefault(); next(); }
    else if (ev.key === "ArrowLeft") { ev.preventDefault(); prev(); }
    else if (ev.key === "Escape") close();
    else if (ev.key === " ") { ev.preventDefault(); setPaused(!paused); }
  });
  var input = $(".reply input");
  input.addEventListener("focus", function () { setPaused(true); });
  $(".reply").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    var frame = stories[si].frames[fi];
    post("/api/reply", { remote_id: frame.remote_id, text: text }).then(function (d) {
      if (d.ok) { input.value = ""; say("Reply sent"); } else { say(d.error || "Not sent"); }
    });
  });
})();
