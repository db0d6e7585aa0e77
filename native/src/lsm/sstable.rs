//! Sorted string tables (FORMAT.md "Tables").
//!
//! ```text
//! data block 0 | trailer
//! ...
//! data block n | trailer
//! filter block | trailer     bloom filter over the table's user keys (bloom.rs format)
//! index block  | trailer     key = last internal key of data block i, value = its handle
//! footer (56 bytes)
//! ```
//! trailer (5 bytes): u8 compression (0 none, 1 zstd), u32 LE masked crc32c of the stored
//! block bytes followed by the compression byte. A zstd block is stored as
//! `varint32 raw_len ++ zstd frame`, and only when it saves at least 1/8 of the raw size.
//! A handle is `varint64 offset, varint64 size` (size excludes the trailer).
//!
//! footer: u64 filter offset, u64 filter size, u64 index offset, u64 index size,
//! u64 entry count, u32 format version (1), u32 masked crc32c of the previous 44 bytes,
//! 8 magic bytes "AiKvSST1". All integers little endian.

use super::block::{Block, BlockBuilder, BlockIter, KeyOrder};
use super::cache::BlockCache;
use super::error::{Error, Result};
use super::iter::InternalIterator;
use super::key;
use super::options::{Compression, Options};
use crate::bloom::{self, Bloom};
use crate::coding::{fixed32, fixed64, get_varint32, get_varint64, put_fixed32, put_fixed64, put_varint32, put_varint64};
use crate::{crc32c, zstd};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const BLOCK_TRAILER_LEN: usize = 5;
pub const FOOTER_LEN: usize = 56;
pub const MAGIC: &[u8; 8] = b"AiKvSST1";
pub const FORMAT_VERSION: u32 = 1;
pub const COMPRESSION_NONE: u8 = 0;
pub const COMPRESSION_ZSTD: u8 = 1;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockHandle {
    pub offset: u64,
    pub size: u64,
}

impl BlockHandle {
    pub fn encode(&self, dst: &mut Vec<u8>) {
        put_varint64(dst, self.offset);
        put_varint64(dst, self.size);
    }
    pub fn decode(src: &[u8]) -> Option<BlockHandle> {
        let mut p = 0;
        let offset = get_varint64(src, &mut p)?;
        let size = get_varint64(src, &mut p)?;
        Some(BlockHandle { offset, size })
    }
}

/// What a finished table looks like, for the manifest.
#[derive(Clone, Debug)]
pub struct TableSummary {
    pub size: u64,
    pub entries: u64,
    pub smallest: Vec<u8>,
    pub largest: Vec<u8>,
}

pub struct TableBuilder {
    w: BufWriter<File>,
    path: PathBuf,
    offset: u64,
    block_size: usize,
    compression: Compression,
    zstd_level: i32,
    bloom_bits_per_key: u32,
    data: BlockBuilder,
    index: BlockBuilder,
    hashes: Vec<u32>,
    last_key: Vec<u8>,
    smallest: Vec<u8>,
    entries: u64,
    scratch: Vec<u8>,
    /// Consecutive data blocks that zstd could not shrink enough; while high, only every
    /// 8th block is tried, so incompressible data does not pay for compression attempts.
    incompressible: u32,
    blocks: u64,
    last_block_compressed: bool,
}

