//! A leveled LSM tree: WAL + memtable in front, sorted block-based tables behind, background
//! flush and compaction. See native/FORMAT.md for every on-disk byte.

pub mod batch;
pub mod block;
pub mod cache;
pub mod compaction;
pub mod db;
pub mod error;
pub mod expiry;
pub mod iter;
pub mod key;
pub mod manifest;
pub mod memtable;
pub mod options;
pub mod sstable;
pub mod submit;
pub mod version;
pub mod wal;

#[cfg(test)]
mod tests;

pub use db::{Db, DbInner, DbIterator, IterOptions};
pub use error::{Error, ErrorKind, Result};
pub use options::{CompactionFilter, Compression, Options, SyncMode};
