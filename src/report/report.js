/*
 * rstscope report: draws the page from the two JSON blocks (rs-summary:
 * the output of `rstscope summary --format=json`; rs-sessions: the failed
 * and reset sessions). Text from packets goes into the DOM only through
 * textContent and attribute values, never as markup. Every drawn number
 * carries data-kind/data-key/data-n so that a test can compare the page
 * with the JSON. When the page is drawn without an error the <html>
 * element gets data-ok="1"; errors are listed at the top of the page and
 * counted in data-errors.
 */
(function () {
  'use strict';
  var root = document.documentElement;
  var errors = 0;

  function fail(msg) {
    errors++;
    root.setAttribute('data-errors', String(errors));
    var box = document.getElementById('rs-errors');
    if (box) {
      box.hidden = false;
      var li = document.createElement('li');
      li.textContent = String(msg);
      box.querySelector('ul').appendChild(li);
    }
  }
  window.addEventListener('error', function (e) {
    fail('error: ' + e.message + (e.lineno ? ' (line ' + e.lineno + ')' : ''));
  });
  window.addEventListener('unhandledrejection', function (e) { fail('unhandled rejection: ' + e.reason); });
  if (window.console && console.error) {
    var consoleError = console.error;
    console.error = function () {
      fail('console.error: ' + Array.prototype.join.call(arguments, ' '));
      consoleError.apply(console, arguments);
    };
  }

  var SVGNS = 'http://www.w3.org/2000/svg';

  /* el('tr', {class: 'x', 'data-n': 3}, [child, 'text', ...]) */
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    setAttrs(e, attrs);
    append(e, kids);
    return e;
  }
  function sv(tag, attrs, kids) {
    var e = document.createElementNS(SVGNS, tag);
    setAttrs(e, attrs);
    append(e, kids);
    return e;
  }
  function setAttrs(e, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k]));
    });
  }
  function append(e, kids) {
    if (kids === undefined || kids === null) return;
    if (!Array.isArray(kids)) kids = [kids];
    kids.forEach(function (k) {
      if (k === undefined || k === null || k === false) return;
      e.appendChild(typeof k === 'object' ? k : document.createTextNode(String(k)));
    });
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function $(sel) { return document.querySelector(sel); }

  function fmt(n) { return Number(n).toLocaleString('en-US'); }
  function pct(n) { return Number(n).toFixed(1) + '%'; }
  function utc(secs) {
    if (!secs) return '-';
    return new Date(secs * 1000).toISOString().replace('T', ' ').replace('Z', '');
  }
  function span(secs) {
    if (secs >= 60 && secs % 86400 === 0) return secs / 86400 + (secs === 86400 ? ' day' : ' days');
    if (secs >= 60 && secs % 3600 === 0) return secs / 3600 + ' h';
    if (secs >= 60 && secs % 60 === 0) return secs / 60 + ' min';
    if (secs < 1) return (secs * 1000).toFixed(1) + ' ms';
    if (secs < 120) return secs.toFixed(1) + ' s';
    if (secs < 7200) return (secs / 60).toFixed(1) + ' min';
    if (secs < 172800) return (secs / 3600).toFixed(1) + ' h';
    return (secs / 86400).toFixed(1) + ' days';
  }
  function endpoint(addr, port) {
    return (addr.indexOf(':') >= 0 ? '[' + addr + ']' : addr) + (port === undefined ? '' : ':' + port);
  }
  var END_CLASS = {
    'tcp-fin': 'fin', 'tcp-rst-from-client': 'rst-client', 'tcp-rst-from-server': 'rst-server',
    'aged-out': 'aged', 'open': 'open', 'tcp-reuse': 'reuse', 'policy-deny': 'deny'
  };
  var END_TEXT = {
    'tcp-fin': 'closed with FIN', 'tcp-rst-from-client': 'reset by the client',
    'tcp-rst-from-server': 'reset by the server', 'aged-out': 'timer ran out',
    'open': 'still open at the end', 'tcp-reuse': 'tuple reused by a new SYN',
    'policy-deny': 'denied by the policy'
  };

  function json(id) {
    var node = document.getElementById(id);
    return JSON.parse(node.textContent);
  }

  /* Horizontal bars as HTML (text keeps its size on a phone):
   * items [{kind, key, label, n, cls, sub, extra, title}] */
  function hbars(items, label) {
    var max = 1;
    items.forEach(function (it) { if (it.n > max) max = it.n; });
    var box = el('div', { 'class': 'bars', role: 'list', 'aria-label': label });
    items.forEach(function (it) {
      var fill = el('span', { 'class': 'fill ' + (it.cls || 'fill-bar') });
      fill.style.width = (it.n > 0 ? Math.max(0.5, 100 * it.n / max) : 0) + '%';
      var track = el('span', { 'class': 'track' }, fill);
      if (it.sub) {
        var sub = el('span', { 'class': 'fill fill-reset' });
        sub.style.width = Math.max(0.5, 100 * it.sub / max) + '%';
        track.appendChild(sub);
      }
      append(box, el('div', { 'class': 'brow', role: 'listitem', title: it.title || null,
        'data-kind': it.kind, 'data-key': it.key, 'data-n': it.n }, [
        el('span', { 'class': 'blabel mono' }, it.label), track,
        el('span', { 'class': 'bnum' }, fmt(it.n) + (it.extra || ''))
      ]));
    });
    return box;
  }

  function card(kind, key, n, text, label) {
    return el('div', { 'class': 'card', 'data-kind': kind, 'data-key': key, 'data-n': n }, [
      el('div', { 'class': 'n' }, text), el('div', { 'class': 'l' }, label)
    ]);
  }

  function overview(S, T) {
    var box = $('#overview');
    var c = S.capture;
    var failed = T.kept + T.left_out;
    append(box, [
      card('total', 'sessions', c.sessions, fmt(c.sessions), 'sessions'),
      card('total', 'resets', S.resets.sessions, fmt(S.resets.sessions), 'ended by a reset (' + pct(S.resets.pct) + ')'),
      card('total', 'table', failed, fmt(failed), 'failed or reset (table below)'),
      card('total', 'packets', c.packets, fmt(c.packets), 'packets, ' + fmt(c.bytes) + ' bytes'),
      card('total', 'duration', c.duration, span(c.duration), 'from ' + utc(c.first_ts) + ' UTC'),
      card('total', 'findings', S.findings_total, fmt(S.findings_total), 'flood / backscatter findings')
    ]);
    var sub = $('#rs-sub');
    sub.textContent = (S.inputs.length ? S.inputs.join(', ') + ' \u2014 ' : '') +
      utc(c.first_ts) + ' to ' + utc(c.last_ts) + ' UTC';
  }

  function endReasons(S) {
    var items = [];
    Object.keys(S.by_end_reason).forEach(function (k) {
      var n = S.by_end_reason[k];
      if (n > 0) {
        items.push({
          kind: 'end', key: k, label: k, n: n, cls: 'fill-' + (END_CLASS[k] || 'open'),
          extra: ' \u00b7 ' + pct(S.capture.sessions ? Math.round(1000 * n / S.capture.sessions) / 10 : 0),
          title: k + ' (' + (END_TEXT[k] || '') + '): ' + fmt(n) + ' sessions'
        });
      }
    });
    items.sort(function (a, b) { return b.n - a.n || (a.key < b.key ? -1 : 1); });
    var box = $('#end-reasons .chart');
    if (!items.length) { box.textContent = 'No sessions.'; return; }
    append(box, hbars(items, 'sessions by end reason'));
  }

  function apps(S) {
    var items = S.by_app.map(function (a) {
      return {
        kind: 'app', key: a.app, label: a.app, n: a.sessions, sub: a.resets,
        extra: a.resets ? '  (' + fmt(a.resets) + ' reset)' : '',
        title: a.app + ': ' + fmt(a.sessions) + ' sessions, ' + fmt(a.resets) + ' ended by a reset (' + pct(a.reset_pct) + ')'
      };
    });
    if (S.apps_total > S.by_app.length) {
      items.push({
        kind: 'app', key: '(rest)', label: (S.apps_total - S.by_app.length) + ' more apps',
        n: S.apps_rest.sessions, sub: S.apps_rest.resets,
        extra: S.apps_rest.resets ? '  (' + fmt(S.apps_rest.resets) + ' reset)' : ''
      });
    }
    var box = $('#apps .chart');
    if (!items.length) { box.textContent = 'No sessions.'; return; }
    append(box, hbars(items, 'sessions by app'));
    append(box, el('p', { 'class': 'legend' }, [
      el('span', { 'class': 'swatch sw-sessions' }), 'sessions ',
      el('span', { 'class': 'swatch sw-resets' }), 'of which ended by a reset'
    ]));
  }

  /* Drawn at the container's own width, so that its text keeps its size
   * (a scaled SVG would shrink it on a phone); drawn again on resize. */
  function timeline(S) {
    var t = S.timeline, box = $('#timeline .chart');
    var n = t.resets.length;
    if (!n || !t.total) {
      append(box, el('p', { 'data-kind': 'timeline', 'data-key': 'total', 'data-n': t.total }, 'No session ended by a reset.'));
      return;
    }
    var holder = el('div', { 'class': 'tl' });
    append(box, holder);
    append(box, el('p', { 'class': 'legend' },
      fmt(t.total) + ' resets in ' + n + (n === 1 ? ' bucket' : ' buckets') + ' of ' + span(t.bucket_seconds) +
      '; the busiest, from ' + utc(t.peak_start) + ' UTC, had ' + fmt(t.peak) + '. Times are UTC.'));
    var drawnW = 0;
    function draw() {
      var W = Math.max(280, Math.floor(holder.clientWidth || 1000));
      if (W === drawnW) return;
      drawnW = W;
      var H = W < 600 ? 150 : 190, L = 44, B = 30, T = 10, R = 10;
      var pw = W - L - R, ph = H - T - B, max = Math.max(1, t.peak);
      var svg = sv('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img',
        'aria-label': 'resets per ' + span(t.bucket_seconds) });
      append(svg, sv('line', { x1: L, y1: T + ph, x2: L + pw, y2: T + ph, 'class': 'axis' }));
      append(svg, sv('line', { x1: L, y1: T, x2: L, y2: T + ph, 'class': 'axis' }));
      append(svg, sv('text', { x: L - 6, y: T + 10, 'text-anchor': 'end', 'class': 'lbl' }, fmt(max)));
      append(svg, sv('text', { x: L - 6, y: T + ph, 'text-anchor': 'end', 'class': 'lbl' }, '0'));
      var bw = pw / n;
      var g = sv('g', { 'data-kind': 'timeline', 'data-key': 'total', 'data-n': t.total });
      for (var i = 0; i < n; i++) {
        var v = t.resets[i];
        if (!v) continue;
        var h = Math.max(1, ph * v / max);
        var start = t.start + i * t.bucket_seconds;
        append(g, sv('rect', {
          x: (L + i * bw).toFixed(2), y: (T + ph - h).toFixed(2), width: Math.max(bw - (bw > 4 ? 1 : 0), 0.5).toFixed(2),
          height: h.toFixed(2), 'class': 'bar-reset', 'data-kind': 'bucket', 'data-key': i, 'data-n': v
        }, sv('title', null, utc(start) + ' UTC: ' + fmt(v) + ' resets in ' + span(t.bucket_seconds))));
      }
      svg.appendChild(g);
      var ticks = Math.max(1, Math.min(n, Math.floor(pw / 110)));
      for (var k = 0; k <= ticks; k++) {
        var idx = Math.round(k * n / ticks);
        var anchor = k === 0 ? 'start' : k === ticks ? 'end' : 'middle';
        append(svg, sv('text', { x: (L + idx * bw).toFixed(1), y: H - 10, 'text-anchor': anchor, 'class': 'lbl' },
          utc(t.start + idx * t.bucket_seconds).slice(5, 16)));
      }
      clear(holder);
      holder.appendChild(svg);
    }
    draw();
    var pending = null;
    window.addEventListener('resize', function () {
      clearTimeout(pending);
      pending = setTimeout(draw, 100);
    });
  }

  /* A table; on a phone (CSS: table.stack) each row becomes a small card
   * whose cells carry their column's name. */
  function table(head, rows, cls) {
    rows.forEach(function (tr) {
      Array.prototype.forEach.call(tr.children, function (td, i) {
        if (head[i]) td.setAttribute('data-label', head[i].t);
      });
    });
    var thead = el('thead', null, el('tr', null, head.map(function (h) {
      return el('th', { 'class': h.num ? 'num' : null, scope: 'col' }, h.t);
    })));
    return el('div', { 'class': 'scroll' }, el('table', { 'class': 'stack' + (cls ? ' ' + cls : '') }, [thead, el('tbody', null, rows)]));
  }

  function rateCell(p) {
    var fill = el('span');
    fill.style.width = Math.min(100, p) + '%';
    return el('td', { 'class': 'num' }, [pct(p), el('span', { 'class': 'rate', 'aria-hidden': 'true' }, fill)]);
  }

  function causes(S, sessions) {
    var box = $('#causes .body');
    if (!S.by_rst_cause.length) { box.textContent = 'No reset was diagnosed.'; return; }
    var example = {};
    var ci = sessions.idx.rst_cause, ei = sessions.idx.explanation, hi = sessions.idx.hint;
    sessions.rows.forEach(function (r) {
      if (r[ci] && !example[r[ci]] && r[ei]) example[r[ci]] = r;
    });
    var rows = S.by_rst_cause.map(function (c) {
      var ex = example[c.cause];
      return el('tr', { 'data-kind': 'cause', 'data-key': c.cause, 'data-n': c.sessions }, [
        el('td', { 'class': 'mono nowrap' }, c.cause),
        el('td', { 'class': 'num' }, fmt(c.sessions)),
        el('td', { 'class': 'num' }, fmt(c.by_client)),
        el('td', { 'class': 'num' }, fmt(c.by_server)),
        el('td', { 'class': 'meaning' }, [c.meaning, ex ? el('span', { 'class': 'example' },
          ['e.g. ' + endpoint(ex[sessions.idx.client], ex[sessions.idx.client_port]) + ' \u2192 ' +
            endpoint(ex[sessions.idx.server], ex[sessions.idx.server_port]) + ': ' + ex[ei],
            ex[hi] ? ' Hint: ' + ex[hi] : '']) : null])
      ]);
    });
    append(box, table([{ t: 'cause' }, { t: 'sessions', num: 1 }, { t: 'RST by client', num: 1 },
      { t: 'RST by server', num: 1 }, { t: 'what it means, with an example' }], rows, 'causes'));
  }

  function hosts(S, which) {
    var list = which === 'servers' ? S.top_servers : S.top_clients;
    var all = which === 'servers' ? S.servers_with_resets : S.clients_with_resets;
    var box = $('#' + which + ' .body');
    if (!list.length) { box.textContent = 'No TCP session ended by a reset.'; return; }
    var rows = list.map(function (h) {
      var key = which === 'servers' ? endpoint(h.addr, h.port) : h.addr;
      return el('tr', { 'data-kind': which === 'servers' ? 'server' : 'client', 'data-key': key, 'data-n': h.resets }, [
        el('td', { 'class': 'mono nowrap' }, key),
        el('td', { 'class': 'num' }, fmt(h.resets)),
        el('td', { 'class': 'num' }, fmt(h.sessions)),
        rateCell(h.reset_pct),
        el('td', { 'class': 'num' }, fmt(h.by_client) + ' / ' + fmt(h.by_server))
      ]);
    });
    append(box, table([{ t: which === 'servers' ? 'server' : 'client' }, { t: 'resets', num: 1 },
      { t: 'TCP sessions', num: 1 }, { t: 'reset rate', num: 1 }, { t: 'by client / server', num: 1 }], rows));
    if (all > list.length) append(box, el('p', { 'class': 'legend' }, 'The first ' + list.length + ' of ' + fmt(all) + ' ' + which + ' with resets.'));
  }

  function findings(S) {
    var box = $('#findings .body'), u = S.unsolicited;
    append(box, el('p', { 'data-kind': 'unsolicited', 'data-key': 'sessions', 'data-n': u.sessions },
      u.sessions ? fmt(u.sessions) + (u.sessions === 1 ? ' session was' : ' sessions were') +
        ' made only of RSTs from one side (no SYN, no data): ' + fmt(u.rsts) + ' RSTs, ' + fmt(u.rst_acks) +
        ' of them RST|ACK, to ' + fmt(u.destinations) + (u.destinations === 1 ? ' address.' : ' addresses.')
        : 'No unsolicited RSTs (sessions made only of RSTs from one side, with no SYN and no data).'));
    if (!S.findings.length) {
      append(box, el('p', { 'class': 'muted' }, 'No RST flood and no backscatter (thresholds: ' +
        S.thresholds.flood_min_rsts + ' RSTs to one address, or ' + S.thresholds.flood_burst_rsts +
        ' at ' + S.thresholds.flood_min_rate + '/s; RST|ACKs from ' + S.thresholds.backscatter_min_sources + ' hosts).'));
      return;
    }
    S.findings.forEach(function (f) {
      append(box, el('div', { 'class': 'finding', 'data-kind': 'finding', 'data-key': f.code + ' ' + f.victim, 'data-n': f.rsts }, [
        el('div', { 'class': 'fhead' }, [el('span', { 'class': 'mono' }, f.code), ' to ', el('span', { 'class': 'mono' }, f.victim),
          el('span', { 'class': 'muted' }, ' \u00b7 ' + fmt(f.rsts) + ' RSTs from ' + fmt(f.sources) +
            (f.sources_estimated ? ' (estimated)' : '') + ' senders \u00b7 ' + f.rate.toFixed(1) + ' per second')]),
        el('div', null, f.explanation)
      ]));
    });
    if (S.findings_total > S.findings.length) append(box, el('p', { 'class': 'legend' }, 'The first ' + S.findings.length + ' of ' + fmt(S.findings_total) + ' findings.'));
  }

  function notes(S, T) {
    var box = $('#notes .body'), items = [];
    var dec = Object.keys(S.decode).filter(function (k) { return S.decode[k] > 0; });
    if (dec.length) items.push('Packets not analysed (or only partly): ' + dec.map(function (k) { return fmt(S.decode[k]) + ' ' + k; }).join(', ') + '.');
    S.damage.forEach(function (d) { items.push('Damaged input: ' + d); });
    if (S.damage_dropped) items.push(fmt(S.damage_dropped) + ' more damage notes.');
    var lim = S.limits;
    if (lim.evicted_sessions) items.push(fmt(lim.evicted_sessions) + ' sessions were ended early by --max-sessions.');
    if (lim.server_evictions || lim.client_evictions || lim.victim_evictions || lim.names_other)
      items.push('Some tables were full: the rankings are close but not exact (' + JSON.stringify(lim) + ').');
    if (T.left_out) items.push('The session table holds the first ' + fmt(T.kept) + ' failed or reset sessions; ' + fmt(T.left_out) +
      ' more are left out (rstscope analyze --only=failed lists them all, or raise --max-rows).');
    if (S.capture.reordered) items.push(fmt(S.capture.reordered) + ' packets were older than the one before them.');
    if (!items.length) items.push('Every packet was read and analysed; no table reached its cap.');
    items.push('rstscope ' + S.version + '; peak of ' + fmt(S.capture.peak_sessions) + ' sessions open at once.');
    append(box, el('ul', { 'class': 'plain' }, items.map(function (t) { return el('li', null, t); })));
  }

  /* ---- the sessions table ----
   * One row of short columns per session and, under it, a row across the
   * whole table with the explanation and hint (readable at 1280 px without
   * scrolling sideways); on a phone each session becomes a card (CSS). */

  function sessionsTable(T) {
    var ix = T.idx;
    function pair(a, b) { return fmt(a) + ' / ' + fmt(b); }
    var cols = [
      { t: 'time (UTC)', v: function (r) { return r[ix.ts]; }, s: function (r) { return utc(r[ix.ts]); }, cls: 'nowrap mono' },
      { t: 'client', v: function (r) { return endpoint(r[ix.client], r[ix.client_port]); }, cls: 'mono nowrap' },
      { t: 'server', v: function (r) { return endpoint(r[ix.server], r[ix.server_port]); }, cls: 'mono nowrap' },
      { t: 'end reason', v: function (r) { return r[ix.end_reason]; }, tag: 1 },
      { t: 'app', v: function (r) { return r[ix.app]; } },
      { t: 'state history', v: function (r) { return r[ix.conn_state] + ' ' + r[ix.history]; }, cls: 'mono nowrap' },
      { t: 'pkts c/s', num: 1, v: function (r) { return r[ix.client_pkts] + r[ix.server_pkts]; }, s: function (r) { return pair(r[ix.client_pkts], r[ix.server_pkts]); } },
      { t: 'bytes c/s', num: 1, v: function (r) { return r[ix.client_bytes] + r[ix.server_bytes]; }, s: function (r) { return pair(r[ix.client_bytes], r[ix.server_bytes]); } },
      { t: 'rst by', v: function (r) { return r[ix.rst_by]; } },
      { t: 'cause', v: function (r) { return r[ix.rst_cause]; }, cls: 'mono' }
    ];
    var thead = $('#s-table thead'), tbody = $('#s-table tbody');
    var sortCol = 0, sortDir = 1, shown = 300;
    var rows = T.rows.map(function (r, i) {
      var seen = [endpoint(r[ix.client], r[ix.client_port]), endpoint(r[ix.server], r[ix.server_port]), utc(r[ix.ts])];
      return { r: r, i: i, text: (r.join(' ') + ' ' + seen.join(' ')).toLowerCase() };
    });
    function fillSelect(id, key) {
      var seen = {};
      T.rows.forEach(function (r) { if (r[ix[key]]) seen[r[ix[key]]] = (seen[r[ix[key]]] || 0) + 1; });
      var sel = $(id);
      Object.keys(seen).sort().forEach(function (k) { append(sel, el('option', { value: k }, k + ' (' + fmt(seen[k]) + ')')); });
      sel.addEventListener('change', function () { shown = 300; draw(); });
    }
    fillSelect('#f-end', 'end_reason');
    fillSelect('#f-cause', 'rst_cause');
    fillSelect('#f-by', 'rst_by');
    var htr = el('tr');
    cols.forEach(function (c, ci) {
      var th = el('th', { scope: 'col', 'class': c.num ? 'num' : null, tabindex: 0, title: 'sort by ' + c.t }, c.t);
      function sortBy() {
        if (sortCol === ci) sortDir = -sortDir; else { sortCol = ci; sortDir = c.num ? -1 : 1; }
        draw();
      }
      th.addEventListener('click', sortBy);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortBy(); } });
      htr.appendChild(th);
    });
    thead.appendChild(htr);
    var timer = null;
    $('#f-text').addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { shown = 300; draw(); }, 120);
    });
    function detail(r) {
      var extra = [];
      if (r[ix.inflight_client_bytes] || r[ix.inflight_server_bytes])
        extra.push('in flight at the reset: ' + fmt(r[ix.inflight_client_bytes]) + ' bytes from the client, ' +
          fmt(r[ix.inflight_server_bytes]) + ' from the server');
      if (r[ix.rst_confidence]) extra.push('confidence ' + r[ix.rst_confidence]);
      if (r[ix.rst_flags]) extra.push('flags ' + r[ix.rst_flags]);
      if (r[ix.sni]) extra.push('SNI ' + r[ix.sni]);
      if (r[ix.http_host]) extra.push('Host ' + r[ix.http_host]);
      if (r[ix.missed_bytes]) extra.push(fmt(r[ix.missed_bytes]) + ' bytes never seen');
      extra.push(r[ix.proto] + ', uid ' + r[ix.uid]);
      return el('tr', { 'class': 'detail' }, el('td', { colspan: cols.length }, [
        r[ix.explanation] ? el('span', { 'class': 'expl' }, r[ix.explanation]) : null,
        r[ix.hint] ? el('span', { 'class': 'hint' }, 'Hint: ' + r[ix.hint]) : null,
        el('span', { 'class': 'facts' }, extra.join(' \u00b7 '))
      ]));
    }
    function draw() {
      var q = $('#f-text').value.trim().toLowerCase(), fe = $('#f-end').value, fc = $('#f-cause').value, fb = $('#f-by').value;
      var words = q ? q.split(/\s+/) : [];
      var list = rows.filter(function (x) {
        if (fe && x.r[ix.end_reason] !== fe) return false;
        if (fc && x.r[ix.rst_cause] !== fc) return false;
        if (fb && x.r[ix.rst_by] !== fb) return false;
        for (var w = 0; w < words.length; w++) if (x.text.indexOf(words[w]) < 0) return false;
        return true;
      });
      var col = cols[sortCol];
      list.sort(function (a, b) {
        var va = col.v(a.r), vb = col.v(b.r);
        var c = col.num || typeof va === 'number' ? va - vb : String(va).localeCompare(String(vb));
        return c * sortDir || a.i - b.i;
      });
      Array.prototype.forEach.call(htr.children, function (th, i) {
        if (i === sortCol) th.setAttribute('aria-sort', sortDir > 0 ? 'ascending' : 'descending');
        else th.removeAttribute('aria-sort');
      });
      clear(tbody);
      var frag = document.createDocumentFragment();
      list.slice(0, shown).forEach(function (x) {
        var r = x.r;
        var tr = el('tr', { 'class': 'main', 'data-kind': 'session', 'data-key': r[ix.uid] });
        cols.forEach(function (c) {
          var td;
          if (c.tag) {
            td = el('td', { 'class': 'nowrap' }, el('span', { 'class': 'tag ' + (END_CLASS[r[ix.end_reason]] || 'open') }, r[ix.end_reason]));
          } else {
            td = el('td', { 'class': (c.num ? 'num ' : '') + (c.cls || '') || null }, c.s ? c.s(r) : c.v(r));
          }
          td.setAttribute('data-label', c.t);
          tr.appendChild(td);
        });
        frag.appendChild(tr);
        frag.appendChild(detail(r));
      });
      tbody.appendChild(frag);
      $('#f-count').textContent = fmt(list.length) + ' of ' + fmt(rows.length) + ' sessions';
      var more = $('#s-more');
      clear(more);
      if (list.length > shown) {
        var btn = el('button', { type: 'button' }, 'Show ' + fmt(Math.min(1000, list.length - shown)) + ' more');
        btn.addEventListener('click', function () { shown += 1000; draw(); });
        append(more, ['Showing the first ' + fmt(shown) + '. ', btn]);
      }
      if (T.left_out) append(more, ' ' + fmt(T.left_out) + ' more failed or reset sessions are not in this page (see About this capture).');
    }
    if (!rows.length) {
      $('#f-count').textContent = 'No session failed or was reset.';
      return;
    }
    draw();
  }

  function main() {
    var S = json('rs-summary');
    var T = json('rs-sessions');
    T.idx = {};
    T.fields.forEach(function (f, i) { T.idx[f] = i; });
    overview(S, T);
    endReasons(S);
    apps(S);
    timeline(S);
    causes(S, T);
    hosts(S, 'servers');
    hosts(S, 'clients');
    findings(S);
    sessionsTable(T);
    notes(S, T);
  }

  try {
    main();
    if (!errors) root.setAttribute('data-ok', '1');
  } catch (e) {
    fail('exception: ' + (e && e.stack ? e.stack : e));
  }
})();
