//! Block cache: a sharded LRU of decoded data blocks keyed by (table number, block offset),
//! limited by the total byte size of the cached blocks. Table numbers are never reused, so
//! blocks of deleted tables simply age out.

use super::block::Block;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const SHARDS: usize = 16;
const NIL: usize = usize::MAX;

type Key = (u64, u64);

/// Multiply-xorshift hasher for (table, offset) keys: SipHash's DoS resistance buys nothing
/// for keys the process generates itself, and it dominated cache lookups.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

type KeyMap = HashMap<Key, usize, BuildHasherDefault<KeyHasher>>;

struct Node {
    key: Key,
    /// None while the slot is on the free list (the evicted block is released at once).
    value: Option<Arc<Block>>,
    charge: usize,
    prev: usize,
    next: usize,
}

/// One LRU list in a slab: `head` is the most recently used entry.
struct Shard {
    map: KeyMap,
    nodes: Vec<Node>,
    free: Vec<usize>,
    head: usize,
    tail: usize,
    usage: usize,
    capacity: usize,
}

impl Shard {
    fn new(capacity: usize) -> Shard {
        Shard { map: KeyMap::default(), nodes: Vec::new(), free: Vec::new(), head: NIL, tail: NIL, usage: 0, capacity }
    }

    fn unlink(&mut self, i: usize) {
        let (p, n) = (self.nodes[i].prev, self.nodes[i].next);
        if p != NIL { self.nodes[p].next = n; } else { self.head = n; }
        if n != NIL { self.nodes[n].prev = p; } else { self.tail = p; }
    }

    fn push_front(&mut self, i: usize) {
        self.nodes[i].prev = NIL;
        self.nodes[i].next = self.head;
        if self.head != NIL {
            self.nodes[self.head].prev = i;
        }
        self.head = i;
        if self.tail == NIL {
            self.tail = i;
        }
    }

    fn get(&mut self, key: &Key) -> Option<Arc<Block>> {
        let i = *self.map.get(key)?;
        self.unlink(i);
        self.push_front(i);
        self.nodes[i].value.clone()
    }

    fn insert(&mut self, key: Key, value: Arc<Block>, charge: usize) {
        if charge > self.capacity {
            return; // would evict everything and still not fit
        }
        if let Some(&i) = self.map.get(&key) {
            self.unlink(i);
            self.usage -= self.nodes[i].charge;
            self.nodes[i].value = Some(value);
            self.nodes[i].charge = charge;
            self.usage += charge;
            self.push_front(i);
        } else {
            let node = Node { key, value: Some(value), charge, prev: NIL, next: NIL };
            let i = match self.free.pop() {
                Some(i) => {
                    self.nodes[i] = node;
                    i
                }
                None => {
                    self.nodes.push(node);
                    self.nodes.len() - 1
                }
            };
            self.map.insert(key, i);
            self.usage += charge;
            self.push_front(i);
        }
        while self.usage > self.capacity && self.tail != NIL {
            let t = self.tail;
            self.unlink(t);
            self.usage -= self.nodes[t].charge;
            let k = self.nodes[t].key;
            self.map.remove(&k);
            self.nodes[t].value = None;
            self.free.push(t);
        }
    }
}

pub struct BlockCache {
    shards: Vec<Mutex<Shard>>,
    capacity: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl BlockCache {
    pub fn new(capacity: usize) -> BlockCache {
        let per = capacity.div_ceil(SHARDS);
        BlockCache { shards: (0..SHARDS).map(|_| Mutex::new(Shard::new(per))).collect(), capacity, hits: AtomicU64::new(0), misses: AtomicU64::new(0) }
    }

    fn shard(&self, key: &Key) -> &Mutex<Shard> {
        let h = key.0.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ key.1.wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
        &self.shards[(h >> 59) as usize % SHARDS]
    }

    pub fn get(&self, table: u64, offset: u64) -> Option<Arc<Block>> {
        let key = (table, offset);
        let r = self.shard(&key).lock().unwrap_or_else(|p| p.into_inner()).get(&key);
        if r.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        } else {
            self.misses.fetch_add(1, Ordering::Relaxed);
        }
        r
    }

    pub fn insert(&self, table: u64, offset: u64, block: Arc<Block>) {
        let key = (table, offset);
        let charge = block.size() + 64;
        self.shard(&key).lock().unwrap_or_else(|p| p.into_inner()).insert(key, block, charge);
    }

    pub fn usage(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).usage).sum()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blk(n: usize) -> Arc<Block> {
        let mut d = vec![0u8; n];
        d.extend_from_slice(&[0, 0, 0, 0, 1, 0, 0, 0]);
        Arc::new(Block::new(d).unwrap())
    }

    #[test]
    fn lru_eviction_and_limits() {
        let mut s = Shard::new(1000);
        for i in 0..10 {
            s.insert((1, i), blk(100), 200);
        }
        assert!(s.usage <= 1000);
        assert_eq!(s.map.len(), 5);
        assert!(s.get(&(1, 9)).is_some());
        assert!(s.get(&(1, 0)).is_none());
        // Touch 5 so it survives the next insert; 6 becomes least recently used.
        assert!(s.get(&(1, 5)).is_some());
        s.insert((2, 0), blk(10), 200);
        assert!(s.get(&(1, 5)).is_some());
        assert!(s.get(&(1, 6)).is_none());
        s.insert((3, 0), blk(10), 5000);
        assert!(s.get(&(3, 0)).is_none());
        s.insert((2, 0), blk(10), 100);
        assert_eq!(s.usage, 100 + 200 * 4);
    }

    #[test]
    fn sharded_counts() {
        let c = BlockCache::new(1 << 20);
        assert!(c.get(1, 1).is_none());
        c.insert(1, 1, blk(100));
        assert!(c.get(1, 1).is_some());
        assert_eq!((c.hits(), c.misses()), (1, 1));
        assert!(c.usage() > 100);
    }
}
