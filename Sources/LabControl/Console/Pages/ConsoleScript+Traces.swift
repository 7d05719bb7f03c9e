extension ConsoleScript {
    /// Trace search: service, operation, minimum duration, errors only, time range; a duration
    /// scatter and a table of the matches.
    static let traces = #"""
        async function tracesPage() {
          const params = new URLSearchParams(location.search);
          const services = (await getJSON('/api/services')).data || [];
          main().innerHTML = '<h1>Traces</h1>' +
            '<form id="search" class="search card">' +
            '<div><label for="q-service">Service</label><select id="q-service" name="service"><option value="">any</option>' + services.map(s => '<option>' + esc(s) + '</option>').join('') + '</select></div>' +
            '<div><label for="q-operation">Operation</label><select id="q-operation" name="operation"><option value="">any</option></select></div>' +
            '<div><label for="q-min">Min duration</label><input id="q-min" name="minDuration" placeholder="e.g. 250ms" size="9"></div>' +
            '<div><label for="q-range">Started in the last</label><select id="q-range" name="range"><option value="300">5 minutes</option><option value="900">15 minutes</option>' +
            '<option value="3600" selected>hour</option><option value="86400">day</option><option value="">any time</option></select></div>' +
            '<div><label for="q-order">Order</label><select id="q-order" name="order"><option value="newest">newest first</option><option value="longest">longest first</option></select></div>' +
            '<div><label for="q-limit">Limit</label><input id="q-limit" name="limit" type="number" value="50" min="1" max="1500"></div>' +
            '<div><label><input id="q-errors" type="checkbox" name="errors"> errors only</label></div>' +
            '<div><button class="primary" type="submit">Search</button></div></form>' +
            '<div id="search-error"></div><div class="chart-card"><h3>Duration of the matching traces <span class="legend-note">(click a point to open its trace)</span></h3><div class="canvas-box"><canvas id="scatter"></canvas></div></div>' +
            '<p id="search-summary" class="muted"></p><table id="results"><thead><tr><th>Started</th><th>Root</th><th class="num">Duration</th><th class="num">Spans</th><th class="num">Errors</th><th>Services</th></tr></thead><tbody></tbody></table>';
          for (const [k, v] of params) { const el = document.querySelector('[name="' + k + '"]'); if (el) { if (el.type === 'checkbox') el.checked = v === 'true'; else el.value = v; } }
          async function loadOperations() {
            const s = $('#q-service').value, sel = $('#q-operation'), keep = params.get('operation') || sel.value;
            sel.innerHTML = '<option value="">any</option>';
            if (!s) return;
            const ops = (await getJSON('/api/services/' + encodeURIComponent(s) + '/operations')).data || [];
            sel.innerHTML += ops.map(o => '<option>' + esc(o) + '</option>').join('');
            if (ops.includes(keep)) sel.value = keep;
          }
          $('#q-service').addEventListener('change', loadOperations);
          await loadOperations();
          const chart = new Chart($('#scatter'), {
            type: 'scatter', data: {datasets: []},
            options: {animation: false, maintainAspectRatio: false,
              scales: {x: {type: 'linear', ticks: {callback: v => clock(v), maxTicksLimit: 7}}, y: {beginAtZero: true, ticks: {callback: v => ms(v)}, title: {display: true, text: 'duration'}}},
              plugins: {legend: {position: 'bottom'}, tooltip: {callbacks: {label: i => i.raw.root + ' · ' + ms(i.raw.y) + (i.raw.errors ? ' · ' + i.raw.errors + ' errors' : '')}}},
              onClick(e, els, c) { const h = c.getElementsAtEventForMode(e, 'nearest', {intersect: true}, true)[0]; if (h) location.href = '/traces/' + c.data.datasets[h.datasetIndex].data[h.index].traceID; }}
          });
          window.labCharts.scatter = chart;
          async function search(event) {
            if (event) event.preventDefault();
            const q = new URLSearchParams();
            const f = id => $(id).value.trim();
            if (f('#q-service')) q.set('service', f('#q-service'));
            if (f('#q-operation')) q.set('operation', f('#q-operation'));
            if (f('#q-min')) q.set('minDuration', f('#q-min'));
            if (f('#q-range')) q.set('start', String(Math.floor((Date.now() / 1000 - Number(f('#q-range'))) * 1e6)));
            q.set('order', f('#q-order')); q.set('limit', f('#q-limit') || '50');
            if ($('#q-errors').checked) q.set('errors', 'true');
            history.replaceState(null, '', '/traces?' + new URLSearchParams([...q].filter(([k]) => k !== 'start').concat([['range', f('#q-range')]])).toString());
            let r;
            try { r = await getJSON('/console/api/traces?' + q.toString()); $('#search-error').innerHTML = ''; }
            catch (e) { $('#search-error').innerHTML = '<div class="error-box">' + esc(e.message) + '</div>'; return; }
            $('#search-summary').textContent = r.traces.length + ' traces (searched ' + r.storedTraces + ' traces, ' + r.storedSpans + ' spans in ' + r.searchMs.toFixed(1) + ' ms)';
            $('#results tbody').innerHTML = r.traces.map(t => '<tr class="clickable" data-trace="' + t.traceID + '"><td>' + clock(t.start) + '</td><td><a href="/traces/' + t.traceID + '">' + esc(t.root) +
              '</a> <span class="muted mono">' + t.traceID.slice(0, 8) + '</span></td><td class="num">' + ms(t.durationMs) + '</td><td class="num">' + t.spans + '</td><td class="num">' +
              (t.errors ? '<b>' + t.errors + '</b>' : '0') + '</td><td>' + t.services.map(s => '<span class="pill">' + esc(s) + '</span>').join('') + '</td></tr>').join('');
            document.querySelectorAll('#results tr[data-trace]').forEach(tr => tr.addEventListener('click', e => { if (e.target.tagName !== 'A') location.href = '/traces/' + tr.dataset.trace; }));
            const ok = r.traces.filter(t => !t.errors), bad = r.traces.filter(t => t.errors);
            const pt = t => ({x: t.start, y: t.durationMs, traceID: t.traceID, root: t.root, errors: t.errors});
            chart.data.datasets = [
              {label: 'traces', data: ok.map(pt), backgroundColor: PALETTE[0], pointRadius: 4, pointStyle: 'circle'},
              {label: 'with errors', data: bad.map(pt), backgroundColor: PALETTE[3], pointRadius: 5, pointStyle: 'triangle'}];
            chart.update('none');
            document.body.setAttribute('data-results', String(r.traces.length));
          }
          $('#search').addEventListener('submit', search);
          await search();
        }
        """#

    /// One trace: the waterfall with self-time, the culprit as `labctl traces` names it, and a span's
    /// attributes, events, links and status.
    static let trace = #"""
        async function tracePage() {
          const id = document.body.dataset.trace;
          let t;
          try { t = await getJSON('/console/api/traces/' + encodeURIComponent(id)); }
          catch (e) { main().innerHTML = '<h1>Trace ' + esc(id) + '</h1><div class="error-box" id="trace-error">' + esc(e.message) + '</div><p><a href="/traces">Search traces</a></p>'; return; }
          document.title = t.root + ' · trace';
          const errors = t.errorCount === 1 ? '1 error' : t.errorCount + ' errors';
          const culprit = t.culprit ? '<div class="culprit-note" id="culprit">The time went to <b>' + esc(t.culprit.service) + '</b>: ' + (100 * t.culprit.share).toFixed(1) +
            '% of the self-time (' + ms(t.culprit.selfMs) + '). Self-time is a span\'s duration minus the time its children ran — the service that was busy, not the one that waited. ' +
            'Its spans are in bold with an orange outline.</div>' : '';
          const head = '<div class="row head"><span>Span</span><span>Timeline (0 – ' + ms(t.durationMs) + ')</span><span class="num">Duration</span><span class="num">Self</span></div>';
          const rows = t.spans.map((s, i) => {
            const left = t.durationMs > 0 ? 100 * s.offsetMs / t.durationMs : 0, width = t.durationMs > 0 ? Math.max(0.3, 100 * s.durationMs / t.durationMs) : 100;
            return '<div class="row' + (s.status === 'ERROR' ? ' error' : '') + (s.culprit ? ' culprit' : '') + '" data-index="' + i + '" tabindex="0">' +
              '<span class="name" style="padding-left:' + (s.depth * 16) + 'px">' + (s.orphan ? '⚠ ' : '') + (s.status === 'ERROR' ? '✖ ' : '') + esc(s.name) + '<span class="svc">' + esc(s.service) + '</span></span>' +
              '<span class="track"><span class="bar" style="left:' + left.toFixed(2) + '%;width:' + Math.min(width, 100 - left).toFixed(2) + '%"></span></span>' +
              '<span class="num">' + ms(s.durationMs) + '</span><span class="num">' + ms(s.selfMs) + '</span></div>';
          }).join('');
          const selfRows = t.selfTime.map(r => '<tr><td>' + esc(r.service) + (t.culprit && r.service === t.culprit.service ? ' <span class="badge fail">culprit</span>' : '') + '</td><td class="num">' +
            ms(r.selfMs) + '</td><td class="num">' + (100 * r.share).toFixed(1) + '%</td><td class="num">' + r.spans + '</td></tr>').join('');
          main().innerHTML = '<h1 id="trace-title">' + esc(t.root) + '</h1>' +
            '<p class="mono">trace ' + t.traceID + '</p>' +
            '<p><b id="trace-duration">' + ms(t.durationMs) + '</b> · <b id="span-count">' + t.spanCount + ' spans</b> · ' + t.services.length + ' services · ' + errors +
            ' · started ' + clock(t.start) + ' · <a href="/api/traces/' + t.traceID + '">Jaeger JSON</a></p>' + culprit +
            '<div class="split"><div class="waterfall" id="waterfall">' + head + rows + '</div><div class="details card" id="details"><p class="muted">Click a span for its attributes, events, links and status.</p></div></div>' +
            '<h2>Self-time by service</h2><table id="self-time"><thead><tr><th>Service</th><th class="num">Self-time</th><th class="num">Share</th><th class="num">Spans</th></tr></thead><tbody>' + selfRows + '</tbody></table>';
          function show(i) {
            const s = t.spans[i];
            document.querySelectorAll('.waterfall .row.selected').forEach(r => r.classList.remove('selected'));
            document.querySelector('.waterfall .row[data-index="' + i + '"]').classList.add('selected');
            const kv = list => list.map(([k, v]) => '<tr><td>' + esc(k) + '</td><td>' + esc(v) + '</td></tr>').join('');
            const lab = s.lab || (t.labs[0] || '');
            $('#details').innerHTML = '<h3>' + esc(s.name) + '</h3>' +
              '<p><span class="pill">' + esc(s.service) + '</span><span class="pill">' + esc(s.kind) + '</span> status <b>' + esc(s.status) + '</b>' + (s.statusMessage ? ': ' + esc(s.statusMessage) : '') + '</p>' +
              '<p>starts at +' + ms(s.offsetMs) + ', lasts ' + ms(s.durationMs) + ', self-time ' + ms(s.selfMs) + (s.orphan ? '<br>⚠ its parent span ' + esc(s.parentSpanID) + ' was not received' : '') + '</p>' +
              (lab ? '<p><a id="span-panels" href="/labs/' + encodeURIComponent(lab) + '?at=' + s.start.toFixed(3) + '&service=' + encodeURIComponent(s.service) + '">' + esc(s.service) + '\'s panels at that moment →</a></p>' : '') +
              '<h3>Attributes</h3><table><tbody>' + (kv(s.attributes) || '<tr><td class="muted">none</td></tr>') + '</tbody></table>' +
              '<h3>Events</h3>' + (s.events.length ? '<ul>' + s.events.map(e => '<li>+' + ms(e.offsetMs) + ' <b>' + esc(e.name) + '</b> ' + e.attributes.map(([k, v]) => esc(k) + '=' + esc(v)).join(' ') + '</li>').join('') + '</ul>' : '<p class="muted">none</p>') +
              '<h3>Links</h3>' + (s.links.length ? '<ul>' + s.links.map(l => '<li><a href="/traces/' + l.traceID + '">' + l.traceID.slice(0, 16) + '…</a> span ' + l.spanID + '</li>').join('') + '</ul>' : '<p class="muted">none</p>') +
              '<h3>Resource</h3><table><tbody>' + kv(s.resource) + '</tbody></table>' +
              '<p class="mono muted">span ' + s.spanID + (s.parentSpanID ? ' · parent ' + s.parentSpanID : ' · root') + '</p>';
          }
          document.querySelectorAll('.waterfall .row[data-index]').forEach(r => {
            r.addEventListener('click', () => show(Number(r.dataset.index)));
            r.addEventListener('keydown', e => { if (e.key === 'Enter') show(Number(r.dataset.index)); });
          });
          const first = t.spans.findIndex(s => s.culprit);
          show(first >= 0 ? first : 0);
          document.body.setAttribute('data-span-count', String(t.spanCount));
        }
        """#
}
