// jsdom has no IndexedDB: fake-indexeddb is a complete in-memory implementation.
import "fake-indexeddb/auto";
import { cleanup } from "@testing-library/preact";
import { afterAll, afterEach } from "vitest";

afterEach(() => cleanup());

// Preact runs effects (and their cleanups) after paint: with no requestAnimationFrame in
// jsdom, on a 100 ms timer. One still pending when the file ends would fire after jsdom is
// gone ("document is not defined", an unhandled error that fails the run): let it run first.
afterAll(() => new Promise((resolve) => setTimeout(resolve, 150)));