impl TableBuilder {
    pub fn create(path: &Path, opts: &Options) -> Result<TableBuilder> {
        let f = OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| Error::io(format!("create {}", path.display()), e))?;
        Ok(TableBuilder {
            w: BufWriter::with_capacity(256 << 10, f),
            path: path.to_path_buf(),
            offset: 0,
            block_size: opts.block_size,
            compression: opts.compression,
            zstd_level: opts.zstd_level,
            bloom_bits_per_key: opts.bloom_bits_per_key,
            data: BlockBuilder::new(opts.block_restart_interval),
            index: BlockBuilder::new(1),
            hashes: Vec::new(),
            last_key: Vec::new(),
            smallest: Vec::new(),
            entries: 0,
            scratch: Vec::new(),
            incompressible: 0,
            blocks: 0,
            last_block_compressed: false,
        })
    }

    /// Adds an entry; internal keys must arrive in strictly increasing order.
    pub fn add(&mut self, ikey: &[u8], value: &[u8]) -> Result<()> {
        debug_assert!(self.entries == 0 || key::compare(&self.last_key, ikey) == std::cmp::Ordering::Less);
        let uk = key::user_key(ikey);
        if self.entries == 0 {
            self.smallest = ikey.to_vec();
        }
        // Versions of one user key are adjacent: hash each user key once.
        if self.entries == 0 || key::user_key(&self.last_key) != uk {
            self.hashes.push(bloom::key_hash(uk));
        }
        self.data.add(ikey, value);
        self.last_key.clear();
        self.last_key.extend_from_slice(ikey);
        self.entries += 1;
        if self.data.size_estimate() >= self.block_size {
            self.flush_data_block()?;
        }
        Ok(())
    }

    pub fn entries(&self) -> u64 {
        self.entries
    }

    pub fn file_size_estimate(&self) -> u64 {
        self.offset + self.data.size_estimate() as u64
    }

    fn flush_data_block(&mut self) -> Result<()> {
        if self.data.is_empty() {
            return Ok(());
        }
        let raw = self.data.finish();
        self.blocks += 1;
        let try_compress = self.compression == Compression::Zstd && (self.incompressible < 4 || self.blocks.is_multiple_of(8));
        let h = self.write_block(&raw, if try_compress { Compression::Zstd } else { Compression::None })?;
        if try_compress {
            self.incompressible = if self.last_block_compressed { 0 } else { self.incompressible + 1 };
        }
        self.scratch.clear();
        h.encode(&mut self.scratch);
        let v = std::mem::take(&mut self.scratch);
        self.index.add(&self.last_key, &v);
        self.scratch = v;
        Ok(())
    }

    fn write_block(&mut self, raw: &[u8], compression: Compression) -> Result<BlockHandle> {
        let mut stored: Vec<u8>;
        let mut ctype = COMPRESSION_NONE;
        let body: &[u8] = if compression == Compression::Zstd && raw.len() >= 64 {
            stored = Vec::with_capacity(raw.len() / 2 + 16);
            put_varint32(&mut stored, raw.len() as u32);
            zstd::compress_into(raw, self.zstd_level, &mut stored).map_err(Error::corruption)?;
            if stored.len() < raw.len() - raw.len() / 8 {
                ctype = COMPRESSION_ZSTD;
                &stored
            } else {
                raw
            }
        } else {
            raw
        };
        self.last_block_compressed = ctype == COMPRESSION_ZSTD;
        let handle = BlockHandle { offset: self.offset, size: body.len() as u64 };
        let crc = crc32c::mask(crc32c::extend(crc32c::crc32c(body), &[ctype]));
        let mut trailer = [0u8; BLOCK_TRAILER_LEN];
        trailer[0] = ctype;
        trailer[1..].copy_from_slice(&crc.to_le_bytes());
        self.w.write_all(body).and_then(|_| self.w.write_all(&trailer)).map_err(|e| Error::io(format!("write {}", self.path.display()), e))?;
        self.offset += (body.len() + BLOCK_TRAILER_LEN) as u64;
        Ok(handle)
    }

    /// Writes filter, index and footer, then fsyncs the file.
    pub fn finish(mut self) -> Result<TableSummary> {
        self.flush_data_block()?;
        let mut filter = Bloom::with_bits_per_key(self.hashes.len(), self.bloom_bits_per_key.max(1));
        for &h in &self.hashes {
            filter.add_hash(h);
        }
        let filter_bytes = filter.into_bytes();
        let fh = self.write_block(&filter_bytes, Compression::None)?;
        let index = self.index.finish();
        let ih = self.write_block(&index, Compression::None)?;
        let mut footer = Vec::with_capacity(FOOTER_LEN);
        put_fixed64(&mut footer, fh.offset);
        put_fixed64(&mut footer, fh.size);
        put_fixed64(&mut footer, ih.offset);
        put_fixed64(&mut footer, ih.size);
        put_fixed64(&mut footer, self.entries);
        put_fixed32(&mut footer, FORMAT_VERSION);
        let crc = crc32c::mask(crc32c::crc32c(&footer));
        put_fixed32(&mut footer, crc);
        footer.extend_from_slice(MAGIC);
        debug_assert_eq!(footer.len(), FOOTER_LEN);
        self.w.write_all(&footer).map_err(|e| Error::io(format!("write {}", self.path.display()), e))?;
        self.offset += FOOTER_LEN as u64;
        let f = self.w.into_inner().map_err(|e| Error::io(format!("write {}", self.path.display()), e.into_error()))?;
        f.sync_all().map_err(|e| Error::io(format!("fsync {}", self.path.display()), e))?;
        Ok(TableSummary { size: self.offset, entries: self.entries, smallest: self.smallest, largest: self.last_key })
    }

    /// Removes the partial file (compaction aborted or failed).
    pub fn abandon(self) {
        let path = self.path.clone();
        drop(self);
        let _ = std::fs::remove_file(path);
    }
}

