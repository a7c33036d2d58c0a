namespace OrderPipeline.AppHost.Dashboard.Pages;

/// <summary>Helpers every page script uses: fetching JSON, the live stream, escaping, formatting, SVG charts.</summary>
internal static class SharedScript
{
    public const string Js = """
        'use strict';
        const $ = (selector, root = document) => root.querySelector(selector);
        const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
        const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
        function esc(value) { return String(value ?? '').replace(/[&<>"']/g, c => ENTITIES[c]); }

        async function getJson(url) {
          const response = await fetch(url, { credentials: 'same-origin' });
          if (response.status === 401) { location.reload(); throw new Error('signed out'); }
          const body = response.headers.get('content-type')?.includes('json') ? await response.json() : null;
          if (!response.ok) throw new Error(body?.error ?? `${response.status} ${response.statusText}`);
          return body;
        }

        // State-changing calls carry a header a cross-site form cannot send (the server insists on it).
        async function post(url) {
          const response = await fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'X-Dashboard-Action': '1' } });
          const body = response.headers.get('content-type')?.includes('json') ? await response.json() : null;
          if (!response.ok) throw new Error(body?.error ?? `${response.status} ${response.statusText}`);
          return body;
        }

        function setLive(ok) {
          const el = $('#live');
          if (el) { el.textContent = ok ? 'live' : 'reconnecting…'; el.className = ok ? 'live ok' : 'live bad'; }
        }

        // Runs refresh now and whenever the server says one of the topics changed; never two at once.
        function live(topics, refresh) {
          let running = false, again = false;
          async function run() {
            if (running) { again = true; return; }
            running = true;
            try { await refresh(); } catch (e) { console.error(e); showError(e); }
            finally { running = false; if (again) { again = false; run(); } }
          }
          run();
          const events = new EventSource('/api/live');
          events.addEventListener('changed', e => { if (topics.includes(e.data)) run(); });
          events.onopen = () => setLive(true);
          events.onerror = () => setLive(false);
          return run;
        }

        function showError(e) {
          const el = $('#error');
          if (el) { el.textContent = e ? String(e.message ?? e) : ''; el.hidden = !e; }
        }

        function debounce(fn, ms) { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; }

        function fmtDuration(ms) {
          if (ms == null) return '—';
          if (ms < 1) return ms.toFixed(2) + ' ms';
          if (ms < 1000) return ms.toFixed(1) + ' ms';
          return (ms / 1000).toFixed(2) + ' s';
        }
        function fmtSeconds(s) { return s == null ? '—' : fmtDuration(s * 1000); }
        function fmtTime(iso) {
          if (!iso) return '—';
          const d = new Date(iso);
          return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
        }
        function fmtUptime(iso) {
          if (!iso) return '—';
          let s = Math.max(0, Math.floor((Date.now() - new Date(iso)) / 1000));
          const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60); s %= 60;
          return h ? `${h}h ${m}m` : m ? `${m}m ${s}s` : `${s}s`;
        }

        const PALETTE = ['#2563eb', '#9333ea', '#0d9488', '#ea580c', '#dc2626', '#64748b', '#ca8a04'];
        const KNOWN = { api: 0, processor: 1, notifier: 2, mysql: 3, sqs: 4 };
        function serviceColour(name) {
          const i = KNOWN[name] ?? [...String(name)].reduce((a, c) => a + c.charCodeAt(0), 0) % PALETTE.length;
          return PALETTE[i];
        }
        function chip(service) { return `<span class="chip" style="background:${serviceColour(service)}">${esc(service)}</span>`; }

        // A small line chart as inline SVG: lines = [{ name, colour, points: [[ms, value], ...] }].
        function chart(lines, format = v => v.toFixed(2)) {
          const W = 520, H = 170, L = 46, R = 8, T = 8, B = 20;
          const all = lines.flatMap(l => l.points);
          const now = Date.now();
          const x0 = all.length ? Math.min(...all.map(p => p[0])) : now - 300000, x1 = all.length ? Math.max(...all.map(p => p[0])) : now;
          const yMax = Math.max(1e-9, ...all.map(p => p[1])) * 1.1;
          const x = t => L + (W - L - R) * (x1 === x0 ? 1 : (t - x0) / (x1 - x0));
          const y = v => T + (H - T - B) * (1 - v / yMax);
          const grid = [0, 0.5, 1].map(f => `<line class="axis" x1="${L}" x2="${W - R}" y1="${y(yMax * f / 1.1)}" y2="${y(yMax * f / 1.1)}"/>` +
            `<text x="${L - 4}" y="${y(yMax * f / 1.1) + 3}" text-anchor="end">${esc(format(yMax * f / 1.1))}</text>`).join('');
          const paths = lines.filter(l => l.points.length).map(l =>
            `<polyline fill="none" stroke="${l.colour}" stroke-width="1.8" points="${l.points.map(p => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ')}"><title>${esc(l.name)}</title></polyline>`).join('');
          const seconds = Math.round((x1 - x0) / 1000);
          const labels = `<text x="${L}" y="${H - 4}">−${seconds < 90 ? seconds + ' s' : Math.round(seconds / 60) + ' min'}</text><text x="${W - R}" y="${H - 4}" text-anchor="end">now</text>`;
          const empty = all.length ? '' : `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data yet</text>`;
          const legend = lines.map(l => `<span><i style="background:${l.colour}"></i>${esc(l.name)}</span>`).join('');
          return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img">${grid}${paths}${labels}${empty}</svg><div class="legend">${legend}</div>`;
        }
        """;
}
