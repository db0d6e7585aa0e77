//! The manifest: a record log (wal.rs framing) of version edits, and `CURRENT`, a one-line
//! file naming the live manifest. A new manifest starts with a snapshot edit of the whole
//! state and becomes live only when `CURRENT` is atomically renamed into place, so a crash at
//! any point leaves either the old or the new manifest in effect. Edits are fsynced before the
//! DB acts on them (e.g. deletes the files they retire).

use super::error::{Error, Result};
use super::options::NUM_LEVELS;
use super::version::{manifest_file_name, NewFile, VersionEdit};
use super::wal::{read_log, LogWriter};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;

pub const CURRENT: &str = "CURRENT";

/// State rebuilt by replaying a manifest.
#[derive(Debug, Default)]
pub struct Recovered {
    pub manifest_number: u64,
    pub log_number: u64,
    pub next_file_number: u64,
    pub last_sequence: u64,
    pub compact_pointers: Vec<Vec<u8>>,
    pub files: Vec<BTreeMap<u64, NewFile>>,
    /// Set when the manifest ended in a torn record (ignored: its edit was never acted on).
    pub tail_error: Option<String>,
}

pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|f| f.sync_all()).map_err(|e| Error::io(format!("fsync directory {}", dir.display()), e))
}

/// Name of the live manifest, or None for a directory without a database.
pub fn read_current(dir: &Path) -> Result<Option<String>> {
    let p = dir.join(CURRENT);
    match std::fs::read(&p) {
        Ok(b) => {
            let s = String::from_utf8(b).map_err(|_| Error::corruption("CURRENT is not valid text"))?;
            let name = s.strip_suffix('\n').ok_or_else(|| Error::corruption("CURRENT is not newline-terminated"))?;
            if !name.starts_with("MANIFEST-") || name.contains('/') {
                return Err(Error::corruption(format!("CURRENT names {name:?}, not a manifest")));
            }
            Ok(Some(name.to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("read {}", p.display()), e)),
    }
}

pub fn replay(dir: &Path, name: &str) -> Result<Recovered> {
    let number: u64 = name["MANIFEST-".len()..].parse().map_err(|_| Error::corruption(format!("bad manifest name {name:?}")))?;
    let contents = read_log(&dir.join(name))?;
    let mut r = Recovered { manifest_number: number, compact_pointers: vec![Vec::new(); NUM_LEVELS], files: vec![BTreeMap::new(); NUM_LEVELS], ..Default::default() };
    let (mut have_log, mut have_next, mut have_seq) = (false, false, false);
    for i in 0..contents.records.len() {
        let e = VersionEdit::decode(contents.payload(i)).map_err(|e| e.context(name))?;
        if let Some(v) = e.log_number {
            r.log_number = v;
            have_log = true;
        }
        if let Some(v) = e.next_file_number {
            r.next_file_number = v;
            have_next = true;
        }
        if let Some(v) = e.last_sequence {
            r.last_sequence = v;
            have_seq = true;
        }
        for (l, k) in e.compact_pointers {
            r.compact_pointers[l] = k;
        }
        for (l, n) in e.deleted {
            r.files[l].remove(&n);
        }
        for (l, f) in e.added {
            r.files[l].insert(f.number, f);
        }
    }
    if !(have_log && have_next && have_seq) {
        return Err(Error::corruption(format!("{name}: no snapshot record (log number, next file, last sequence)")));
    }
    r.tail_error = contents.tail_error;
    Ok(r)
}

pub struct Manifest {
    pub number: u64,
    log: LogWriter,
}

impl Manifest {
    /// Writes a new manifest holding `snapshot`, fsyncs it, then points CURRENT at it.
    pub fn create(dir: &Path, number: u64, snapshot: &VersionEdit) -> Result<Manifest> {
        let name = manifest_file_name(number);
        let mut log = LogWriter::create(&dir.join(&name))?;
        log.add_records(&[&snapshot.encode()])?;
        log.sync()?;
        let tmp = dir.join(format!("{number:06}.dbtmp"));
        {
            let mut f = File::create(&tmp).map_err(|e| Error::io(format!("create {}", tmp.display()), e))?;
            f.write_all(format!("{name}\n").as_bytes()).and_then(|_| f.sync_all()).map_err(|e| Error::io(format!("write {}", tmp.display()), e))?;
        }
        std::fs::rename(&tmp, dir.join(CURRENT)).map_err(|e| Error::io("rename CURRENT", e))?;
        sync_dir(dir)?;
        Ok(Manifest { number, log })
    }

    /// Appends an edit and fsyncs it.
    pub fn append(&mut self, edit: &VersionEdit) -> Result<()> {
        self.log.add_records(&[&edit.encode()])?;
        self.log.sync()
    }

    pub fn size(&self) -> u64 {
        self.log.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsm::key::internal_key;

    #[test]
    fn create_append_replay_torn() {
        let d = std::env::temp_dir().join(format!("aikv-manifest-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        assert_eq!(read_current(&d).unwrap(), None);
        let snap = VersionEdit { log_number: Some(3), next_file_number: Some(5), last_sequence: Some(0), ..Default::default() };
        let mut m = Manifest::create(&d, 4, &snap).unwrap();
        let f = NewFile { number: 5, size: 100, entries: 1, smallest: internal_key(b"a", 1, 1), largest: internal_key(b"b", 2, 1) };
        m.append(&VersionEdit { added: vec![(0, f.clone())], next_file_number: Some(6), last_sequence: Some(2), ..Default::default() }).unwrap();
        m.append(&VersionEdit { deleted: vec![(0, 5)], added: vec![(1, f.clone())], ..Default::default() }).unwrap();
        assert_eq!(read_current(&d).unwrap().as_deref(), Some("MANIFEST-000004"));
        let r = replay(&d, "MANIFEST-000004").unwrap();
        assert_eq!((r.log_number, r.next_file_number, r.last_sequence), (3, 6, 2));
        assert!(r.files[0].is_empty());
        assert_eq!(r.files[1].get(&5), Some(&f));
        // Tear the last edit: replay ends with the file still in level 0.
        let p = d.join("MANIFEST-000004");
        let len = std::fs::metadata(&p).unwrap().len();
        let data = std::fs::read(&p).unwrap();
        std::fs::write(&p, &data[..len as usize - 3]).unwrap();
        let r = replay(&d, "MANIFEST-000004").unwrap();
        assert!(r.tail_error.is_some());
        assert!(r.files[1].is_empty());
        assert_eq!(r.files[0].get(&5), Some(&f));
        std::fs::write(d.join(CURRENT), b"garbage").unwrap();
        assert!(read_current(&d).is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
