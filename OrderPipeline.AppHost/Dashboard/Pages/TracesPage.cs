namespace OrderPipeline.AppHost.Dashboard.Pages;

/// <summary>The trace list: name, services touched, spans, duration, errors; searchable by any attribute value.</summary>
internal static class TracesPage
{
    public static readonly DashboardPage Page = new("traces", "/traces", "Traces", """
        <div class="toolbar">
          <h1 style="margin:0">Traces</h1>
          <input id="q" type="search" placeholder="Trace id, span name, service, attribute value (e.g. an order id)" aria-label="Search traces">
          <label class="small"><input id="background" type="checkbox"> include background traces (queue polls, outbox relay)</label>
          <span id="count" class="muted small"></span>
        </div>
        <p id="error" class="error" hidden></p>
        <div class="panel">
          <table id="traces">
            <thead><tr><th>Started</th><th>Name</th><th>Services</th><th class="num">Spans</th><th>Duration</th><th class="num">Errors</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        """, """
        const q = $('#q'), background = $('#background');
        q.value = new URLSearchParams(location.search).get('q') ?? '';
        const refresh = live(['traces'], async () => {
          const traces = await getJson(`/api/traces?q=${encodeURIComponent(q.value.trim())}&background=${background.checked}`);
          const longest = Math.max(1, ...traces.map(t => t.durationMs));
          $('#count').textContent = `${traces.length} traces`;
          $('#traces tbody').innerHTML = traces.map(t => `
            <tr data-trace="${esc(t.traceId)}">
              <td class="mono">${fmtTime(t.start)}</td>
              <td><a href="/traces/${esc(t.traceId)}">${esc(t.name)}</a> <span class="muted small mono">${esc(t.traceId.slice(0, 8))}</span></td>
              <td>${t.services.map(chip).join('')}</td>
              <td class="num">${t.spanCount}</td>
              <td><div class="small">${fmtDuration(t.durationMs)}</div><div style="height:4px;background:var(--accent);border-radius:2px;width:${Math.max(1, 100 * t.durationMs / longest).toFixed(1)}%"></div></td>
              <td class="num">${t.errorCount ? `<span class="badge bad">${t.errorCount}</span>` : '0'}</td>
            </tr>`).join('') || '<tr><td colspan="6" class="muted">No traces yet. Place an order: POST /api/orders on the api resource.</td></tr>';
        });
        q.oninput = debounce(() => { history.replaceState(null, '', q.value ? `?q=${encodeURIComponent(q.value)}` : location.pathname); refresh(); }, 250);
        background.onchange = refresh;
        """);
}
