// vitest globalSetup for the workerd project: a real feed server (test/support/feed-server.ts)
// on 127.0.0.1, since nothing can listen inside workerd, plus a small control server the
// tests call over HTTP to change what it serves and read what it was asked. The feed's
// own origin and the control's are handed to the tests with `provide` (read with `inject`).
import { createServer, type Server } from "node:http";
import type { TestProject } from "vitest/node";
import { CONTENT_TYPES, type FeedItem, type FeedMeta, FeedServer, type PathOptions, rss } from "./feed-server";

declare module "vitest" {
  export interface ProvidedContext {
    feedOrigin: string;
    feedControl: string;
  }
}

/** What a test posts to `<feedControl>/set`: RSS made from these items at `path`. */
export type SetFeed = { path: string; meta: FeedMeta; items: (Omit<FeedItem, "date"> & { date: string })[]; opts?: PathOptions };

export default async function setup(project: TestProject) {
  const feeds = await new FeedServer().start();
  const control = await listen(feeds);
  project.provide("feedOrigin", feeds.origin);
  project.provide("feedControl", `http://127.0.0.1:${(control.address() as { port: number }).port}`);
  return async () => {
    await new Promise<void>((r) => control.close(() => r()));
    await feeds.stop();
  };
}

function listen(feeds: FeedServer): Promise<Server> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://control");
    try {
      if (req.method === "POST" && url.pathname === "/set") {
        const body = JSON.parse(await text(req)) as SetFeed;
        feeds.set(body.path, rss(body.meta, body.items), CONTENT_TYPES.rss, body.opts);
        return void res.writeHead(204).end();
      }
      if (req.method === "GET" && url.pathname === "/stats") {
        return void res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(feeds.stats(url.searchParams.get("path") ?? "/")));
      }
      res.writeHead(404).end();
    } catch (err) {
      res.writeHead(400).end(String(err));
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function text(req: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p);
  return Buffer.concat(parts).toString("utf8");
}
