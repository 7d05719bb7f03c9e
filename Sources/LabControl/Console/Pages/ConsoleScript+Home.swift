extension ConsoleScript {
    /// Home: the catalog, each lab linking to its page, with its last verdict on this machine.
    static let home = #"""
        async function homePage() {
          const c = await getJSON('/console/api/catalog');
          const rows = c.labs.map(l => {
            const verdict = l.verdict
              ? '<span class="badge ' + (l.verdict.holds ? 'pass">PASS' : 'fail">FAIL') + '</span> ' + l.verdict.passed + '/' + l.verdict.decided +
                ' <span class="muted">' + ago(l.verdict.at) + '</span>'
              : '<span class="badge none">not run</span>';
            const here = l.runsHere ? 'yes' : '<span class="muted">' + esc(l.support) + '</span>';
            const running = l.running ? ' <span class="badge run">running: ' + esc(l.running) + '</span>' : '';
            return '<tr class="clickable" data-href="/labs/' + esc(l.id) + '"><td class="num">' + l.week + '</td>' +
              '<td><a href="/labs/' + esc(l.id) + '">' + esc(l.title) + '</a>' + running + '<div class="muted" style="font-size:13px">' + esc(l.summary) + '</div></td>' +
              '<td>' + (l.infrastructure.map(i => '<span class="pill">' + esc(i) + '</span>').join('') || '–') + '</td>' +
              '<td>' + here + '</td><td id="verdict-' + esc(l.id) + '">' + verdict + '</td></tr>';
          }).join('');
          main().innerHTML = '<h1>Labs</h1><p class="muted">Each lab shows one distributed-systems pattern with a <i>before</i> and an <i>after</i> variant; ' +
            'its lesson is a set of numbers that <code>labctl compare</code> checks. Open a lab to watch its dashboard live and drive its faults.</p>' +
            '<table id="catalog"><thead><tr><th class="num">Week</th><th>Lab</th><th>Infrastructure</th><th>Runs here</th><th>Last verdict on this machine</th></tr></thead><tbody>' +
            rows + '</tbody></table>' +
            (c.problems.length ? '<div class="error-box">' + c.problems.map(esc).join('<br>') + '</div>' : '');
          document.querySelectorAll('tr[data-href]').forEach(tr => tr.addEventListener('click', e => { if (e.target.tagName !== 'A') location.href = tr.dataset.href; }));
          document.body.setAttribute('data-ready', String(c.labs.length));
        }
        """#
}
