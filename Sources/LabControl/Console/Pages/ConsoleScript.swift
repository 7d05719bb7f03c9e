/// The console's script: one file, no framework. `common` holds the helpers every page uses
/// (the API, unit formatting, charts with phase bands, action markers and exemplars); each page's
/// code lives in its own file (`ConsoleScript+Lab.swift`, …) and runs when `<body data-page>` names it.
enum ConsoleScript {
    static var source: String { [common, home, lab, traces, trace, compare, boot].joined(separator: "\n") }

    static let common = #"""
        'use strict';
        const TOKEN = document.querySelector('meta[name="console-token"]').content;
        // Okabe–Ito: safe for every common colour-vision deficiency.
        const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#F0E442'];
        const $ = (sel, root) => (root || document).querySelector(sel);
        const main = () => document.getElementById('main');
        window.labCharts = {};

        function esc(s) {
          return String(s == null ? '' : s).replace(/[&<>"']/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
        }
        async function getJSON(url) {
          const r = await fetch(url, {headers: {'Accept': 'application/json'}});
          const body = await r.json().catch(() => ({}));
          if (!r.ok) throw new Error(body.error || (body.errors && body.errors[0] && body.errors[0].msg) || ('HTTP ' + r.status));
          return body;
        }
        async function control(verb, body) {
          const r = await fetch('/console/api/control/' + verb, {
            method: 'POST', headers: {'Content-Type': 'application/json', 'X-Console-Token': TOKEN}, body: JSON.stringify(body || {})});
          const answer = await r.json().catch(() => ({}));
          if (!r.ok) throw new Error(answer.error || ('HTTP ' + r.status));
          return answer;
        }
        function toast(message, ok) {
          const t = document.getElementById('toast');
          t.textContent = message; t.className = 'toast' + (ok ? ' ok' : ''); t.hidden = false;
          clearTimeout(toast.timer); toast.timer = setTimeout(() => { t.hidden = true; }, ok ? 3000 : 9000);
        }
        function setStatus(text) { document.getElementById('status').textContent = text || ''; }

        // Units as the lab.yaml panels name them (Grafana's unit ids).
        function fmt(v, unit) {
          if (v == null || !isFinite(v)) return '–';
          const a = Math.abs(v);
          const n = (x, d) => x.toFixed(d == null ? (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2) : d).replace(/\.0+$/, '');
          switch (unit) {
            case 's': return a === 0 ? '0' : a < 0.001 ? n(v * 1e6) + ' µs' : a < 1 ? n(v * 1000) + ' ms' : n(v) + ' s';
            case 'ms': return a < 1000 ? n(v) + ' ms' : n(v / 1000) + ' s';
            case 'percentunit': return n(v * 100) + '%';
            case 'percent': return n(v) + '%';
            case 'reqps': return n(v) + ' req/s';
            case 'ops': return n(v) + ' op/s';
            case 'bytes': return a >= 1048576 ? n(v / 1048576) + ' MiB' : a >= 1024 ? n(v / 1024) + ' KiB' : n(v, 0) + ' B';
            default: return a >= 1e6 ? n(v / 1e6) + 'M' : a >= 1e4 ? n(v / 1e3) + 'k' : n(v);
          }
        }
        function ms(v) { return fmt(v / 1000, 's'); }
        function clock(t) { const d = new Date(t * 1000); return d.toLocaleTimeString([], {hour12: false}); }
        function ago(t) {
          const s = Date.now() / 1000 - t;
          return s < 90 ? Math.round(s) + ' s ago' : s < 5400 ? Math.round(s / 60) + ' min ago' : s < 129600 ? Math.round(s / 3600) + ' h ago' : Math.round(s / 86400) + ' d ago';
        }

        // Phase bands behind the lines, action markers over them: every chart of the page draws both.
        const bandsPlugin = {
          id: 'labBands',
          beforeDatasetsDraw(chart, args, opts) {
            const {ctx, chartArea: a, scales: {x}} = chart;
            ctx.save();
            (opts.phases || []).forEach((p, i) => {
              const x0 = Math.max(a.left, x.getPixelForValue(p.start)), x1 = Math.min(a.right, x.getPixelForValue(p.end));
              if (x1 <= x0) return;
              ctx.fillStyle = i % 2 ? 'rgba(230,159,0,0.10)' : 'rgba(0,114,178,0.08)';
              ctx.fillRect(x0, a.top, x1 - x0, a.bottom - a.top);
              ctx.fillStyle = '#57606a'; ctx.font = '10px sans-serif';
              if (x1 - x0 > 30) ctx.fillText(p.name, x0 + 3, a.top + 10, x1 - x0 - 6);
            });
            ctx.restore();
          },
          afterDatasetsDraw(chart, args, opts) {
            const {ctx, chartArea: a, scales: {x}} = chart;
            ctx.save();
            (opts.actions || []).forEach((m, i) => {
              const px = x.getPixelForValue(m.time);
              if (px < a.left || px > a.right) return;
              ctx.strokeStyle = m.error ? '#b63d00' : '#D55E00'; ctx.setLineDash([5, 3]); ctx.lineWidth = 1.5;
              ctx.beginPath(); ctx.moveTo(px, a.top); ctx.lineTo(px, a.bottom); ctx.stroke();
              ctx.setLineDash([]); ctx.fillStyle = '#D55E00'; ctx.font = '10px sans-serif';
              ctx.fillText('▼ ' + (i + 1), px + 2, a.bottom - 4);
            });
            ctx.restore();
          }
        };

        // A time-series chart: lines for the series, optional exemplar points that open their traces.
        function makeChart(canvas, unit, onExemplar) {
          const chart = new Chart(canvas, {
            type: 'line',
            data: {datasets: []},
            options: {
              animation: false, parsing: false, normalized: true, maintainAspectRatio: false, spanGaps: false,
              interaction: {mode: 'nearest', intersect: false},
              scales: {
                x: {type: 'linear', ticks: {callback: v => clock(v), maxTicksLimit: 7, font: {size: 11}}, grid: {color: '#eef1f4'}},
                y: {beginAtZero: true, ticks: {callback: v => fmt(v, unit), font: {size: 11}}, grid: {color: '#eef1f4'}}
              },
              plugins: {
                legend: {display: true, position: 'bottom', labels: {boxWidth: 12, font: {size: 11}}},
                tooltip: {callbacks: {
                  title: items => items.length ? clock(items[0].parsed.x) : '',
                  label: item => item.raw && item.raw.traceID ? 'exemplar ' + fmt(item.parsed.y, unit) + ' · trace ' + item.raw.traceID.slice(0, 12) + '… (click)'
                                                               : item.dataset.label + ': ' + fmt(item.parsed.y, unit)
                }},
                labBands: {phases: [], actions: []}
              },
              onClick(event, elements, c) {
                const hits = c.getElementsAtEventForMode(event, 'nearest', {intersect: true}, true)
                  .filter(h => c.data.datasets[h.datasetIndex].isExemplars);
                if (hits.length && onExemplar) onExemplar(c.data.datasets[hits[0].datasetIndex].data[hits[0].index]);
              }
            },
            plugins: [bandsPlugin]
          });
          return chart;
        }
        function setChartData(chart, lines, exemplars, range, timeline) {
          const datasets = lines.map((l, i) => ({
            label: l.name, data: l.points, borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length],
            borderWidth: 2, pointRadius: 0, tension: 0, borderDash: i >= PALETTE.length ? [6, 3] : undefined
          }));
          if (exemplars && exemplars.length) {
            datasets.push({type: 'scatter', label: 'exemplars (click: trace)', isExemplars: true, data: exemplars,
              borderColor: '#000', backgroundColor: 'rgba(255,255,255,0.9)', pointStyle: 'rectRot', pointRadius: 5, pointHoverRadius: 8, borderWidth: 1.5});
          }
          chart.data.datasets = datasets;
          chart.options.scales.x.min = range[0]; chart.options.scales.x.max = range[1];
          chart.options.plugins.labBands = {phases: (timeline && timeline.phases) || [], actions: (timeline && timeline.actions) || []};
          chart.update('none');
        }
        function panelLines(panel) {
          return (panel.series || []).map(s => ({name: s.name || panel.title, points: s.points.filter(p => p[1] != null).map(p => ({x: p[0], y: p[1]}))}));
        }
        """#

    static let boot = #"""
        document.querySelectorAll('header nav a').forEach(a => { if (a.dataset.nav === document.body.dataset.page) a.classList.add('active'); });
        getJSON('/console/api/state').then(s => {
          if (s.lab) { const a = document.getElementById('nav-lab'); a.href = '/labs/' + s.lab.id; a.textContent = 'Week ' + s.lab.week + ' (' + s.lab.variant + ')'; a.hidden = false; }
        }).catch(() => {});
        const PAGES = {home: homePage, lab: labPage, traces: tracesPage, trace: tracePage, compare: comparePage};
        (PAGES[document.body.dataset.page] || (() => {}))().catch(e => { main().innerHTML = '<div class="error-box">' + esc(e.message) + '</div>'; });
        """#
}
