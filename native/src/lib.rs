//! AiKv native core, loaded by Bun/Node as `native/aikv.node`.
//!
//! * `crc16`: Redis Cluster key slots (single and batched).
//! * `bloom`: bloom filters (standalone and per table).
//! * `lsm`: the storage engine behind the `lsm` persistence mode.
//! * `napi` + `js`: hand-declared Node-API and the functions exported to JavaScript.
//!
//! std only (no crates.io); libzstd is linked from the system through `zstd`.

pub mod bloom;
pub mod coding;
pub mod crc16;
pub mod crc32c;
pub mod lsm;
pub mod zstd;

// The N-API layer references symbols that only exist inside a JS host process, so it is left
// out of the `cargo test` binary.
#[cfg(not(test))]
mod js;
#[cfg(not(test))]
mod napi;
