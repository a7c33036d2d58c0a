namespace OrderPipeline.AppHost.Dashboard.Pages;

/// <summary>One trace as a waterfall (spans nested under their parents, on a shared time axis) with span details.</summary>
internal static class TracePage
{
    public static readonly DashboardPage Page = new("trace", "/traces/{traceId}", "Trace", """
        <h1 id="title">Trace</h1>
        <p id="error" class="error" hidden></p>
        <div class="stats" id="stats"></div>
        <div class="panel">
          <table class="waterfall" id="waterfall">
            <thead><tr><th>Span</th><th>Timeline</th><th class="num">Duration</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        <div class="panel" id="details"><p class="muted">Select a span to see its attributes.</p></div>
        """, """
        const traceId = document.body.dataset.trace;
        let spans = [], selected = null;
        function ordered(all) {
          const ids = new Set(all.map(s => s.spanId)), children = new Map();
          for (const s of all) {
            const parent = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : null;
            if (!children.has(parent)) children.set(parent, []);
            children.get(parent).push(s);
          }
          const rows = [];
          (function walk(parent, depth) {
            for (const s of (children.get(parent) ?? []).sort((a, b) => a.startUnixNanos - b.startUnixNanos)) {
              rows.push({ span: s, depth }); walk(s.spanId, depth + 1);
            }
          })(null, 0);
          return rows;
        }
        function render(data) {
          spans = data.spans;
          const s = data.summary;
          $('#title').innerHTML = `${esc(s.name)} <span class="muted small mono">${esc(traceId)}</span>`;
          $('#stats').innerHTML = `<div><span>Duration</span><b class="stat">${fmtDuration(s.durationMs)}</b></div>
            <div><span>Spans</span><b class="stat">${s.spanCount}</b></div>
            <div><span>Errors</span><b class="stat">${s.errorCount}</b></div>
            <div><span>Services</span>${s.services.map(chip).join('')}</div>
            <div><span>Logs</span><a href="/logs?trace=${esc(traceId)}">structured logs of this trace</a></div>`;
          const start = Math.min(...spans.map(x => x.startUnixNanos)), end = Math.max(...spans.map(x => x.endUnixNanos));
          const total = Math.max(1, end - start);
          $('#waterfall tbody').innerHTML = ordered(spans).map(({ span, depth }) => `
            <tr data-span="${esc(span.spanId)}" data-service="${esc(span.service)}" class="${span.spanId === selected ? 'selected' : ''}">
              <td class="label" style="padding-left:${0.5 + depth * 1.1}rem">${chip(span.service)} ${esc(span.name)}</td>
              <td class="track"><div class="bar${span.isError ? ' error' : ''}" title="${esc(span.name)}" style="left:${(100 * (span.startUnixNanos - start) / total).toFixed(2)}%;width:${(100 * (span.endUnixNanos - span.startUnixNanos) / total).toFixed(2)}%;background:${serviceColour(span.service)}"></div></td>
              <td class="num small">${fmtDuration(span.durationMs)}</td>
            </tr>`).join('');
          if (selected) details(selected);
        }
        function details(spanId) {
          const s = spans.find(x => x.spanId === spanId);
          if (!s) return;
          const rows = [['service', s.service], ['kind', s.kind], ['scope', s.scope], ['span id', s.spanId], ['parent', s.parentSpanId ?? '—'],
            ['status', s.isError ? `error${s.statusMessage ? ': ' + s.statusMessage : ''}` : 'ok'], ['duration', fmtDuration(s.durationMs)]]
            .concat(s.attributes.map(a => [a.key, a.value]));
          $('#details').innerHTML = `<h2>${esc(s.name)}</h2><table class="small"><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td class="mono">${esc(v)}</td></tr>`).join('')}</tbody></table>` +
            (s.events.length ? `<h2 style="margin-top:1rem">Events</h2><table class="small"><tbody>${s.events.map(e => `<tr><td class="mono">${fmtTime(e.time)}</td><td>${esc(e.name)}</td><td class="mono">${e.attributes.map(a => esc(a.key + '=' + a.value)).join('<br>')}</td></tr>`).join('')}</tbody></table>` : '');
        }
        $('#waterfall').addEventListener('click', e => {
          const row = e.target.closest('tr[data-span]');
          if (!row) return;
          selected = row.dataset.span;
          $$('#waterfall tr.selected').forEach(r => r.classList.remove('selected'));
          row.classList.add('selected');
          details(selected);
        });
        live(['traces'], async () => {
          try { render(await getJson(`/api/traces/${encodeURIComponent(traceId)}`)); showError(null); }
          catch (e) { showError(new Error('This trace is not (or no longer) in the dashboard\'s window: ' + e.message)); }
        });
        """);
}
