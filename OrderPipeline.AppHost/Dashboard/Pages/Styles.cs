namespace OrderPipeline.AppHost.Dashboard.Pages;

/// <summary>One small stylesheet: system fonts, light and dark from prefers-color-scheme, fits a laptop screen.</summary>
internal static class Styles
{
    public const string Css = """
        :root {
          --bg: #f6f7f9; --panel: #ffffff; --text: #1d2330; --muted: #5d6778; --border: #d9dde4;
          --accent: #2563eb; --ok: #15803d; --warn: #b45309; --bad: #b91c1c; --chip: #eef1f5; --row: #f0f3f8;
          --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
        }
        @media (prefers-color-scheme: dark) {
          :root {
            --bg: #14171c; --panel: #1c2027; --text: #e3e7ee; --muted: #9aa4b5; --border: #2f3541;
            --accent: #6ea8ff; --ok: #4ade80; --warn: #fbbf24; --bad: #f87171; --chip: #272c35; --row: #232833;
          }
        }
        * { box-sizing: border-box; }
        html, body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        a { color: var(--accent); }
        header { display: flex; align-items: center; gap: 1.5rem; padding: .5rem 1.25rem; background: var(--panel); border-bottom: 1px solid var(--border); position: sticky; top: 0; z-index: 2; }
        .brand { font-weight: 700; letter-spacing: .02em; }
        nav { display: flex; gap: .25rem; flex-wrap: wrap; flex: 1; }
        nav a { padding: .35rem .7rem; border-radius: 6px; text-decoration: none; color: var(--muted); }
        nav a.active, nav a:hover { background: var(--chip); color: var(--text); }
        .live { font-size: 12px; color: var(--muted); }
        .live.ok::before { content: "● "; color: var(--ok); }
        .live.bad::before { content: "● "; color: var(--bad); }
        main { padding: 1rem 1.25rem; max-width: 1600px; }
        h1 { font-size: 1.25rem; margin: .25rem 0 1rem; }
        h2 { font-size: 1rem; margin: 0 0 .5rem; }
        .panel { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: .75rem 1rem; margin-bottom: 1rem; overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--border); vertical-align: top; }
        th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
        tbody tr:hover { background: var(--row); }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        .muted { color: var(--muted); } .small { font-size: 12px; }
        .mono { font-family: var(--mono); font-size: 12.5px; }
        .badge { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: 12px; background: var(--chip); white-space: nowrap; }
        .badge.good { color: var(--ok); border: 1px solid var(--ok); }
        .badge.warn { color: var(--warn); border: 1px solid var(--warn); }
        .badge.bad { color: var(--bad); border: 1px solid var(--bad); }
        .chip { display: inline-block; padding: 0 .45rem; margin: 0 .2rem .1rem 0; border-radius: 4px; font-size: 12px; color: #fff; }
        button { font: inherit; padding: .25rem .7rem; border-radius: 6px; border: 1px solid var(--border); background: var(--chip); color: var(--text); cursor: pointer; }
        button:hover { border-color: var(--accent); }
        button:disabled { opacity: .5; cursor: default; }
        input, select { font: inherit; padding: .3rem .5rem; border-radius: 6px; border: 1px solid var(--border); background: var(--panel); color: var(--text); }
        .toolbar { display: flex; gap: .75rem; align-items: center; margin-bottom: .75rem; flex-wrap: wrap; }
        .toolbar input[type=search] { min-width: 18rem; }
        .error { color: var(--bad); }
        #console { font-family: var(--mono); font-size: 12.5px; height: calc(100vh - 170px); overflow: auto; background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: .5rem; }
        #console .line { white-space: pre-wrap; word-break: break-word; }
        #console .ts { color: var(--muted); margin-right: .6rem; }
        #console .res { display: inline-block; min-width: 6.5rem; font-weight: 600; }
        #console .err .txt { color: var(--bad); }
        #console .sys .txt { color: var(--muted); font-style: italic; }
        .waterfall td { padding: .2rem .5rem; }
        .waterfall .label { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 26rem; }
        .waterfall .track { position: relative; height: 18px; min-width: 300px; width: 60%; }
        .waterfall .bar { position: absolute; top: 3px; height: 12px; border-radius: 3px; min-width: 2px; }
        .waterfall .bar.error { outline: 2px solid var(--bad); }
        .waterfall tr.selected { background: var(--row); }
        .waterfall tr { cursor: pointer; }
        .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1rem; }
        .grid .panel { margin: 0; }
        svg.chart { width: 100%; height: auto; display: block; }
        svg.chart text { fill: var(--muted); font-size: 10px; }
        svg.chart .axis { stroke: var(--border); }
        .legend { display: flex; gap: 1rem; font-size: 12px; color: var(--muted); margin-top: .25rem; flex-wrap: wrap; }
        .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: .3rem; vertical-align: -1px; }
        .stat { font-size: 1.4rem; font-weight: 650; font-variant-numeric: tabular-nums; }
        .stats { display: flex; gap: 1.5rem; margin-bottom: .5rem; flex-wrap: wrap; }
        .stats > div > span:first-child { display: block; font-size: 12px; color: var(--muted); }
        td.actions { white-space: nowrap; }
        pre { white-space: pre-wrap; word-break: break-word; font-family: var(--mono); font-size: 12px; margin: 0; }
        .cols { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
        @media (max-width: 1100px) { .cols { grid-template-columns: 1fr; } }
        body.login { display: grid; place-items: center; min-height: 100vh; }
        body.login main { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 1.5rem 2rem; max-width: 34rem; }
        body.login form { display: flex; gap: .5rem; align-items: center; }
        body.login input { flex: 1; }
        code { font-family: var(--mono); font-size: 12.5px; }
        """;
}
