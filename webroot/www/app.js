// Petrel dashboard: keeps the SSI-rendered page live from /api/status and
// the /api/events stream (polling /api/status every 2 s when SSE fails).
"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var N = 60, CONN_ROWS = 12, rx = [], tx = [], last = null, status = null, polling = 0, clockBase = null;

  function text(id, v) { var e = $(id); if (e && e.textContent !== String(v)) e.textContent = v; }
  function el(tag, cls, txt) { var e = document.createElement(tag); if (cls) e.className = cls; if (txt != null) e.textContent = txt; return e; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function uptime(s) {
    s = Math.floor(s); var d = Math.floor(s / 86400);
    return (d ? d + "d " : "") + pad(Math.floor(s / 3600) % 24) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
  }
  function utc(ms) { return new Date(ms).toISOString().slice(0, 19).replace("T", " ") + "Z"; }
  function bytes(n) {
    var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0) : n) + " " + u[i];
  }
  function count(n) { return Number(n).toLocaleString("en-US"); }
  function bits(b) {
    var u = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"], i = 0;
    while (b >= 1000 && i < u.length - 1) { b /= 1000; i++; }
    return (i ? b.toFixed(b < 10 ? 2 : b < 100 ? 1 : 0) : Math.round(b)) + " " + u[i];
  }
  function us(v) { return Math.abs(v) >= 1000 ? (v / 1000).toFixed(2) + " ms" : v + " µs"; }
  function badge(state) {
    var c = { running: "ok", connected: "ok", starting: "warn", disconnected: "bad", failed: "bad" }[state] || "";
    return el("span", "badge " + c, state);
  }
  function rows(tbody, list, cols, emptyText) {
    var frag = document.createDocumentFragment();
    list.forEach(function (item) {
      var tr = el("tr");
      cols(item).forEach(function (c) {
        var td = el("td", c.cls || "");
        if (c.node) td.appendChild(c.node); else td.textContent = c.t;
        if (c.sub) td.appendChild(el("small", "", c.sub));
        tr.appendChild(td);
      });
      frag.appendChild(tr);
    });
    if (!list.length) { var tr = el("tr", "empty"), td = el("td", "", emptyText); td.colSpan = 9; tr.appendChild(td); frag.appendChild(tr); }
    tbody.replaceChildren(frag);
  }

  function logLine(l) {
    var li = el("li"), t = el("time", "", new Date(l.unix_ms).toISOString().slice(11, 19));
    li.appendChild(t); li.appendChild(el("span", "lv lv-" + l.level, l.level)); li.appendChild(el("span", "m", l.message));
    return li;
  }
  function addLog(l) {
    var ol = $("log"); ol.insertBefore(logLine(l), ol.firstChild);
    while (ol.children.length > 64) ol.removeChild(ol.lastChild);
  }

  function renderStatus(s) {
    status = s;
    var d = s.device || {};
    text("name", d.name); document.title = d.name + " · Petrel";
    text("uptime", uptime(d.uptime_s || 0));
    text("version", d.version); text("build", d.build || "");
    var ifs = s.interfaces || [], ip = ifs.filter(function (i) { return i.ipv4 && i.name !== "lo"; })[0] || ifs.filter(function (i) { return i.ipv4; })[0];
    text("ip", d.ip || (ip ? ip.ipv4.split("/")[0] : "-"));
    text("mdns", s.mdns ? s.mdns.name : "-"); text("mdns-h", s.mdns ? s.mdns.name : "");
    var t = s.time || {};
    clockBase = { dev: t.now_unix_ms, at: Date.now() };
    text("time", t.synced ? utc(t.now_unix_ms) : "not synced");
    text("sntp", t.synced ? t.server + " · offset " + us(t.offset_us) + " · delay " + us(t.delay_us) + " · stratum " + t.stratum : "");
    var svc = $("services"), frag = document.createDocumentFragment();
    (s.services || []).forEach(function (x) {
      var li = el("li"); li.appendChild(el("span", "n", x.name)); li.appendChild(badge(x.state));
      li.appendChild(el("span", "d", x.detail || "")); frag.appendChild(li);
    });
    if (!(s.services || []).length) frag.appendChild(el("li", "muted", "No services."));
    svc.replaceChildren(frag);
    rows($("ifaces").tBodies[0], ifs, function (i) {
      return [
        { t: i.name, cls: i.up ? "up" : "down", sub: i.up ? "up" : "down" },
        { t: i.ipv4 || "–" },
        { t: i.mac, cls: "mono" },
        { t: i.mtu },
        { t: bytes(i.rx_bytes), sub: count(i.rx_packets) + " packets" },
        { t: bytes(i.tx_bytes), sub: count(i.tx_packets) + " packets" },
        { t: count(i.rx_errors + i.tx_errors), sub: count(i.rx_discards + i.tx_discards) + " discards" }
      ];
    }, "No interfaces.");
    var c = s.connections || {}, tcp = c.tcp || [], lis = c.tcp_listeners || [], udp = c.udp || [];
    // Established connections and listeners first, then UDP, then closing
    // states (a busy host has dozens in time-wait); at most CONN_ROWS rows.
    var rank = { established: 0, listen: 1, udp: 2 };
    var all = tcp.map(function (x) { return { l: x.local, r: x.remote, s: x.state }; })
      .concat(lis.map(function (x) { return { l: x.local, r: "*", s: "listen" }; }))
      .concat(udp.map(function (x) { return { l: x.local, r: "*", s: "udp" }; }))
      .map(function (x, i) { x.k = (x.s in rank ? rank[x.s] : 3) * 1e6 + i; return x; })
      .sort(function (a, b) { return a.k - b.k; });
    var cbody = $("conns").tBodies[0], more = all.length - CONN_ROWS;
    rows(cbody, all.slice(0, CONN_ROWS), function (x) { return [{ t: x.l, cls: "mono" }, { t: x.r, cls: "mono" }, { t: x.s }]; }, "No connections.");
    if (more > 0) { var mtr = el("tr", "more"), mtd = el("td", "muted", "and " + count(more) + " more"); mtd.colSpan = 3; mtr.appendChild(mtd); cbody.appendChild(mtr); }
    var est = tcp.filter(function (x) { return x.state === "established"; }).length;
    text("conn-sum", est + " established · " + (tcp.length - est) + " other TCP · " + lis.length + " listening · " + udp.length + " UDP");
    var ol = $("log"), frag2 = document.createDocumentFragment();
    (s.log || []).slice().reverse().forEach(function (l) { frag2.appendChild(logLine(l)); });
    ol.replaceChildren(frag2);
  }

  function sample(v) {
    if (last && v.t > last.t) {
      var dt = (v.t - last.t) / 1000;
      push(rx, Math.max(0, (v.rx - last.rx) * 8 / dt)); push(tx, Math.max(0, (v.tx - last.tx) * 8 / dt));
      text("rx-rate", bits(rx[rx.length - 1])); text("tx-rate", bits(tx[tx.length - 1]));
      draw();
    }
    last = v;
  }
  function push(a, v) { a.push(v); if (a.length > N) a.shift(); }

  function draw() {
    var cv = $("chart"), r = window.devicePixelRatio || 1, w = cv.clientWidth, h = cv.clientHeight;
    if (!w) return;
    if (cv.width !== Math.round(w * r)) { cv.width = Math.round(w * r); cv.height = Math.round(h * r); }
    var g = cv.getContext("2d"), st = getComputedStyle(document.documentElement);
    var col = function (n) { return st.getPropertyValue(n).trim(); };
    g.setTransform(r, 0, 0, r, 0, 0); g.clearRect(0, 0, w, h);
    var max = Math.max.apply(null, rx.concat(tx, [1000]));
    var step = Math.pow(10, Math.floor(Math.log10(max / 3))), top;
    [1, 2, 5, 10].some(function (m) { top = step * m * 4; return top >= max; });
    var L = 76, R = 8, T = 8, B = 20, pw = w - L - R, ph = h - T - B;
    g.font = "11px system-ui, sans-serif"; g.textBaseline = "middle"; g.textAlign = "right";
    for (var i = 0; i <= 4; i++) {
      var y = T + ph - ph * i / 4;
      g.strokeStyle = col("--line"); g.lineWidth = 1; g.beginPath(); g.moveTo(L, Math.round(y) + .5); g.lineTo(w - R, Math.round(y) + .5); g.stroke();
      g.fillStyle = col("--muted"); g.fillText(bits(top * i / 4), L - 8, y);
    }
    g.textBaseline = "top";
    ["60 s", "45 s", "30 s", "15 s", "now"].forEach(function (s, i) {
      g.textAlign = i ? i < 4 ? "center" : "right" : "left"; g.fillText(s, L + pw * i / 4, T + ph + 6);
    });
    if (rx.length < 2) {
      g.textAlign = "center"; g.textBaseline = "middle"; g.fillStyle = col("--muted");
      g.fillText(polling ? "waiting for the next readings…" : "waiting for live data…", L + pw / 2, T + ph / 2);
    }
    [[rx, "--rx"], [tx, "--tx"]].forEach(function (p) {
      var a = p[0]; if (a.length < 2) return;
      g.beginPath();
      a.forEach(function (v, i) {
        var x = L + pw * (N - a.length + i) / (N - 1), y = T + ph - ph * v / top;
        i ? g.lineTo(x, y) : g.moveTo(x, y);
      });
      g.strokeStyle = col(p[1]); g.lineWidth = 2; g.lineJoin = "round"; g.stroke();
      g.lineTo(L + pw, T + ph); g.lineTo(L + pw * (N - a.length) / (N - 1), T + ph); g.closePath();
      g.globalAlpha = .08; g.fillStyle = col(p[1]); g.fill(); g.globalAlpha = 1;
    });
  }

  function totals(s) {
    var t = { t: Date.now(), rx: 0, tx: 0 };
    (s.interfaces || []).forEach(function (i) { t.rx += i.rx_bytes; t.tx += i.tx_bytes; });
    return t;
  }
  function live(on) { var e = $("live"); e.className = "live " + (on ? "on" : "off"); e.textContent = on ? (polling ? "polling" : "live") : "offline"; }

  function fetchStatus() {
    return fetch("/api/status", { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error(r.status); return r.json();
    }).then(function (s) { renderStatus(s); if (polling) sample(totals(s)); live(true); }, function () { live(false); });
  }
  function startPolling() {
    if (polling) return;
    polling = setInterval(fetchStatus, 2000); fetchStatus();
  }

  function connect() {
    if (!window.EventSource) return startPolling();
    var es = new EventSource("/api/events"), opened = false;
    es.addEventListener("stats", function (ev) {
      var d = JSON.parse(ev.data); opened = true; live(true);
      text("uptime", uptime(d.uptime_s));
      sample({ t: d.unix_ms, rx: d.rx_bytes, tx: d.tx_bytes });
    });
    es.addEventListener("log", function (ev) { addLog(JSON.parse(ev.data)); });
    es.onerror = function () {
      live(false);
      if (!opened || es.readyState === 2) { es.close(); startPolling(); }
    };
    // The stream carries counters only: refresh the rest now and then.
    setInterval(function () { if (!polling) fetchStatus(); }, 5000);
  }

  setInterval(function () {
    if (clockBase && status && status.time && status.time.synced) text("time", utc(clockBase.dev + Date.now() - clockBase.at));
  }, 1000);
  window.addEventListener("resize", draw);

  // Settings form: urlencoded POST, errors next to their fields.
  var form = $("settings");
  function fill(s) { ["device_name", "mqtt_broker", "sntp_servers"].forEach(function (k) { if (k in s) form.elements[k].value = s[k]; }); }
  // A device without the settings API (firmware whose settings are fixed at
  // build time) answers 404: show that instead of a form that cannot save.
  function fixed() {
    form.querySelectorAll("input, button").forEach(function (e) { e.disabled = true; });
    $("notice").textContent = "Settings are fixed when this firmware is built.";
  }
  fetch("/api/settings", { cache: "no-store" }).then(function (r) {
    if (r.status === 404) { fixed(); return {}; }
    return r.ok ? r.json() : {};
  }).then(fill, function () {});
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var n = $("notice"), btn = form.querySelector("button");
    form.querySelectorAll(".err").forEach(function (p) { p.textContent = ""; });
    form.querySelectorAll("input").forEach(function (i) { i.removeAttribute("aria-invalid"); });
    n.className = ""; n.textContent = "Saving…"; btn.disabled = true;
    fetch("/api/settings", { method: "POST", body: new URLSearchParams(new FormData(form)) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        if (res.ok && res.j.ok) {
          n.className = "ok";
          n.textContent = res.j.restart_needed ? "Saved. Restart the device to apply the MQTT and SNTP changes." : "Saved.";
          fetchStatus();
        } else {
          var errs = res.j.errors || {};
          Object.keys(errs).forEach(function (k) {
            var p = form.querySelector('.err[data-for="' + k + '"]'); if (p) p.textContent = errs[k];
            if (form.elements[k]) form.elements[k].setAttribute("aria-invalid", "true");
          });
          n.className = "bad"; n.textContent = "Not saved: fix the fields marked above.";
        }
      }, function () { n.className = "bad"; n.textContent = "Not saved: the device did not answer."; })
      .then(function () { btn.disabled = false; });
  });

  fetchStatus().then(connect);
  draw();
})();