pub struct Table {
    file: File,
    path: PathBuf,
    number: u64,
    size: u64,
    entries: u64,
    index: Arc<Block>,
    filter: Vec<u8>,
    cache: Arc<BlockCache>,
}

fn read_exact(file: &File, path: &Path, offset: u64, len: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, offset).map_err(|e| Error::io(format!("read {} at {offset}", path.display()), e))?;
    Ok(buf)
}

/// Reads one block and its trailer, checks the checksum, decompresses.
fn read_block_raw(file: &File, path: &Path, file_size: u64, h: BlockHandle) -> Result<Vec<u8>> {
    let end = h.offset.checked_add(h.size).and_then(|e| e.checked_add(BLOCK_TRAILER_LEN as u64));
    if end.is_none_or(|e| e > file_size) || h.size > u32::MAX as u64 {
        return Err(Error::corruption(format!("{}: block handle {}+{} out of range", path.display(), h.offset, h.size)));
    }
    let buf = read_exact(file, path, h.offset, h.size as usize + BLOCK_TRAILER_LEN)?;
    let n = h.size as usize;
    let ctype = buf[n];
    let stored = fixed32(&buf, n + 1);
    let crc = crc32c::extend(crc32c::crc32c(&buf[..n]), &[ctype]);
    if crc32c::unmask(stored) != crc {
        return Err(Error::corruption(format!("{}: block checksum mismatch at offset {}", path.display(), h.offset)));
    }
    match ctype {
        COMPRESSION_NONE => {
            let mut buf = buf;
            buf.truncate(n);
            Ok(buf)
        }
        COMPRESSION_ZSTD => {
            let mut p = 0;
            let raw_len = get_varint32(&buf[..n], &mut p).ok_or_else(|| Error::corruption(format!("{}: bad compressed block header", path.display())))?;
            zstd::decompress(&buf[p..n], raw_len as usize).map_err(|e| Error::corruption(format!("{}: {e}", path.display())))
        }
        t => Err(Error::corruption(format!("{}: unknown block compression {t}", path.display()))),
    }
}

impl Table {
    pub fn open(path: &Path, number: u64, cache: Arc<BlockCache>) -> Result<Table> {
        let file = File::open(path).map_err(|e| Error::io(format!("open {}", path.display()), e))?;
        let size = file.metadata().map_err(|e| Error::io(format!("stat {}", path.display()), e))?.len();
        if size < FOOTER_LEN as u64 {
            return Err(Error::corruption(format!("{}: file too short for a table ({size} bytes)", path.display())));
        }
        let footer = read_exact(&file, path, size - FOOTER_LEN as u64, FOOTER_LEN)?;
        if &footer[48..56] != MAGIC {
            return Err(Error::corruption(format!("{}: bad table magic", path.display())));
        }
        if crc32c::unmask(fixed32(&footer, 44)) != crc32c::crc32c(&footer[..44]) {
            return Err(Error::corruption(format!("{}: footer checksum mismatch", path.display())));
        }
        let version = fixed32(&footer, 40);
        if version != FORMAT_VERSION {
            return Err(Error::corruption(format!("{}: unsupported table format version {version}", path.display())));
        }
        let fh = BlockHandle { offset: fixed64(&footer, 0), size: fixed64(&footer, 8) };
        let ih = BlockHandle { offset: fixed64(&footer, 16), size: fixed64(&footer, 24) };
        let entries = fixed64(&footer, 32);
        let filter = read_block_raw(&file, path, size, fh)?;
        bloom::validate(&filter).map_err(|e| Error::corruption(format!("{}: filter: {e}", path.display())))?;
        let index = Arc::new(Block::new(read_block_raw(&file, path, size, ih)?).map_err(|e| e.context(path.display()))?);
        Ok(Table { file, path: path.to_path_buf(), number, size, entries, index, filter, cache })
    }

