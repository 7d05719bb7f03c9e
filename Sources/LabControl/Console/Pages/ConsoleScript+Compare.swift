extension ConsoleScript {
    /// Compare: the latest comparison of a lab — verdicts, measurements, and the charts of both
    /// variants overlaid (seconds from each run's start), each verdict linked to its measurement's chart.
    static let compare = #"""
        async function comparePage() {
          const params = new URLSearchParams(location.search);
          const catalog = await getJSON('/console/api/catalog');
          const state = await getJSON('/console/api/state');
          const lab = params.get('lab') || (state.lab && state.lab.id) || ((catalog.labs.find(l => l.verdict) || {}).id);
          const options = catalog.labs.map(l => '<option value="' + esc(l.id) + '"' + (l.id === lab ? ' selected' : '') + '>Week ' + l.week + ': ' + esc(l.title) + (l.verdict ? '' : ' (not run)') + '</option>').join('');
          main().innerHTML = '<h1>Compare</h1><div class="controls"><label for="cmp-lab">Lab</label><select id="cmp-lab">' + options + '</select></div><div id="cmp"></div>';
          $('#cmp-lab').onchange = e => { location.href = '/compare?lab=' + encodeURIComponent(e.target.value); };
          if (!lab) { $('#cmp').innerHTML = '<p class="muted">No comparison on this machine yet.</p>'; return; }
          let c;
          try { c = await getJSON('/console/api/comparison?lab=' + encodeURIComponent(lab)); }
          catch (e) { $('#cmp').innerHTML = '<div class="error-box" id="compare-error">' + esc(e.message) + '</div>'; return; }
          const chartOf = c.measurement_charts || {};
          const measurement = name => c.measurements.find(m => m.name === name) || {};
          const formatValue = (v, unit) => v == null ? '—' : typeof v === 'object' ? '—' : unit === 's' ? fmt(v, 's') : (unit === 'ratio' || unit === 'percentunit') ? fmt(v, 'percentunit') : fmt(v, unit || '');
          const verdicts = c.expectations.map((v, i) => {
            const mark = v.skipped ? 'SKIP' : v.holds ? 'PASS' : 'FAIL';
            const key = chartOf[v.measurement] || 'none';
            return '<li class="verdict" data-mark="' + mark + '"><span class="badge ' + mark.toLowerCase() + '">' + mark + '</span> <code>' + esc(v.measurement) + ': ' + esc(v.check) + '</code> — ' +
              esc(v.explanation) + (key !== 'none' ? ' <a href="#chart-' + key.replace(':', '-') + '" data-chart="' + key + '" data-phase="' + esc(measurement(v.measurement).phase || '') + '">chart →</a>' : '') + '</li>';
          }).join('');
          const variants = c.variants;
          const table = '<table id="measurements"><thead><tr><th>measurement</th><th>phase</th>' + variants.map(v => '<th class="num">' + esc(v) + '</th>').join('') + '</tr></thead><tbody>' +
            c.measurements.map(m => '<tr><td>' + esc(m.name) + '</td><td>' + esc(m.phase || 'all') + '</td>' + variants.map(v => '<td class="num">' + formatValue(m.values[v], m.unit) + '</td>').join('') + '</tr>').join('') + '</tbody></table>';
          const when = new Date(c.generated_at * 1000).toLocaleString();
          $('#cmp').innerHTML = '<h2>Week ' + c.week + ': ' + esc(c.title) + '</h2>' +
            '<p id="compare-verdict"><span class="badge ' + (c.holds ? 'pass">every expectation holds' : 'fail">' + (c.decided_count - c.holds_count) + ' of ' + c.decided_count + ' expectations do not hold') + '</span>' +
            ' <span class="muted">run ' + esc(when) + (c.report ? ' · HTML report: <code>' + esc(c.report) + '</code>' : '') + '</span></p>' +
            '<h2>Expectations</h2><ul class="verdicts" id="verdicts">' + verdicts + '</ul><h2>Measurements</h2>' + table +
            '<h2>Charts <span class="legend-note">— each variant from its run\'s start; shaded: phases of ' + esc(variants[0] || '') + '</span></h2><div id="cmp-charts" class="grid"></div>';

          // Overlaid charts: the load generator's three, then the dashboard panels.
          const runs = {}; c.runs.forEach(r => runs[r.variant] = r);
          const charts = c.charts || {};
          const specs = [
            {key: 'load:latency', title: 'Client p99 latency (load generator, per second)', unit: 's', lines: v => [{name: v, points: (charts[v].timeline || []).filter(p => p.p99 != null).map(p => ({x: p.offset, y: p.p99}))}]},
            {key: 'load:throughput', title: 'Answered requests per second (load generator)', unit: 'reqps', lines: v => [{name: v, points: (charts[v].timeline || []).map(p => ({x: p.offset, y: p.answered}))}]},
            {key: 'load:errors', title: 'Client error rate (load generator)', unit: 'percentunit', lines: v => [{name: v, points: (charts[v].timeline || []).map(p => ({x: p.offset, y: p.error_rate}))}]}
          ];
          const firstPanels = (charts[variants[0]] || {}).panels || [];
          firstPanels.forEach((p, i) => specs.push({key: 'panel:' + i, title: p.title, unit: p.unit, lines: v => (((charts[v] || {}).panels || [])[i] || {series: []}).series.map(s =>
            ({name: v + (Object.keys(s.labels).length ? ' · ' + Object.entries(s.labels).map(([k, x]) => k + '=' + x).join(',') : ''), points: s.points.map(p => ({x: p[0] - charts[v].start, y: p[1]}))}))}));
          const base = runs[variants[0]] || {phases: [], actions: []};
          const t0 = base.phases.length ? base.phases[0].start : 0;
          const phases = base.phases.map(p => ({name: p.name, start: p.start - t0, end: p.end - t0}));
          const actions = (base.actions || []).map(a => ({time: a.offset, description: a.description, error: a.error}));
          const maxX = phases.length ? phases[phases.length - 1].end : undefined;
          specs.forEach(spec => {
            const card = document.createElement('div');
            card.className = 'chart-card'; card.id = 'chart-' + spec.key.replace(':', '-');
            card.innerHTML = '<h3>' + esc(spec.title) + '</h3><div class="desc"></div><div class="canvas-box"><canvas></canvas></div>';
            $('#cmp-charts').appendChild(card);
            const chart = makeChart(card.querySelector('canvas'), spec.unit);
            chart.options.scales.x.ticks.callback = v => Math.round(v) + ' s';
            chart.options.plugins.tooltip.callbacks.title = items => items.length ? items[0].parsed.x.toFixed(0) + ' s' : '';
            const lines = variants.flatMap(v => charts[v] ? spec.lines(v) : []);
            setChartData(chart, lines, [], [0, maxX], {phases, actions});
            card.chart = chart;
          });
          document.querySelectorAll('a[data-chart]').forEach(a => a.addEventListener('click', e => {
            const card = document.getElementById('chart-' + a.dataset.chart.replace(':', '-'));
            if (!card) return;
            e.preventDefault();
            document.querySelectorAll('.chart-card.flash').forEach(x => x.classList.remove('flash'));
            card.classList.add('flash');
            card.querySelector('.desc').textContent = a.dataset.phase ? 'measured over the phase "' + a.dataset.phase + '"' : 'measured over the whole run';
            card.scrollIntoView({behavior: 'smooth', block: 'center'});
          }));
          document.body.setAttribute('data-verdicts', String(c.expectations.length));
        }
        """#
}
