namespace OrderPipeline.AppHost.Dashboard.Pages;

/// <summary>Queues and DLQs with counts, DLQ peek and redrive, recent orders and stock levels.</summary>
internal static class PipelinePage
{
    public static readonly DashboardPage Page = new("pipeline", "/pipeline", "Pipeline", """
        <h1>Pipeline</h1>
        <p id="error" class="error" hidden></p>
        <section class="panel">
          <h2>Queues <span class="muted small">approximate counts, as SQS reports them</span></h2>
          <table id="queues">
            <thead><tr><th>Queue</th><th class="num">Visible</th><th class="num">In flight</th><th>Dead-letter queue</th><th class="num">DLQ visible</th><th class="num">DLQ in flight</th><th>Actions</th></tr></thead>
            <tbody></tbody>
          </table>
          <p id="action-result" class="small" role="status"></p>
        </section>
        <section class="panel" id="peek" hidden></section>
        <div class="cols">
          <section class="panel"><h2>Recent orders</h2>
            <table id="orders"><thead><tr><th>Order</th><th>Customer</th><th>Status</th><th>Accepted</th><th>Settled in</th></tr></thead><tbody></tbody></table>
          </section>
          <section class="panel"><h2>Inventory <span class="muted small">most recently changed first</span></h2>
            <table id="stock"><thead><tr><th>Product</th><th>Name</th><th class="num">In stock</th><th>Changed</th></tr></thead><tbody></tbody></table>
          </section>
        </div>
        """, """
        const STATUS_CLASS = { PROCESSED: 'good', FAILED: 'bad', PENDING: 'warn' };
        const n = v => v == null ? '—' : v;
        // MySQL DATETIME comes without a zone; the database runs in UTC.
        const utc = s => s && !/(Z|[+-]\d\d:\d\d)$/.test(s) ? s + 'Z' : s;
        async function section(selector, url, row, empty) {
          try {
            const items = await getJson(url);
            $(selector + ' tbody').innerHTML = items.map(row).join('') || `<tr><td colspan="7" class="muted">${empty}</td></tr>`;
          } catch (e) {
            $(selector + ' tbody').innerHTML = `<tr><td colspan="7" class="error">${esc(e.message)}</td></tr>`;
          }
        }
        const refresh = live(['pipeline'], () => Promise.all([
          section('#queues', '/api/pipeline/queues', q => `
            <tr data-queue="${esc(q.queue)}" data-dlq-visible="${n(q.deadLetterVisible)}">
              <td><b>${esc(q.queue)}</b> <span class="muted small">max receives ${q.maxReceiveCount}</span>${q.error ? `<div class="error small">${esc(q.error)}</div>` : ''}</td>
              <td class="num">${n(q.visible)}</td><td class="num">${n(q.inFlight)}</td>
              <td>${esc(q.deadLetterQueue)}</td>
              <td class="num">${q.deadLetterVisible ? `<span class="badge bad">${q.deadLetterVisible}</span>` : n(q.deadLetterVisible)}</td>
              <td class="num">${n(q.deadLetterInFlight)}</td>
              <td><button data-peek="${esc(q.queue)}">Peek DLQ</button> <button data-redrive="${esc(q.queue)}">Redrive DLQ</button></td>
            </tr>`, 'No queues.'),
          section('#orders', '/api/pipeline/orders', o => `
            <tr data-order="${esc(o.orderId)}" data-status="${esc(o.status)}">
              <td class="mono small">${esc(o.orderId)}</td><td class="small">${esc(o.customerId)}</td>
              <td><span class="badge ${STATUS_CLASS[o.status] ?? ''}">${esc(o.status)}</span>${o.failureReason ? `<div class="small muted">${esc(o.failureReason)}</div>` : ''}</td>
              <td class="mono small">${fmtTime(utc(o.createdAt))}</td>
              <td class="small">${o.processedAt ? fmtDuration(new Date(utc(o.processedAt)) - new Date(utc(o.createdAt))) : '—'}</td>
            </tr>`, 'No orders yet.'),
          section('#stock', '/api/pipeline/stock', s => `
            <tr><td class="mono small">${esc(s.productId)}</td><td>${esc(s.productName)}</td>
              <td class="num">${s.quantityAvailable === 0 ? '<span class="badge bad">0</span>' : s.quantityAvailable}</td>
              <td class="mono small">${fmtTime(utc(s.updatedAt))}</td></tr>`, 'No products.'),
        ]));
        async function peek(queue) {
          const panel = $('#peek');
          panel.hidden = false;
          panel.innerHTML = `<h2>${esc(queue)} DLQ</h2><p class="muted">Looking…</p>`;
          try {
            const messages = await getJson(`/api/pipeline/queues/${encodeURIComponent(queue)}/dlq`);
            panel.innerHTML = `<h2>${esc(queue)} DLQ <span class="muted small">up to 10 messages, left in place</span></h2>` + (messages.length
              ? `<table id="dlq-messages"><thead><tr><th>Message</th><th class="num">Receives</th><th>Sent</th><th>Attributes</th><th>Body</th></tr></thead><tbody>${messages.map(m => `
                  <tr><td class="mono small">${esc(m.messageId)}</td><td class="num">${m.receiveCount}</td><td class="mono small">${fmtTime(m.sentAt)}</td>
                  <td class="mono small">${Object.entries(m.attributes).map(([k, v]) => esc(`${k}=${v}`)).join('<br>')}</td><td><pre>${esc(m.body)}</pre></td></tr>`).join('')}</tbody></table>`
              : '<p class="muted">The DLQ is empty.</p>');
          } catch (e) { panel.innerHTML = `<p class="error">${esc(e.message)}</p>`; }
        }
        document.addEventListener('click', async e => {
          const button = e.target.closest('button[data-peek], button[data-redrive]');
          if (!button) return;
          if (button.dataset.peek) { await peek(button.dataset.peek); return; }
          const queue = button.dataset.redrive;
          button.disabled = true;
          try {
            const result = await post(`/api/pipeline/queues/${encodeURIComponent(queue)}/redrive`);
            $('#action-result').textContent = `Redrove ${result.moved} message(s) from ${queue}'s DLQ back to ${queue}.`;
            refresh();
          } catch (err) { $('#action-result').textContent = `Redrive failed: ${err.message}`; }
          finally { button.disabled = false; }
        });
        """);
}
