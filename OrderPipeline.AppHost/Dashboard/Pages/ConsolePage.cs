namespace OrderPipeline.AppHost.Dashboard.Pages;

/// <summary>Every resource's output, live, filtered by resource and text in the browser.</summary>
internal static class ConsolePage
{
    public static readonly DashboardPage Page = new("console", "/console", "Console", """
        <div class="toolbar">
          <h1 style="margin:0">Console</h1>
          <select id="resource" aria-label="Resource"><option value="">All resources</option></select>
          <input id="search" type="search" placeholder="Search the output" aria-label="Search">
          <label class="small"><input id="follow" type="checkbox" checked> follow</label>
          <span id="count" class="muted small"></span>
        </div>
        <div id="console" role="log" aria-live="off"></div>
        """, """
        const MAX_LINES = 5000;
        const out = $('#console'), filter = $('#resource'), search = $('#search'), follow = $('#follow');
        getJson('/api/resources').then(rs => {
          for (const r of rs) filter.insertAdjacentHTML('beforeend', `<option>${esc(r.name)}</option>`);
          const wanted = new URLSearchParams(location.search).get('resource');
          if (wanted) { filter.value = wanted; applyAll(); }
        });
        function visible(div) {
          const r = filter.value, q = search.value.trim().toLowerCase();
          return (!r || div.dataset.resource === r) && (!q || div.textContent.toLowerCase().includes(q));
        }
        function applyAll() {
          let shown = 0;
          for (const div of out.children) { div.hidden = !visible(div); if (!div.hidden) shown++; }
          $('#count').textContent = `${shown} of ${out.children.length} lines`;
          if (follow.checked) out.scrollTop = out.scrollHeight;
        }
        function add(line) {
          const div = document.createElement('div');
          div.className = 'line' + (line.isError ? ' err' : '') + (line.isSystem ? ' sys' : '');
          div.dataset.resource = line.resource;
          div.innerHTML = `<span class="ts">${fmtTime(line.time)}</span><span class="res" style="color:${serviceColour(line.resource)}">${esc(line.resource)}</span><span class="txt">${esc(line.isSystem ? '== ' + line.text : line.text)}</span>`;
          div.hidden = !visible(div);
          out.appendChild(div);
          if (out.children.length > MAX_LINES) out.firstElementChild.remove();
        }
        let pending = [], scheduled = false;
        function flush() {
          scheduled = false;
          for (const line of pending) add(line);
          pending = [];
          $('#count').textContent = `${out.children.length} lines`;
          if (follow.checked) out.scrollTop = out.scrollHeight;
        }
        const events = new EventSource('/api/console/stream');
        events.addEventListener('line', e => {
          pending.push(JSON.parse(e.data));
          if (!scheduled) { scheduled = true; requestAnimationFrame(flush); }
        });
        events.onopen = () => { setLive(true); out.replaceChildren(); };
        events.onerror = () => setLive(false);
        filter.onchange = applyAll;
        search.oninput = debounce(applyAll, 150);
        """);
}
