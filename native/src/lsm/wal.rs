//! Record log used by the WAL (one record per write batch) and by the manifest (one record
//! per version edit).
//!
//! Record framing (FORMAT.md "Log records"):
//! ```text
//! 0  u32  masked crc32c of (bytes 4..8 ++ payload)  (LE)
//! 4  u32  payload length n                           (LE)
//! 8  n bytes payload
//! ```
//! The checksum covers the length, so a torn or zero-filled tail is detected: reading stops at
//! the first record that is incomplete or fails its checksum, and everything before it is the
//! recovered prefix.

use super::error::{Error, Result};
use crate::crc32c;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const RECORD_HEADER_LEN: usize = 8;
/// Payloads are limited so a length read from a damaged header cannot make us allocate wildly.
pub const MAX_RECORD_LEN: usize = u32::MAX as usize - RECORD_HEADER_LEN;

pub fn encode_record(dst: &mut Vec<u8>, payload: &[u8]) {
    let len = (payload.len() as u32).to_le_bytes();
    let crc = crc32c::mask(crc32c::extend(crc32c::crc32c(&len), payload));
    dst.extend_from_slice(&crc.to_le_bytes());
    dst.extend_from_slice(&len);
    dst.extend_from_slice(payload);
}

pub struct LogWriter {
    file: Arc<File>,
    path: PathBuf,
    offset: u64,
    buf: Vec<u8>,
}

impl LogWriter {
    /// Creates a new, empty log file (fails if it exists: log numbers are never reused).
    pub fn create(path: &Path) -> Result<LogWriter> {
        let file = OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| Error::io(format!("create {}", path.display()), e))?;
        Ok(LogWriter { file: Arc::new(file), path: path.to_path_buf(), offset: 0, buf: Vec::new() })
    }

    /// Appends all payloads with a single write(2): the group-commit unit.
    pub fn add_records(&mut self, payloads: &[&[u8]]) -> Result<()> {
        self.buf.clear();
        for p in payloads {
            if p.len() > MAX_RECORD_LEN {
                return Err(Error::invalid(format!("log record of {} bytes is too large", p.len())));
            }
            encode_record(&mut self.buf, p);
        }
        (&*self.file).write_all(&self.buf).map_err(|e| Error::io(format!("write {}", self.path.display()), e))?;
        self.offset += self.buf.len() as u64;
        if self.buf.capacity() > 4 << 20 {
            self.buf = Vec::new();
        }
        Ok(())
    }

    pub fn sync(&self) -> Result<()> {
        self.file.sync_data().map_err(|e| Error::io(format!("fsync {}", self.path.display()), e))
    }

    /// Shared handle for the periodic syncer (fsync needs no exclusive access).
    pub fn file(&self) -> Arc<File> {
        self.file.clone()
    }

    pub fn len(&self) -> u64 {
        self.offset
    }

    pub fn is_empty(&self) -> bool {
        self.offset == 0
    }
}

/// Result of reading a log file.
pub struct LogContents {
    pub data: Vec<u8>,
    /// Payload ranges into `data`, in file order.
    pub records: Vec<std::ops::Range<usize>>,
    /// Length of the valid prefix (offset just past the last good record).
    pub valid_len: usize,
    /// Why reading stopped before the end of the file, if it did.
    pub tail_error: Option<String>,
}

impl LogContents {
    pub fn payload(&self, i: usize) -> &[u8] {
        &self.data[self.records[i].clone()]
    }
}

pub fn read_log(path: &Path) -> Result<LogContents> {
    let data = std::fs::read(path).map_err(|e| Error::io(format!("read {}", path.display()), e))?;
    Ok(parse_log(data))
}

pub fn parse_log(data: Vec<u8>) -> LogContents {
    let mut records = Vec::new();
    let mut pos = 0usize;
    let mut tail_error = None;
    while pos < data.len() {
        if data.len() - pos < RECORD_HEADER_LEN {
            tail_error = Some(format!("truncated record header at offset {pos}"));
            break;
        }
        let stored = u32::from_le_bytes(data[pos..pos + 4].try_into().unwrap());
        let len = u32::from_le_bytes(data[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let start = pos + RECORD_HEADER_LEN;
        if len > data.len() - start {
            tail_error = Some(format!("truncated record at offset {pos} (length {len})"));
            break;
        }
        let crc = crc32c::extend(crc32c::crc32c(&data[pos + 4..pos + 8]), &data[start..start + len]);
        if crc32c::unmask(stored) != crc {
            tail_error = Some(format!("checksum mismatch in record at offset {pos}"));
            break;
        }
        records.push(start..start + len);
        pos = start + len;
    }
    LogContents { data, records, valid_len: pos, tail_error }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("aikv-wal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn write_read_and_torn_tails() {
        let d = tmpdir("rw");
        let p = d.join("000001.wal");
        let mut w = LogWriter::create(&p).unwrap();
        w.add_records(&[b"one", b"", b"three"]).unwrap();
        w.add_records(&[&vec![7u8; 100_000]]).unwrap();
        w.sync().unwrap();
        let c = read_log(&p).unwrap();
        assert_eq!(c.records.len(), 4);
        assert_eq!(c.payload(0), b"one");
        assert_eq!(c.payload(1), b"");
        assert_eq!(c.payload(2), b"three");
        assert!(c.tail_error.is_none());
        let full = std::fs::read(&p).unwrap();
        // Every truncation point recovers exactly the records that are complete.
        let ends: Vec<usize> = c.records.iter().map(|r| r.end).collect();
        for cut in 0..full.len().min(60) {
            let r = parse_log(full[..cut].to_vec());
            assert_eq!(r.records.len(), ends.iter().filter(|&&e| e <= cut).count(), "cut {cut}");
        }
        let r = parse_log(full[..full.len() - 1].to_vec());
        assert_eq!(r.records.len(), 3);
        assert!(r.tail_error.is_some());
        // Zero-filled tail (file extended but data not written) is not a record.
        let mut z = full.clone();
        z.extend_from_slice(&[0u8; 64]);
        let r = parse_log(z);
        assert_eq!(r.records.len(), 4);
        assert!(r.tail_error.is_some());
        // A flipped payload bit stops reading at that record.
        let mut f = full.clone();
        f[c.records[2].start] ^= 1;
        let r = parse_log(f);
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.valid_len, c.records[1].end);
        // Framing pinned: crc, len=3, "one".
        assert_eq!(&full[4..11], &[3, 0, 0, 0, b'o', b'n', b'e']);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
