namespace OrderPipeline.AppHost.Dashboard.Pages;

/// <summary>Each resource: type, state, health, endpoints, uptime, restarts; stop, start and restart.</summary>
internal static class ResourcesPage
{
    public static readonly DashboardPage Page = new("resources", "/", "Resources", """
        <h1>Resources</h1>
        <p id="error" class="error" hidden></p>
        <div class="panel">
          <table id="resources">
            <thead><tr><th>Name</th><th>Type</th><th>State</th><th>Health</th><th>Endpoints</th><th>Uptime</th><th class="num">Restarts</th><th>Actions</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        """, """
        const STATE_CLASS = { healthy: 'good', unhealthy: 'bad', exited: 'bad', 'failed to start': 'bad', restarting: 'warn', starting: 'warn', waiting: 'warn', stopped: '' };
        function endpoint(name, url) {
          return /^https?:/.test(url)
            ? `<a href="${esc(url)}" target="_blank" rel="noopener noreferrer">${esc(url)}</a> <span class="muted small">${esc(name)}</span>`
            : `<span class="mono">${esc(url)}</span> <span class="muted small">${esc(name)}</span>`;
        }
        live(['resources', 'tick'], async () => {
          const resources = await getJson('/api/resources');
          showError(null);
          $('#resources tbody').innerHTML = resources.map(r => `
            <tr data-resource="${esc(r.name)}" data-state="${esc(r.state)}" data-health="${esc(r.health)}">
              <td><b>${esc(r.name)}</b>${r.children.length ? `<div class="muted small">${r.children.map(esc).join(', ')}</div>` : ''}</td>
              <td>${esc(r.type)}</td>
              <td><span class="badge ${STATE_CLASS[r.state] ?? ''}">${esc(r.state)}</span>${r.stateDetail ? `<div class="muted small">${esc(r.stateDetail)}</div>` : ''}</td>
              <td><span class="badge ${r.health === 'healthy' ? 'good' : r.health === 'unhealthy' ? 'bad' : ''}">${esc(r.health)}</span></td>
              <td class="small">${Object.entries(r.endpoints).map(([k, v]) => endpoint(k, v)).join('<br>') || '<span class="muted">—</span>'}</td>
              <td>${fmtUptime(r.startedAt)}</td>
              <td class="num">${r.restartCount}</td>
              <td class="actions"><button data-action="stop">Stop</button> <button data-action="start">Start</button> <button data-action="restart">Restart</button></td>
            </tr>`).join('');
        });
        document.addEventListener('click', async e => {
          const button = e.target.closest('button[data-action]');
          if (!button) return;
          const name = button.closest('tr').dataset.resource;
          button.disabled = true;
          try { await post(`/api/resources/${encodeURIComponent(name)}/${button.dataset.action}`); showError(null); }
          catch (err) { showError(err); }
        });
        """);
}
