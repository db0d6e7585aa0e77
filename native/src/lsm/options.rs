//! Open options. Defaults are sized for a server that checkpoints into the LSM in the
//! background: 32 MiB memtables, 8 KiB zstd blocks, 10 bloom bits per key, leveled compaction
//! with a 64 MiB L1 and a 10x fan-out.

use super::error::{Error, Result};

pub const NUM_LEVELS: usize = 7;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncMode {
    /// fsync the WAL after every write group (every acknowledged write is durable).
    Always,
    /// fsync the WAL every `sync_interval_ms` from a background thread.
    Periodic,
    /// never fsync the WAL explicitly (the OS writes it back); tables are still fsynced.
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Zstd,
}

/// Compaction filter hook: decides that a stored value is dead (for example, expired).
///
/// A dead value behaves exactly like a deletion: reads skip it (without falling back to an
/// older version), and compaction turns it into a tombstone or, where nothing older can exist
/// below, drops it. Because reads apply the same predicate, what a reader sees never depends
/// on whether a compaction has run yet. Implementations must be cheap and deterministic for a
/// given `now_ms`.
pub trait CompactionFilter: Send + Sync + std::fmt::Debug {
    /// Short name, shown in errors and stats.
    fn name(&self) -> &'static str;
    /// True if the value of `user_key` is dead at `now_ms` (Unix milliseconds).
    fn is_dead(&self, user_key: &[u8], value: &[u8], now_ms: u64) -> bool;
}

#[derive(Clone, Debug)]
pub struct Options {
    pub create_if_missing: bool,
    pub error_if_exists: bool,
    pub write_buffer_size: usize,
    pub sync: SyncMode,
    pub sync_interval_ms: u64,
    pub block_size: usize,
    pub block_restart_interval: usize,
    pub compression: Compression,
    pub zstd_level: i32,
    pub bloom_bits_per_key: u32,
    pub block_cache_size: usize,
    pub target_file_size: u64,
    pub max_bytes_for_level_base: u64,
    pub level_multiplier: u64,
    pub l0_compaction_trigger: usize,
    pub l0_slowdown_trigger: usize,
    pub l0_stop_trigger: usize,
    /// Optional compaction filter (see `CompactionFilter`); `expiry::ExpiryFilter` is the one
    /// the JS option `compactionFilter: "expiry"` selects.
    pub compaction_filter: Option<std::sync::Arc<dyn CompactionFilter>>,
    /// Upper bound on bytes taken into one write group (group commit).
    pub max_write_group_bytes: usize,
    /// Rewrite the manifest from a snapshot when it grows past this size.
    pub max_manifest_size: u64,
    /// Nice value (0..=19) for the flush and compaction threads (Linux): background work
    /// yields the CPU to the JS thread. 0 leaves them at normal priority.
    pub background_nice: i32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            create_if_missing: true,
            error_if_exists: false,
            write_buffer_size: 32 << 20,
            sync: SyncMode::None,
            sync_interval_ms: 1000,
            block_size: 8 << 10,
            block_restart_interval: 16,
            compression: Compression::Zstd,
            zstd_level: 1,
            bloom_bits_per_key: 10,
            block_cache_size: 64 << 20,
            target_file_size: 32 << 20,
            max_bytes_for_level_base: 64 << 20,
            level_multiplier: 10,
            l0_compaction_trigger: 4,
            l0_slowdown_trigger: 8,
            l0_stop_trigger: 12,
            compaction_filter: None,
            max_write_group_bytes: 1 << 20,
            max_manifest_size: 64 << 20,
            background_nice: 10,
        }
    }
}

impl Options {
    pub fn validate(&self) -> Result<()> {
        let check = |ok: bool, what: &str| if ok { Ok(()) } else { Err(Error::invalid(what.to_string())) };
        check(self.write_buffer_size >= 64 << 10, "writeBufferSize must be at least 64 KiB")?;
        check(self.block_size >= 256 && self.block_size <= 16 << 20, "blockSize must be between 256 B and 16 MiB")?;
        check(self.block_restart_interval >= 1 && self.block_restart_interval <= 1024, "blockRestartInterval must be between 1 and 1024")?;
        check((-7..=22).contains(&self.zstd_level), "zstdLevel must be between -7 and 22")?;
        check(self.bloom_bits_per_key <= 64, "bloomBitsPerKey must be at most 64")?;
        check(self.target_file_size >= 64 << 10, "targetFileSize must be at least 64 KiB")?;
        check(self.max_bytes_for_level_base >= 256 << 10, "maxBytesForLevelBase must be at least 256 KiB")?;
        check(self.level_multiplier >= 2 && self.level_multiplier <= 100, "levelMultiplier must be between 2 and 100")?;
        check(self.l0_compaction_trigger >= 1, "l0CompactionTrigger must be at least 1")?;
        check(
            self.l0_slowdown_trigger >= self.l0_compaction_trigger && self.l0_stop_trigger >= self.l0_slowdown_trigger,
            "L0 triggers must satisfy compaction <= slowdown <= stop",
        )?;
        check(self.l0_stop_trigger <= 64, "l0StopTrigger must be at most 64")?;
        check((0..=19).contains(&self.background_nice), "backgroundNice must be between 0 and 19")?;
        check(self.sync_interval_ms >= 1 && self.sync_interval_ms <= 3_600_000, "syncIntervalMs must be between 1 and 3600000")?;
        Ok(())
    }

    pub fn max_bytes_for_level(&self, level: usize) -> u64 {
        let mut r = self.max_bytes_for_level_base;
        for _ in 1..level {
            r = r.saturating_mul(self.level_multiplier);
        }
        r
    }
}