    pub fn number(&self) -> u64 {
        self.number
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn entries(&self) -> u64 {
        self.entries
    }

    pub fn memory_usage(&self) -> usize {
        self.index.size() + self.filter.len()
    }

    pub fn may_contain_hash(&self, h: u32) -> bool {
        bloom::may_contain_hash(&self.filter, h)
    }

    pub fn read_block(&self, h: BlockHandle, fill_cache: bool) -> Result<Arc<Block>> {
        if let Some(b) = self.cache.get(self.number, h.offset) {
            return Ok(b);
        }
        let raw = read_block_raw(&self.file, &self.path, self.size, h)?;
        let b = Arc::new(Block::new(raw).map_err(|e| e.context(format!("{} block at {}", self.path.display(), h.offset)))?);
        if fill_cache {
            self.cache.insert(self.number, h.offset, b.clone());
        }
        Ok(b)
    }

    /// Calls `f` with the first entry whose internal key is >= `lookup` (the caller checks
    /// whether it belongs to the wanted user key). `hash` is the bloom hash of the user key;
    /// None without reading anything when the filter rules the key out.
    pub fn get<R>(self: &Arc<Self>, lookup: &[u8], hash: u32, f: impl FnOnce(&[u8], &[u8]) -> R) -> Result<Option<R>> {
        if !self.may_contain_hash(hash) {
            return Ok(None);
        }
        let mut it = TableIter::new(self.clone(), true);
        it.seek(lookup);
        it.status()?;
        Ok(if it.valid() { Some(f(it.key(), it.value())) } else { None })
    }
}

/// Two-level iterator: index block -> data block.
pub struct TableIter {
    table: Arc<Table>,
    index: BlockIter,
    data: Option<BlockIter>,
    fill_cache: bool,
    err: Option<Error>,
}

impl TableIter {
    pub fn new(table: Arc<Table>, fill_cache: bool) -> TableIter {
        let index = BlockIter::new(table.index.clone(), KeyOrder::Internal);
        TableIter { table, index, data: None, fill_cache, err: None }
    }

    fn load_data_block(&mut self) -> bool {
        self.data = None;
        if !self.index.valid() {
            if let Err(e) = self.index.status() {
                self.err = Some(e);
            }
            return false;
        }
        let Some(h) = BlockHandle::decode(self.index.value()) else {
            self.err = Some(Error::corruption(format!("{}: bad block handle in index", self.table.path.display())));
            return false;
        };
        match self.table.read_block(h, self.fill_cache) {
            Ok(b) => {
                self.data = Some(BlockIter::new(b, KeyOrder::Internal));
                true
            }
            Err(e) => {
                self.err = Some(e);
                false
            }
        }
    }

