/// The console's style sheet. Series colours are the Okabe–Ito palette (distinguishable with every
/// common colour-vision deficiency); status is never told by colour alone (PASS/FAIL, ERROR are
/// written out, markers carry labels).
enum ConsoleStyle {
    static let source = #"""
        :root {
          --ink: #1b1f24; --muted: #57606a; --line: #d8dee4; --bg: #f6f8fa; --card: #ffffff;
          --blue: #0072B2; --orange: #E69F00; --green: #009E73; --vermillion: #D55E00; --purple: #CC79A7; --sky: #56B4E9;
          --pass: #00734f; --fail: #b63d00;
          font: 15px/1.5 "DejaVu Sans", "Noto Sans", system-ui, sans-serif; color: var(--ink); background: var(--bg);
        }
        * { box-sizing: border-box; }
        body { margin: 0; }
        a { color: var(--blue); }
        code, pre, .mono { font-family: "DejaVu Sans Mono", "Noto Sans Mono", ui-monospace, monospace; font-size: 13px; }
        header.top { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #24292f; color: #fff; position: sticky; top: 0; z-index: 5; }
        header.top a { color: #fff; text-decoration: none; }
        header.top .brand { font-weight: 700; font-size: 16px; }
        header.top nav { display: flex; gap: 16px; }
        header.top nav a { padding: 4px 8px; border-radius: 6px; }
        header.top nav a.active { background: #57606a; }
        header.top .status { margin-left: auto; font-size: 13px; color: #d0d7de; }
        main { max-width: 1400px; margin: 0 auto; padding: 20px 24px 60px; }
        h1 { font-size: 24px; margin: 4px 0 6px; } h2 { font-size: 18px; margin: 24px 0 8px; } h3 { font-size: 15px; margin: 14px 0 6px; }
        .muted { color: var(--muted); }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
        .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 14px; }
        table { border-collapse: collapse; width: 100%; background: var(--card); }
        th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: 13px; color: var(--muted); font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        tr.clickable { cursor: pointer; } tr.clickable:hover { background: #eef4fb; }
        .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; }
        .badge.pass { color: var(--pass); } .badge.fail { color: var(--fail); } .badge.skip, .badge.none { color: var(--muted); }
        .badge.run { color: var(--blue); }
        .pill { display: inline-block; padding: 0 8px; border-radius: 10px; background: #eaeef2; font-size: 12px; margin-right: 4px; }
        .controls { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; }
        .controls fieldset { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; margin: 0; background: var(--card); }
        .controls legend { font-size: 12px; color: var(--muted); padding: 0 4px; }
        label { font-size: 13px; color: var(--muted); margin-right: 4px; }
        button, select, input { font: inherit; font-size: 14px; padding: 4px 10px; border: 1px solid #8c959f; border-radius: 6px; background: #fff; color: var(--ink); }
        button { cursor: pointer; background: #f3f4f6; } button:hover { background: #e5e9ee; }
        button.primary { background: var(--blue); color: #fff; border-color: var(--blue); }
        button:disabled { opacity: .5; cursor: not-allowed; }
        input[type=number] { width: 90px; }
        .chart-card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px 6px; }
        .chart-card h3 { margin: 0 0 2px; font-size: 14px; }
        .chart-card .desc { font-size: 12px; color: var(--muted); min-height: 18px; }
        .chart-card .canvas-box { position: relative; height: 220px; }
        .chart-card.flash { outline: 3px solid var(--orange); }
        .legend-note { font-size: 12px; color: var(--muted); }
        .timeline { position: relative; height: 46px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; margin: 8px 0; overflow: hidden; }
        .timeline .phase { position: absolute; top: 0; bottom: 0; border-right: 1px solid #fff; font-size: 11px; padding: 4px 6px; overflow: hidden; white-space: nowrap; }
        .timeline .phase:nth-child(odd) { background: #e8f1f8; } .timeline .phase:nth-child(even) { background: #f4f0e6; }
        .timeline .action { position: absolute; top: 0; bottom: 0; width: 0; border-left: 2px dashed var(--vermillion); }
        .timeline .now { position: absolute; top: 0; bottom: 0; width: 0; border-left: 2px solid var(--ink); }
        ul.actions { margin: 6px 0; padding-left: 18px; font-size: 13px; }
        ul.actions .error { color: var(--fail); font-weight: 600; }
        .split { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; }
        .mermaid { white-space: pre; font-size: 12px; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px; overflow: auto; }
        svg.arch { width: 100%; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
        svg.arch rect { fill: #e8f1f8; stroke: var(--blue); } svg.arch text { font-size: 13px; fill: var(--ink); }
        svg.arch line, svg.arch path { stroke: #57606a; fill: none; } svg.arch .edge-label { font-size: 11px; fill: var(--muted); }
        .waterfall { background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
        .waterfall .row { display: grid; grid-template-columns: 380px 1fr 90px 90px; align-items: center; gap: 8px; padding: 3px 10px; border-bottom: 1px solid #f0f2f4; cursor: pointer; font-size: 13px; }
        .waterfall .row:hover { background: #f3f7fb; } .waterfall .row.selected { background: #e6f0fa; }
        .waterfall .row.head { font-weight: 600; color: var(--muted); cursor: default; background: #fafbfc; }
        .waterfall .name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
        .waterfall .svc { font-size: 11px; color: var(--muted); margin-left: 6px; }
        .waterfall .track { position: relative; height: 14px; background: #f3f4f6; border-radius: 3px; }
        .waterfall .bar { position: absolute; top: 1px; height: 12px; border-radius: 2px; background: var(--blue); min-width: 2px; }
        .waterfall .row.error .bar { background: repeating-linear-gradient(45deg, var(--vermillion), var(--vermillion) 4px, #a94400 4px, #a94400 8px); }
        .waterfall .row.culprit .name { font-weight: 700; }
        .waterfall .row.culprit .bar { box-shadow: 0 0 0 2px var(--orange); }
        .culprit-note { border-left: 4px solid var(--orange); padding: 8px 12px; background: #fff8e6; border-radius: 4px; margin: 10px 0; }
        .details { font-size: 13px; } .details table td:first-child { width: 40%; color: var(--muted); word-break: break-all; } .details td { word-break: break-all; }
        .toast { position: fixed; bottom: 20px; right: 20px; max-width: 520px; background: #fff; border: 2px solid var(--fail); color: var(--ink); padding: 10px 14px; border-radius: 8px; box-shadow: 0 4px 16px rgba(0,0,0,.15); z-index: 10; }
        .toast.ok { border-color: var(--pass); }
        .error-box { border: 2px solid var(--fail); border-radius: 8px; padding: 8px 12px; background: #fff4ef; margin: 8px 0; }
        .busy-box { border: 2px solid var(--blue); border-radius: 8px; padding: 8px 12px; background: #eef6fc; margin: 8px 0; }
        .verdicts li { margin: 4px 0; } .verdicts code { font-size: 13px; }
        .search { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-end; margin-bottom: 12px; }
        .search div { display: flex; flex-direction: column; }
        @media (max-width: 1000px) { .split { grid-template-columns: 1fr; } .waterfall .row { grid-template-columns: 220px 1fr 70px 70px; } }
        """#
}
