namespace OrderPipeline.AppHost.Dashboard.Pages;

/// <summary>Orders per second, end-to-end latency percentiles, handler durations: small live SVG charts.</summary>
internal static class MetricsPage
{
    public static readonly DashboardPage Page = new("metrics", "/metrics", "Metrics", """
        <h1>Metrics <span class="muted small">last 5 minutes · percentiles over a sliding minute · services export every 5 s</span></h1>
        <p id="error" class="error" hidden></p>
        <div class="grid">
          <section class="panel" id="rates"><h2>Orders per second</h2><div class="stats" id="totals"></div><div class="chart-box"></div></section>
          <div id="latencies" style="display:contents"></div>
          <div id="handlers" style="display:contents"></div>
        </div>
        """, """
        const COLOURS = { accepted: '#2563eb', processed: '#16a34a', failed: '#dc2626', p50: '#0d9488', p95: '#ea580c', p99: '#9333ea' };
        function latencyPanel(view, kind) {
          const now = view.now;
          return `<section class="panel" data-metric="${esc(view.name)}"><h2>${esc(view.name)} <span class="muted small">${kind}</span></h2>
            <div class="stats">
              <div><span>p50</span><b class="stat">${fmtSeconds(now.p50)}</b></div>
              <div><span>p95</span><b class="stat">${fmtSeconds(now.p95)}</b></div>
              <div><span>p99</span><b class="stat">${fmtSeconds(now.p99)}</b></div>
              <div><span>in the last minute</span><b class="stat">${now.count}</b></div>
            </div>
            ${chart(view.lines.map(l => ({ name: l.name, colour: COLOURS[l.name], points: l.points })), v => fmtSeconds(v))}</section>`;
        }
        live(['metrics', 'tick'], async () => {
          const m = await getJson('/api/metrics');
          $('#totals').innerHTML = Object.entries(m.totals).map(([k, v]) => `<div><span>${esc(k)} (total)</span><b class="stat">${v}</b></div>`).join('');
          $('#rates .chart-box').innerHTML = chart(m.orderRates.map(l => ({ name: l.name + ' /s', colour: COLOURS[l.name], points: l.points })), v => v.toFixed(1));
          $('#latencies').innerHTML = m.latencies.map(v => latencyPanel(v, 'end to end')).join('');
          $('#handlers').innerHTML = m.handlers.map(v => latencyPanel(v, 'messaging.process.duration')).join('') ||
            '<section class="panel"><h2>Handler durations</h2><p class="muted">No messages handled yet.</p></section>';
        });
        """);
}
