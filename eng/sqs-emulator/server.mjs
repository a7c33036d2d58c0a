// Runs the fauxqs SQS emulator on loopback only, without request logging.
// fauxqs' own CLI binds every interface and logs each request; buildApp lets us choose both.
// Usage: node server.mjs [port]   (port 0 or none picks a free one; the chosen address is printed)
import { buildApp } from "fauxqs";

const port = Number.parseInt(process.argv[2] ?? process.env.SQS_EMULATOR_PORT ?? "0", 10);
const app = buildApp({ logger: false, host: "localhost", defaultRegion: process.env.AWS_REGION ?? "us-east-1" });

// One summary per queue for the AppHost's dashboard: counts and the oldest message's send time, computed here so
// that the messages themselves never cross the wire. Built on fauxqs' own inspection, which changes nothing.
app.get("/_orderpipeline/queues", async () => {
  const queues = (await app.inject({ method: "GET", url: "/_fauxqs/queues" })).json();
  const summaries = [];
  for (const queue of queues) {
    const detail = (await app.inject({ method: "GET", url: `/_fauxqs/queues/${encodeURIComponent(queue.name)}` })).json();
    const messages = [...(detail.messages?.ready ?? []), ...(detail.messages?.delayed ?? []), ...(detail.messages?.inflight ?? []).map((m) => m.message)];
    let oldest = null;
    for (const message of messages) {
      if (typeof message?.sentTimestamp === "number" && (oldest === null || message.sentTimestamp < oldest)) oldest = message.sentTimestamp;
    }
    summaries.push({
      name: queue.name,
      visible: queue.approximateMessageCount,
      inFlight: queue.approximateInflightCount,
      delayed: queue.approximateDelayedCount,
      oldestSentTimestamp: oldest,
    });
  }
  return summaries;
});

const address = await app.listen({ port, host: "127.0.0.1" });
console.log(`sqs emulator listening on ${address}`);

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    process.exit(0);
  });
}