    /// Moves past exhausted data blocks to the first entry of the next non-empty block.
    fn skip_empty_blocks(&mut self) {
        loop {
            match &self.data {
                Some(d) if d.valid() => return,
                Some(d) => {
                    if let Err(e) = d.status() {
                        self.err = Some(e.context(self.table.path.display()));
                        self.data = None;
                        return;
                    }
                }
                None => return,
            }
            self.index.next();
            if !self.load_data_block() {
                return;
            }
            self.data.as_mut().unwrap().seek_to_first();
        }
    }
}

impl InternalIterator for TableIter {
    fn valid(&self) -> bool {
        self.err.is_none() && self.data.as_ref().is_some_and(|d| d.valid())
    }
    fn seek_to_first(&mut self) {
        if self.err.is_some() {
            return;
        }
        self.index.seek_to_first();
        if self.load_data_block() {
            self.data.as_mut().unwrap().seek_to_first();
        }
        self.skip_empty_blocks();
    }
    fn seek(&mut self, target: &[u8]) {
        if self.err.is_some() {
            return;
        }
        self.index.seek(target);
        if self.load_data_block() {
            self.data.as_mut().unwrap().seek(target);
        }
        self.skip_empty_blocks();
    }
    fn next(&mut self) {
        if let Some(d) = self.data.as_mut() {
            d.next();
            self.skip_empty_blocks();
        }
    }
    fn key(&self) -> &[u8] {
        self.data.as_ref().expect("valid").key()
    }
    fn value(&self) -> &[u8] {
        self.data.as_ref().expect("valid").value()
    }
    fn status(&self) -> Result<()> {
        match &self.err {
            Some(e) => Err(e.clone()),
            None => self.index.status(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsm::key::{internal_key, lookup_key, TYPE_VALUE};

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("aikv-sst-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn build(path: &Path, n: usize, opts: &Options) -> TableSummary {
        let mut b = TableBuilder::create(path, opts).unwrap();
        for i in 0..n {
            let v = format!("value-{i}-{}", "x".repeat(i % 50));
            b.add(&internal_key(format!("key{i:06}").as_bytes(), i as u64 + 1, TYPE_VALUE), v.as_bytes()).unwrap();
        }
        b.finish().unwrap()
    }

    #[test]
    fn build_and_read_both_compressions() {
        let d = tmp("rw");
        for (i, c) in [Compression::None, Compression::Zstd].into_iter().enumerate() {
            let opts = Options { compression: c, block_size: 1024, ..Options::default() };
            let p = d.join(format!("{i}.sst"));
            let s = build(&p, 5000, &opts);
            assert_eq!(s.entries, 5000);
            assert_eq!(key::user_key(&s.smallest), b"key000000");
            assert_eq!(key::user_key(&s.largest), b"key004999");
            let cache = Arc::new(BlockCache::new(1 << 20));
            let t = Arc::new(Table::open(&p, i as u64, cache).unwrap());
            assert_eq!(t.entries(), 5000);
            let mut it = TableIter::new(t.clone(), true);
            it.seek_to_first();
            let mut n = 0;
            while it.valid() {
                assert_eq!(key::user_key(it.key()), format!("key{n:06}").as_bytes());
                n += 1;
                it.next();
            }
            it.status().unwrap();
            assert_eq!(n, 5000);
            for i in (0..5000).step_by(37) {
                let uk = format!("key{i:06}");
                let (k, v) = t.get(&lookup_key(uk.as_bytes(), u64::MAX >> 8), bloom::key_hash(uk.as_bytes()), |k, v| (k.to_vec(), v.to_vec())).unwrap().unwrap();
                assert_eq!(key::user_key(&k), uk.as_bytes());
                assert!(v.starts_with(format!("value-{i}-").as_bytes()));
            }
            let misses = (0..1000).filter(|i| t.may_contain_hash(bloom::key_hash(format!("nokey{i}").as_bytes()))).count();
            assert!(misses < 50, "bloom let through {misses}");
        }
        let plain = std::fs::metadata(d.join("0.sst")).unwrap().len();
        let packed = std::fs::metadata(d.join("1.sst")).unwrap().len();
        assert!(packed < plain / 2, "zstd {packed} vs none {plain}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn footer_pinned_and_corruption_detected() {
        let d = tmp("corrupt");
        let p = d.join("t.sst");
        build(&p, 2000, &Options { block_size: 512, ..Options::default() });
        let good = std::fs::read(&p).unwrap();
        assert_eq!(&good[good.len() - 8..], b"AiKvSST1");
        assert_eq!(fixed32(&good, good.len() - 16), 1, "format version");
        let cache = Arc::new(BlockCache::new(1 << 20));
        // Any flipped byte is either caught at open (footer/index/filter) or on read (data).
        let mut seed = 99u64;
        for _ in 0..300 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let pos = (seed >> 33) as usize % good.len();
            let mut bad = good.clone();
            bad[pos] ^= 1 << ((seed >> 20) % 8);
            std::fs::write(&p, &bad).unwrap();
            match Table::open(&p, 1000 + pos as u64, cache.clone()) {
                Err(e) => assert!(matches!(e.kind, crate::lsm::error::ErrorKind::Corruption), "{e}"),
                Ok(t) => {
                    let mut it = TableIter::new(Arc::new(t), false);
                    it.seek_to_first();
                    let mut n = 0;
                    while it.valid() {
                        n += 1;
                        it.next();
                    }
                    assert!(n == 2000 || it.status().is_err(), "flip at {pos} went unnoticed");
                }
            }
        }
        // Truncation is caught at open.
        for cut in [0, 10, good.len() / 2, good.len() - 1] {
            std::fs::write(&p, &good[..cut]).unwrap();
            assert!(Table::open(&p, 5000 + cut as u64, cache.clone()).is_err());
        }
        std::fs::remove_dir_all(&d).unwrap();
    }
}
