// jsdom has no IndexedDB: fake-indexeddb is a complete in-memory implementation.
import "fake-indexeddb/auto";
import { cleanup } from "@testing-library/preact";
import { afterEach } from "vitest";

afterEach(() => cleanup());
