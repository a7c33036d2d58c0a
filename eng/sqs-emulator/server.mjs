// Runs the fauxqs SQS emulator on loopback only, without request logging.
// fauxqs' own CLI binds every interface and logs each request; buildApp lets us choose both.
// Usage: node server.mjs [port]   (port 0 or none picks a free one; the chosen address is printed)
import { buildApp } from "fauxqs";

const port = Number.parseInt(process.argv[2] ?? process.env.SQS_EMULATOR_PORT ?? "0", 10);
const app = buildApp({ logger: false, host: "localhost", defaultRegion: process.env.AWS_REGION ?? "us-east-1" });

const address = await app.listen({ port, host: "127.0.0.1" });
// The AppHost reads this line to learn the port when it asked for a free one.
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
