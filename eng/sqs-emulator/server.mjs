// Runs the fauxqs SQS emulator on loopback only, without request logging.
// fauxqs' own CLI and startFauxqs bind every interface and the CLI logs each request; buildApp lets us choose both.
// Usage: node server.mjs [port] [--data-dir DIR]
//   port 0 or none picks a free one (the chosen address is printed);
//   --data-dir keeps queues and messages in SQLite in DIR, so they survive a restart (much slower: see README).
import { buildApp } from "fauxqs";

const args = process.argv.slice(2);
const dataDirIndex = args.indexOf("--data-dir");
const dataDir = dataDirIndex >= 0 ? args[dataDirIndex + 1] : undefined;
const positional = args.filter((_, i) => dataDirIndex < 0 || (i !== dataDirIndex && i !== dataDirIndex + 1));
const port = Number.parseInt(positional[0] ?? process.env.SQS_EMULATOR_PORT ?? "0", 10);
const region = process.env.AWS_REGION ?? "us-east-1";

const app = buildApp({ logger: false, host: "localhost", defaultRegion: region, stores: dataDir ? await persistentStores(dataDir) : undefined });

// fauxqs persists only through startFauxqs, which listens on every interface. Its store and persistence classes are
// not exported, so they are loaded from the installed package's files (the version is pinned in package-lock.json)
// and wired the way startFauxqs wires them: load what was saved, then save every change.
async function persistentStores(directory) {
  const dist = new URL("./node_modules/fauxqs/dist/", import.meta.url);
  const { PersistenceManager } = await import(new URL("persistence.js", dist).href);
  const { SqsStore } = await import(new URL("sqs/sqsStore.js", dist).href);
  const { SnsStore } = await import(new URL("sns/snsStore.js", dist).href);
  const { S3Store } = await import(new URL("s3/s3Store.js", dist).href);
  const stores = { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store: new S3Store() };
  const persistence = new PersistenceManager(directory);
  persistence.load(stores.sqsStore, stores.snsStore, stores.s3Store);
  for (const store of Object.values(stores)) store.persistence = persistence;
  for (const queue of stores.sqsStore.allQueues()) queue.persistence = persistence;
  process.on("exit", () => persistence.close());
  return stores;
}

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
