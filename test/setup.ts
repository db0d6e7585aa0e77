// Preloaded by bun test (bunfig.toml): integration tests start real servers, so give each
// test more than bun's default 5 s.
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(60_000);
