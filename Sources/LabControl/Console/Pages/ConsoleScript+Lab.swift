extension ConsoleScript {
    /// The lab page: summary and architecture, the running variant, controls, the scenario's
    /// timeline with its actions, and the dashboard panels as live charts with exemplars.
    static let lab = #"""
        async function labPage() {
          const name = document.body.dataset.lab;
          const info = await getJSON('/console/api/labs/' + encodeURIComponent(name));
          const params = new URLSearchParams(location.search);
          const focusTime = params.get('at') ? Number(params.get('at')) : null;
          const focusService = params.get('service');
          let state = await getJSON('/console/api/state');
          let windowChoice = focusTime ? String([120, 300, 900, 3600].find(s => s >= Date.now() / 1000 - focusTime + 60) || 3600) : 'scenario';
          document.title = 'Week ' + info.week + ' · ' + info.title;
          const running = () => state.lab && state.lab.id === info.id;

          const variantOptions = info.variants.map(v => '<option value="' + esc(v.name) + '">' + esc(v.name) + '</option>').join('');
          main().innerHTML =
            '<h1>Week ' + info.week + ': ' + esc(info.title) + '</h1>' +
            '<p>' + esc(info.summary) + '</p>' +
            '<div id="run-state"></div>' +
            '<div class="split"><div>' +
            '  <div id="controls" class="controls"></div>' +
            '  <h2>Scenario</h2><div id="timeline" class="timeline" aria-label="scenario phases"></div>' +
            '  <ol id="scenario-actions" class="actions muted"></ol>' +
            '</div><div>' +
            '  <h2 style="margin-top:0">Architecture</h2><div id="arch"></div>' +
            '  <p class="muted" style="font-size:13px">' + esc(info.intro) + '</p>' +
            '</div></div>' +
            '<h2>Dashboard <span class="legend-note">— shaded bands: scenario phases · dashed lines ▼n: actions (listed below) · ◆ exemplars: click to open that request\'s trace</span></h2>' +
            '<div class="controls" style="margin-bottom:10px"><label for="window">Show the last</label><select id="window">' +
            [['scenario', 'scenario run (else 2 minutes)'], [120, '2 minutes'], [300, '5 minutes'], [900, '15 minutes'], [3600, '1 hour']].map(([s, l]) => '<option value="' + s + '">' + l + '</option>').join('') +
            '</select><span id="panel-cost" class="muted" style="font-size:12px"></span></div>' +
            '<div id="charts" class="grid"></div>' +
            '<div class="split"><div><h2>Actions</h2><ol id="actions" class="actions"></ol></div>' +
            '<div><h2>Services</h2><table id="services"><thead><tr><th>Service</th><th>State</th><th>URL</th></tr></thead><tbody></tbody></table>' +
            '<h2>Last scenario run</h2><div id="last-run" class="muted">No run yet in this console.</div></div></div>';
          $('#window').value = windowChoice;
          $('#window').addEventListener('change', e => { windowChoice = e.target.value; refresh(); });
          // "scenario": from just before the last run's first phase to now (2 minutes when there is none).
          const windowSeconds = () => {
            if (windowChoice !== 'scenario') return Number(windowChoice);
            const phases = state.timeline.phases, now = Date.now() / 1000;
            return phases.length && now - phases[0].start < 3600 ? Math.max(60, Math.ceil(now - phases[0].start + 15)) : 120;
          };
          renderArchitecture($('#arch'), info.mermaid);
          renderScenarioPlan(info);

          // One chart per panel.
          const charts = info.panels.map((p, i) => {
            const card = document.createElement('div');
            card.className = 'chart-card'; card.id = 'panel-' + i;
            card.innerHTML = '<h3>' + esc(p.title) + '</h3><div class="desc">' + esc(p.description || '') + '</div><div class="canvas-box"><canvas></canvas></div><div class="muted panel-note" style="font-size:12px"></div>';
            $('#charts').appendChild(card);
            const chart = makeChart(card.querySelector('canvas'), p.unit, ex => { location.href = '/traces/' + ex.traceID; });
            window.labCharts[i] = chart;
            return {card, chart, panel: p};
          });

          function renderControls() {
            const box = $('#controls');
            if (!running()) {
              const other = state.lab ? ' (the console is running week ' + state.lab.week + ', ' + esc(state.lab.variant) + ')' : '';
              box.innerHTML = '<fieldset><legend>Start</legend><label for="start-variant">variant</label><select id="start-variant">' + variantOptions + '</select> ' +
                '<button class="primary" id="start" ' + (info.runsHere ? '' : 'disabled') + '>Start this lab</button></fieldset>' +
                '<p class="muted">' + (info.runsHere ? 'This lab is not running' + other + '.' : 'It cannot run here: ' + esc(info.support)) + '</p>';
              $('#start').onclick = () => act('start', {lab: info.id, variant: $('#start-variant').value}, 'starting…');
              return;
            }
            if (box.dataset.built === state.lab.variant) return;
            box.dataset.built = state.lab.variant;
            const services = state.lab.services.map(s => '<option>' + esc(s.name) + '</option>').join('');
            const roles = [...new Set(state.lab.services.map(s => s.role))].map(r => '<option>' + esc(r) + '</option>').join('');
            box.innerHTML =
              '<fieldset><legend>Scenario</legend><label for="run-variant">variant</label><select id="run-variant">' + variantOptions + '</select> ' +
              '<label for="run-scale">duration ×</label><input id="run-scale" type="number" min="0.1" max="10" step="0.1" value="1"> ' +
              '<button class="primary" id="run">Run scenario</button></fieldset>' +
              '<fieldset><legend>Variant (a fresh start)</legend><select id="switch-variant">' + variantOptions + '</select> <button id="switch">Switch</button></fieldset>' +
              '<fieldset><legend>Fault (admin API)</legend><select id="fault-service" aria-label="service">' + roles + '</select> ' +
              '<select id="fault-kind" aria-label="fault"><option value="latency">latency (ms)</option><option value="error">errors (share 0–1)</option><option value="hang">hang</option></select> ' +
              '<input id="fault-value" type="number" value="500" aria-label="amount"> <button id="fault-set">Set</button> <button id="fault-clear">Clear</button></fieldset>' +
              '<fieldset><legend>Process</legend><select id="proc-service" aria-label="service">' + roles + services + '</select> ' +
              ['kill', 'stop', 'cont', 'restart'].map(v => '<button data-proc="' + v + '">' + v + '</button>').join(' ') + '</fieldset>' +
              '<fieldset><legend>Compare</legend><label for="cmp-scale">duration ×</label><input id="cmp-scale" type="number" min="' + info.minScale + '" max="10" step="0.1" value="' + info.testScale + '" title="' +
              'the lab\'s test scale; at least ' + info.minScale + '"> <button id="compare">Run comparison</button></fieldset>';
            $('#run-variant').value = state.lab.variant; $('#switch-variant').value = state.lab.variant;
            $('#run').onclick = () => act('run', {variant: $('#run-variant').value, scale: Number($('#run-scale').value)}, 'scenario started');
            $('#switch').onclick = () => act('variant', {variant: $('#switch-variant').value}, 'switching variant…');
            $('#compare').onclick = () => act('compare', {scale: Number($('#cmp-scale').value)}, 'comparison started: every variant on a fresh start');
            $('#fault-kind').onchange = e => { $('#fault-value').value = {latency: 500, error: 1, hang: ''}[e.target.value]; $('#fault-value').disabled = e.target.value === 'hang'; };
            $('#fault-set').onclick = () => {
              const kind = $('#fault-kind').value, v = Number($('#fault-value').value);
              const fault = kind === 'latency' ? {latency: {fixed_ms: v}} : kind === 'error' ? {error: {rate: v, status: 503}} : {hang: {}};
              act('fault', {service: $('#fault-service').value, fault}, 'fault set on ' + $('#fault-service').value);
            };
            $('#fault-clear').onclick = () => act('clear-fault', {service: $('#fault-service').value}, 'faults cleared on ' + $('#fault-service').value);
            box.querySelectorAll('[data-proc]').forEach(b => b.onclick = () => act(b.dataset.proc, {service: $('#proc-service').value}, b.dataset.proc + ' ' + $('#proc-service').value));
          }

          async function act(verb, body, okMessage) {
            try { await control(verb, body); toast(okMessage, true); } catch (e) { toast(verb + ' failed: ' + e.message); showError(verb + ' failed: ' + e.message); }
            refresh();
          }
          function showError(message) { $('#run-state').innerHTML = '<div class="error-box" id="control-error">' + esc(message) + '</div>'; }

          function renderState() {
            const parts = [];
            if (running()) parts.push('<p>Running <span class="badge run" id="running-variant">' + esc(state.lab.variant) + '</span> ' +
              esc((info.variants.find(v => v.name === state.lab.variant) || {}).description || '') + '</p>');
            if (state.busy) parts.push('<div class="busy-box" id="busy">Busy: ' + esc(state.busy) + (state.progress ? '<div class="mono" style="font-size:12px">' + esc(state.progress) + '</div>' : '') + '</div>');
            if (state.error) parts.push('<div class="error-box" id="control-error">' + esc(state.error) + '</div>');
            if (!$('#control-error') || state.error || state.busy) $('#run-state').innerHTML = parts.join('');
            setStatus(running() ? 'week ' + state.lab.week + ' · ' + state.lab.variant + (state.busy ? ' · busy' : '') : (state.lab ? 'another lab runs' : 'no lab running'));
            const tbody = $('#services tbody');
            tbody.innerHTML = running() ? state.lab.services.map(s => '<tr><td>' + esc(s.name) + '</td><td>' +
              (s.state === 'running' ? 'running' : '<b>' + esc(s.state) + '</b>') + '</td><td class="mono">' + esc(s.url) + '</td></tr>').join('') : '';
            const acts = state.timeline.actions;
            $('#actions').innerHTML = acts.slice(-40).map(a => '<li value="' + (acts.indexOf(a) + 1) + '"' + (a.error ? ' class="error"' : '') + '>' + clock(a.time) + ' — ' + esc(a.description) +
              ' <span class="muted">(' + esc(a.source) + ')</span>' + (a.error ? ' — ' + esc(a.error) : '') + '</li>').join('') || '<li class="muted">Nothing done to the lab yet.</li>';
            if (state.lastRun) {
              $('#last-run').classList.remove('muted');
              $('#last-run').innerHTML = '<p>Variant <b>' + esc(state.lastRun.variant) + '</b></p><table><tbody>' + state.lastRun.measurements.map(m =>
                '<tr><td>' + esc(m.name) + '</td><td class="num"' + (m.missing ? ' title="' + esc(m.missing) + '"' : '') + '>' + esc(m.text) + '</td></tr>').join('') + '</tbody></table>';
            }
            renderLiveTimeline();
          }

          // The scenario bar: the plan from lab.yaml, or the phases of the run under way with "now".
          function renderScenarioPlan(i) {
            const total = i.phases.reduce((a, p) => a + p.seconds, 0) || 1;
            $('#timeline').innerHTML = i.phases.map(p => '<div class="phase" style="left:' + (100 * p.start / total) + '%;width:' + (100 * p.seconds / total) + '%" title="' +
              esc(p.name + ': ' + p.seconds + ' s, ' + p.load) + '">' + esc(p.name) + '<br><span class="muted">' + p.seconds + ' s</span></div>').join('') +
              i.actions.map(a => '<div class="action" style="left:' + (100 * a.at / total) + '%" title="' + esc(a.at + ' s: ' + a.description) + '"></div>').join('');
            $('#scenario-actions').innerHTML = i.actions.map(a => '<li>' + a.at + ' s — ' + esc(a.description) + '</li>').join('');
          }
          function renderLiveTimeline() {
            const phases = state.timeline.phases;
            if (!phases.length) return;
            const t0 = phases[0].start, t1 = phases[phases.length - 1].end, total = t1 - t0;
            const now = Date.now() / 1000;
            $('#timeline').innerHTML = phases.map(p => '<div class="phase" style="left:' + (100 * (p.start - t0) / total) + '%;width:' + (100 * (p.end - p.start) / total) + '%">' +
              esc(p.name) + '<br><span class="muted">' + clock(p.start) + '</span></div>').join('') +
              state.timeline.actions.filter(a => a.time >= t0 && a.time <= t1).map(a => '<div class="action" style="left:' + (100 * (a.time - t0) / total) + '%" title="' + esc(a.description) + '"></div>').join('') +
              (now < t1 ? '<div class="now" style="left:' + (100 * Math.max(0, now - t0) / total) + '%"></div>' : '');
          }

          async function refresh() {
            try { state = await getJSON('/console/api/state'); } catch (e) { setStatus('console unreachable: ' + e.message); return; }
            renderControls(); renderState();
            if (!running()) { charts.forEach(c => c.card.querySelector('.panel-note').textContent = 'The lab is not running: no live data.'); return; }
            let data;
            try { data = await getJSON('/console/api/panels?seconds=' + windowSeconds()); } catch (e) { setStatus('panels: ' + e.message); return; }
            $('#panel-cost').textContent = 'this refresh: ' + data.queries + ' Prometheus queries for ' + data.panels.length + ' panels';
            const timeline = {phases: data.timeline.phases, actions: state.timeline.actions.filter(a => a.time >= data.start)};
            if (focusTime) timeline.actions = timeline.actions.concat([{time: focusTime, description: 'the trace you came from'}]);
            let withData = 0;
            data.panels.forEach((p, i) => {
              const c = charts[i]; if (!c) return;
              const lines = panelLines(p);
              const points = lines.reduce((a, l) => a + l.points.length, 0);
              if (points > 0) withData++;
              c.card.dataset.points = String(points);
              c.card.dataset.exemplars = String((p.exemplars || []).length);
              const exemplars = (p.exemplars || []).map(e => ({x: e.t, y: e.v, traceID: e.traceID}));
              setChartData(c.chart, lines, exemplars, [data.start, data.end], timeline);
              c.card.querySelector('.panel-note').textContent = p.error ? 'query failed: ' + p.error : points === 0 ? 'no data in this window' :
                (p.latency ? (exemplars.length + ' exemplars') : '');
              if (focusService && p.promql.includes('job="' + focusService + '"')) c.card.classList.add('flash');
            });
            document.body.setAttribute('data-panels-with-data', String(withData));
            document.body.setAttribute('data-refreshes', String(Number(document.body.getAttribute('data-refreshes') || 0) + 1));
          }
          await refresh();
          setInterval(refresh, 3000);
        }

        // A Mermaid flowchart from the README, drawn as boxes and arrows (layers from left to right).
        // Subgraphs are drawn as one box listing what they hold; anything else shows its source.
        function renderArchitecture(box, source) {
          if (!source) { box.innerHTML = '<p class="muted">No architecture diagram in the README.</p>'; return; }
          const lines = source.split('\n').map(l => l.trim()).filter(l => l && !l.startsWith('%%'));
          if (!/^(flowchart|graph)\s+(LR|TD|TB)/.test(lines[0] || '')) { box.innerHTML = '<pre class="mermaid">' + esc(source) + '</pre>'; return; }
          const nodes = {}, edges = [], order = [];
          let group = null;
          const clean = s => s.replace(/<br\s*\/?>/g, ' · ').replace(/&#123;/g, '{').replace(/&#125;/g, '}').replace(/^["']|["']$/g, '');
          const node = (token) => {
            const m = token.trim().match(/^([A-Za-z0-9_]+)\s*(\[\[(.*)\]\]|\[\((.*)\)\]|\(\((.*)\)\)|\[(.*)\]|\{(.*)\}|\((.*)\))?$/);
            if (!m) return null;
            let id = m[1];
            const label = m[3] || m[4] || m[5] || m[6] || m[7] || m[8];
            if (group && group.id !== id) { group.inner.push(clean(label || id)); nodes[id] = nodes[id] || {alias: group.id}; return group.id; }
            if (nodes[id] && nodes[id].alias) return nodes[id].alias;
            if (!nodes[id]) { nodes[id] = {id, label: id, inner: []}; order.push(id); }
            if (label) nodes[id].label = clean(label);
            return id;
          };
          for (const line of lines.slice(1)) {
            let m;
            if ((m = line.match(/^subgraph\s+(.*)$/))) { const id = node(m[1]); group = nodes[id]; continue; }
            if (line === 'end') { group = null; continue; }
            const parts = line.split(/\s*(-->\|[^|]*\||-\.->\|[^|]*\||==>\|[^|]*\||-->|-\.->|==>|---|-\.[^.>]*\.->)\s*/);
            let previous = null;
            for (let i = 0; i < parts.length; i += 2) {
              const ids = parts[i].split('&').map(t => node(t)).filter(Boolean);
              if (previous && i > 0) {
                const arrow = parts[i - 1];
                const label = (arrow.match(/\|([^|]*)\|/) || arrow.match(/-\.\s*([^.]+?)\s*\.->/) || [])[1] || '';
                previous.forEach(a => ids.forEach(b => { if (a !== b) edges.push({a, b, label: clean(label), dotted: arrow.includes('.')}); }));
              }
              previous = ids;
            }
          }
          const ids = order.filter(id => !nodes[id].alias);
          const layer = {}; ids.forEach(id => layer[id] = 0);
          for (let k = 0; k < ids.length; k++) edges.forEach(e => { if (layer[e.b] < layer[e.a] + 1 && layer[e.a] < ids.length) layer[e.b] = layer[e.a] + 1; });
          const columns = [];
          ids.forEach(id => { (columns[layer[id]] = columns[layer[id]] || []).push(id); });
          const W = 150, H = 52, GX = 60, GY = 18, pos = {};
          columns.forEach((col, c) => col.forEach((id, r) => { pos[id] = {x: 10 + c * (W + GX), y: 10 + r * (H + GY)}; }));
          const width = 20 + columns.length * (W + GX) - GX, height = 20 + Math.max(...columns.map(c => c.length)) * (H + GY) - GY;
          const wrap = (text, n) => { const words = text.split(' '), out = ['']; words.forEach(w => { if ((out[out.length - 1] + ' ' + w).length > n && out[out.length - 1]) out.push(w); else out[out.length - 1] += (out[out.length - 1] ? ' ' : '') + w; }); return out.slice(0, 3); };
          let svg = '<svg class="arch" viewBox="0 0 ' + width + ' ' + height + '" role="img" aria-label="architecture"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/></marker></defs>';
          edges.forEach(e => {
            const a = pos[e.a], b = pos[e.b]; if (!a || !b) return;
            const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
            const back = x2 <= x1;
            const d = back ? 'M' + (a.x + W / 2) + ',' + (a.y + H) + ' C' + (a.x + W / 2) + ',' + (a.y + H + 30) + ' ' + (b.x + W / 2) + ',' + (b.y + H + 30) + ' ' + (b.x + W / 2) + ',' + (b.y + H)
                           : 'M' + x1 + ',' + y1 + ' C' + (x1 + GX / 2) + ',' + y1 + ' ' + (x2 - GX / 2) + ',' + y2 + ' ' + x2 + ',' + y2;
            svg += '<path d="' + d + '" marker-end="url(#arrow)"' + (e.dotted ? ' stroke-dasharray="4 3"' : '') + '><title>' + esc(e.label) + '</title></path>';
          });
          ids.forEach(id => {
            const n = nodes[id], p = pos[id];
            const text = wrap(n.label + (n.inner.length ? ': ' + n.inner.join(', ') : ''), 24);
            svg += '<g><rect x="' + p.x + '" y="' + p.y + '" width="' + W + '" height="' + H + '" rx="6"/>' + text.map((t, i) =>
              '<text x="' + (p.x + 8) + '" y="' + (p.y + 17 + i * 15) + '">' + esc(t) + '</text>').join('') + '<title>' + esc(n.label + (n.inner.length ? ' — ' + n.inner.join('; ') : '')) + '</title></g>';
          });
          box.innerHTML = svg + '</svg><details><summary class="muted" style="font-size:12px">Mermaid source (README)</summary><pre class="mermaid">' + esc(source) + '</pre></details>';
        }
        """#
}
