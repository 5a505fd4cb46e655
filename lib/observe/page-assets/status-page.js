// The status page's script: reads /status.json every second, keeps the last five minutes of
// samples for the charts (uPlot, served by Tandem itself), and marks in red every part of the
// topology picture whose readiness check fails. Plain browser JavaScript, no build step.
'use strict';
(function () {
  var EVERY_MS = 1000;
  var KEEP = 300;
  // Rows shown of the last conflicts and dead letters (the server keeps more).
  var LIST_ROWS = 15;
  var COLORS = ['#0969da', '#bf3989', '#1a7f37', '#9a6700', '#8250df'];
  var state = { directions: [], times: [], series: { throughput: [], lag: [], conflicts: [] }, prev: null, samples: 0 };
  // For the browser test and a curious operator's console.
  window.tandem = { charts: {}, state: state, last: null };

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  function fmt(n) {
    if (n === null || n === undefined) return '–';
    if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en');
    return (Math.round(n * 10) / 10).toString();
  }

  function ms(n) {
    if (n === null || n === undefined) return '–';
    return n >= 10000 ? fmt(n / 1000) + ' s' : fmt(n) + ' ms';
  }

  function shortName(direction) {
    return direction.split('.')[0];
  }

  function makeChart(key, title, unit) {
    var box = document.getElementById('chart-' + key);
    var opts = {
      title: title,
      width: Math.max(320, box.clientWidth - 8),
      height: 180,
      scales: { x: { time: true } },
      series: [{}].concat(
        state.directions.map(function (d, i) {
          return { label: shortName(d), stroke: COLORS[i % COLORS.length], width: 2, value: function (u, v) { return v === null ? '–' : fmt(v) + ' ' + unit; } };
        }),
      ),
      axes: [{}, { size: 60 }],
      legend: { live: false },
    };
    var data = [state.times].concat(state.series[key]);
    window.tandem.charts[key] = new uPlot(opts, data, box);
  }

  function push(key, values) {
    var rows = state.series[key];
    values.forEach(function (v, i) {
      rows[i].push(v);
      if (rows[i].length > KEEP) rows[i].shift();
    });
  }

  function sample(status) {
    var now = status.at / 1000;
    var byName = {};
    status.directions.forEach(function (d) {
      byName[d.name] = d;
    });
    if (state.directions.length === 0) {
      state.directions = status.directions.map(function (d) {
        return d.name;
      });
      Object.keys(state.series).forEach(function (k) {
        state.series[k] = state.directions.map(function () {
          return [];
        });
      });
    }
    var prev = state.prev;
    var dt = prev ? (status.at - prev.at) / 1000 : 0;
    var rate = function (name, field) {
      var cur = byName[name];
      var was = prev && prev.byName[name];
      if (!cur || !was || dt <= 0) return 0;
      return Math.max(0, (cur[field] - was[field]) / dt);
    };
    state.times.push(now);
    if (state.times.length > KEEP) state.times.shift();
    push('throughput', state.directions.map(function (n) { return rate(n, 'recordsOut'); }));
    push('lag', state.directions.map(function (n) { return byName[n] ? byName[n].behindSourceMs : null; }));
    push('conflicts', state.directions.map(function (n) { return rate(n, 'conflictsResolved'); }));
    state.prev = { at: status.at, byName: byName };
    state.samples++;
    if (!window.tandem.charts.throughput) {
      makeChart('throughput', 'rows applied per second', 'rows/s');
      makeChart('lag', 'ms behind the source', 'ms');
      makeChart('conflicts', 'conflicts resolved per second', '/s');
    } else {
      Object.keys(window.tandem.charts).forEach(function (k) {
        window.tandem.charts[k].setData([state.times].concat(state.series[k]));
      });
    }
  }

  function renderReadiness(status) {
    var r = status.readiness;
    var badge = document.getElementById('readiness');
    badge.textContent = r.ready ? 'ready' : 'not ready: ' + r.notReady.map(function (n) { return n.check; }).join(', ');
    badge.className = r.ready ? 'ok' : 'bad';
    var list = document.getElementById('checks');
    list.replaceChildren.apply(
      list,
      r.checks.map(function (c) {
        return el('li', { class: c.ok ? 'ok' : 'bad', 'data-check': c.part }, [c.name + ': ' + (c.ok ? 'ok' : 'NOT READY') + ' — ' + c.detail]);
      }),
    );
    if (!status.alive.alive) list.appendChild(el('li', { class: 'bad' }, ['process: ' + status.alive.detail]));
    // The picture: every box tied to a failing check turns red.
    var failing = {};
    r.checks.forEach(function (c) {
      if (!c.ok) failing[c.part] = true;
    });
    document.querySelectorAll('.topology [data-part]').forEach(function (g) {
      g.classList.toggle('down', failing[g.getAttribute('data-part')] === true);
    });
  }

  function renderDirections(status) {
    var cards = document.getElementById('directions');
    cards.replaceChildren.apply(
      cards,
      status.directions.map(function (d) {
        var rows = [
          ['records consumed', fmt(d.recordsIn)],
          ['rows applied', fmt(d.recordsOut)],
          ['refused by the sink guard', fmt(d.skipped)],
          ['echoes suppressed', fmt(d.echoesSuppressed)],
          ['conflicts resolved', fmt(d.conflictsResolved)],
          ['dead letters', fmt(d.deadLettered)],
          ['consumer lag (records)', fmt(d.consumerLag)],
          ['behind the source', ms(d.behindSourceMs)],
        ];
        var dl = el('dl', {}, []);
        rows.forEach(function (r) {
          dl.appendChild(el('dt', {}, [r[0]]));
          dl.appendChild(el('dd', {}, [r[1]]));
        });
        return el('div', { class: 'card', 'data-direction': d.name }, [el('h3', {}, [shortName(d.name)]), dl]);
      }),
    );
    var waits = document.getElementById('waits');
    waits.textContent = status.waitingFor.length
      ? 'waiting for ' + status.waitingFor.map(function (w) { return w.what + ' (' + Math.round((status.at - w.sinceMs) / 1000) + ' s, ' + w.attempts + ' attempts)'; }).join(', ')
      : '';
  }

  function table(id, headers, rows, empty) {
    var t = document.getElementById(id);
    if (rows.length === 0) {
      t.replaceChildren(el('tr', {}, [el('td', { class: 'empty', colspan: String(headers.length) }, [empty])]));
      return;
    }
    var head = el('tr', {}, headers.map(function (h) { return el('th', {}, [h]); }));
    t.replaceChildren.apply(
      t,
      [head].concat(
        rows.map(function (r) {
          return el('tr', r.attrs || {}, r.cells.map(function (c, i) { return el('td', i === r.cells.length - 1 && r.wide ? { class: 'reason' } : {}, [String(c)]); }));
        }),
      ),
    );
  }

  function side(s) {
    return s.op + ' @ ' + (s.version === null ? '?' : s.version) + ' (server ' + s.source.server_id + ')';
  }

  function renderLists(status) {
    table(
      'connectors',
      ['database', 'connector', 'state', 'error'],
      (status.connectors || []).map(function (c) {
        return { attrs: { class: c.running ? 'ok' : 'bad' }, cells: [c.database, c.connector || '(none)', c.state, c.error || ''], wide: true };
      }),
      status.connectors === null ? 'not watched (TANDEM_CONNECT_URL is not set)' : 'none yet',
    );
    table(
      'conflicts',
      ['when', 'direction', 'table', 'key', 'winner', 'loser', 'stage'],
      status.conflicts.slice(0, LIST_ROWS).map(function (c) {
        return { cells: [c.at.slice(11, 23), shortName(c.direction), c.table, JSON.stringify(c.key), side(c.winner), side(c.loser), c.stage] };
      }),
      'no conflict yet',
    );
    table(
      'dead-letters',
      ['when', 'direction', 'stage', 'kind', 'where', 'reason'],
      status.deadLetters.slice(0, LIST_ROWS).map(function (d) {
        return { cells: [d.at.slice(11, 23), d.direction ? shortName(d.direction) : '(unrouted)', d.stage, d.reasonKind, d.topic ? d.topic + '[' + d.partition + ']@' + d.offset : '', d.reason], wide: true };
      }),
      'no dead letter yet',
    );
  }

  function refresh() {
    fetch('status.json', { cache: 'no-store' })
      .then(function (res) {
        if (!res.ok) throw new Error('status.json: HTTP ' + res.status);
        return res.json();
      })
      .then(function (status) {
        window.tandem.last = status;
        sample(status);
        renderReadiness(status);
        renderDirections(status);
        renderLists(status);
        document.getElementById('updated').textContent = 'updated ' + new Date(status.at).toLocaleTimeString('en-GB');
      })
      .catch(function (err) {
        // Tandem stopped or restarting: say so on the page, keep polling.
        var badge = document.getElementById('readiness');
        badge.textContent = 'no answer from Tandem (' + err.message + ')';
        badge.className = 'bad';
      })
      .finally(function () {
        setTimeout(refresh, EVERY_MS);
      });
  }

  refresh();
})();
