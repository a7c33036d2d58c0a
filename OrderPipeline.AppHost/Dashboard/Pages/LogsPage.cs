namespace OrderPipeline.AppHost.Dashboard.Pages;

/// <summary>OTLP log records: level, service, message, attributes, and a link to the trace they belong to.</summary>
internal static class LogsPage
{
    public static readonly DashboardPage Page = new("logs", "/logs", "Structured logs", """
        <div class="toolbar">
          <h1 style="margin:0">Structured logs</h1>
          <select id="service" aria-label="Service"><option value="">All services</option><option>api</option><option>processor</option><option>notifier</option></select>
          <select id="level" aria-label="Minimum level">
            <option value="0">All levels</option><option value="5">Debug+</option><option value="9">Information+</option>
            <option value="13">Warning+</option><option value="17">Error+</option>
          </select>
          <input id="q" type="search" placeholder="Message, category or attribute value" aria-label="Search logs">
          <span id="trace-filter" class="small"></span>
          <span id="count" class="muted small"></span>
        </div>
        <p id="error" class="error" hidden></p>
        <div class="panel">
          <table id="logs">
            <thead><tr><th>Time</th><th>Level</th><th>Service</th><th>Message</th><th>Trace</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        """, """
        const params = new URLSearchParams(location.search);
        const service = $('#service'), level = $('#level'), q = $('#q');
        let trace = params.get('trace') ?? '';
        const open = new Set();
        const LEVEL_CLASS = { Warning: 'warn', Error: 'bad', Critical: 'bad' };
        function showTraceFilter() {
          $('#trace-filter').innerHTML = trace ? `trace <span class="mono">${esc(trace.slice(0, 12))}…</span> <a href="#" id="clear-trace">show all</a>` : '';
        }
        showTraceFilter();
        const refresh = live(['logs'], async () => {
          const url = `/api/logs?service=${encodeURIComponent(service.value)}&level=${level.value}&q=${encodeURIComponent(q.value.trim())}&trace=${encodeURIComponent(trace)}`;
          const logs = await getJson(url);
          $('#count').textContent = `${logs.length} records (newest first)`;
          $('#logs tbody').innerHTML = logs.map(l => `
            <tr data-log="${l.sequence}" data-service="${esc(l.service)}">
              <td class="mono small">${fmtTime(l.time)}</td>
              <td><span class="badge ${LEVEL_CLASS[l.level] ?? ''}">${esc(l.level)}</span></td>
              <td>${chip(l.service)}</td>
              <td><div>${esc(l.message)}</div><div class="muted small">${esc(l.category)}</div>
                ${open.has(String(l.sequence)) ? `<table class="small">${l.attributes.map(a => `<tr><th>${esc(a.key)}</th><td class="mono">${esc(a.value)}</td></tr>`).join('')}</table>` : ''}</td>
              <td>${l.traceId ? `<a class="mono small" href="/traces/${esc(l.traceId)}">${esc(l.traceId.slice(0, 8))}</a>` : ''}</td>
            </tr>`).join('') || '<tr><td colspan="5" class="muted">No log records match.</td></tr>';
        });
        service.onchange = level.onchange = refresh;
        q.oninput = debounce(refresh, 250);
        document.addEventListener('click', e => {
          if (e.target.id === 'clear-trace') { e.preventDefault(); trace = ''; history.replaceState(null, '', location.pathname); showTraceFilter(); refresh(); return; }
          if (e.target.closest('a')) return;
          const row = e.target.closest('tr[data-log]');
          if (!row) return;
          const id = row.dataset.log;
          open.has(id) ? open.delete(id) : open.add(id);
          refresh();
        });
        """);
}
