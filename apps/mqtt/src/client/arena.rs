//! A compacting byte arena: variable-size entries packed back to back in a
//! caller buffer, plus an optional "front" blob before them. Removing an entry
//! shifts the later ones down (O(bytes)), so there is no fragmentation and no
//! heap.

use crate::codec::EncodeError;

#[derive(Copy, Clone, Debug)]
pub(crate) struct Slot<M> {
    pub(crate) off: usize,
    pub(crate) len: usize,
    pub(crate) meta: M,
}

/// Why an entry could not be added.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum ArenaError {
    /// No byte space or no entry slot left.
    Full,
    /// The encoder refused the content.
    Encode(EncodeError),
}

pub(crate) struct Arena<'a, M, const N: usize> {
    buf: &'a mut [u8],
    front: usize,
    entries: heapless::Vec<Slot<M>, N>,
}

impl<'a, M: Copy, const N: usize> Arena<'a, M, N> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Arena {
            buf,
            front: 0,
            entries: heapless::Vec::new(),
        }
    }

    fn used(&self) -> usize {
        self.entries
            .last()
            .map_or(self.front, |s| s.off.saturating_add(s.len))
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn slot(&self, i: usize) -> Option<Slot<M>> {
        self.entries.get(i).copied()
    }

    pub(crate) fn meta_mut(&mut self, i: usize) -> Option<&mut M> {
        self.entries.get_mut(i).map(|s| &mut s.meta)
    }

    pub(crate) fn bytes(&self, i: usize) -> &[u8] {
        match self.entries.get(i) {
            Some(s) => self.buf.get(s.off..s.off + s.len).unwrap_or_default(),
            None => &[],
        }
    }

    pub(crate) fn bytes_mut(&mut self, i: usize) -> &mut [u8] {
        match self.entries.get(i) {
            Some(s) => self.buf.get_mut(s.off..s.off + s.len).unwrap_or_default(),
            None => &mut [],
        }
    }

    /// All entry bytes, back to back.
    pub(crate) fn all_entries(&self) -> &[u8] {
        let used = self.used();
        self.buf.get(self.front..used).unwrap_or_default()
    }

    pub(crate) fn position(&self, f: impl Fn(&M) -> bool) -> Option<usize> {
        self.entries.iter().position(|s| f(&s.meta))
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Slot<M>> {
        self.entries.iter()
    }

    /// Appends an entry whose bytes `enc` writes into the free space.
    pub(crate) fn push(
        &mut self,
        meta: M,
        enc: impl FnOnce(&mut [u8]) -> Result<usize, EncodeError>,
    ) -> Result<usize, ArenaError> {
        let n = enc(self.free()?).map_err(encode_err)?;
        self.commit(meta, n)
    }

    /// The free space after the entries, if an entry slot is left.
    fn free(&mut self) -> Result<&mut [u8], ArenaError> {
        if self.entries.is_full() {
            return Err(ArenaError::Full);
        }
        let used = self.used();
        Ok(self.buf.get_mut(used..).unwrap_or_default())
    }

    /// Records the `n` bytes written into [`Arena::free`] as a new entry.
    fn commit(&mut self, meta: M, n: usize) -> Result<usize, ArenaError> {
        let used = self.used();
        self.entries
            .push(Slot {
                off: used,
                len: n,
                meta,
            })
            .map_err(|_| ArenaError::Full)?;
        Ok(self.entries.len() - 1)
    }

    /// Removes entry `i`, shifting later entries down.
    pub(crate) fn remove(&mut self, i: usize) {
        if i >= self.entries.len() {
            return;
        }
        let used = self.used();
        let s = self.entries.remove(i);
        let end = s.off + s.len;
        if end <= used && used <= self.buf.len() {
            self.buf.copy_within(end..used, s.off);
        }
        for later in self.entries.iter_mut().skip(i) {
            later.off -= s.len;
        }
    }

    /// Replaces the front blob with what `enc` writes. `enc` is called
    /// twice with the same result: once after the entries to learn the size,
    /// once at the front after they moved up.
    pub(crate) fn set_front(
        &mut self,
        enc: impl Fn(&mut [u8]) -> Result<usize, EncodeError>,
    ) -> Result<(), ArenaError> {
        self.clear_front();
        let used = self.used();
        let free = self.buf.get_mut(used..).unwrap_or_default();
        let n = enc(free).map_err(encode_err)?;
        let Some(region) = self.buf.get_mut(..used + n) else {
            return Err(ArenaError::Full);
        };
        region.copy_within(..used, n);
        let front = region.get_mut(..n).unwrap_or_default();
        let again = enc(front);
        for s in self.entries.iter_mut() {
            s.off += n;
        }
        self.front = n;
        if again != Ok(n) {
            // Not the same encoding: leave no half-written front.
            self.clear_front();
            return Err(ArenaError::Full);
        }
        Ok(())
    }

    pub(crate) fn front(&self) -> &[u8] {
        self.buf.get(..self.front).unwrap_or_default()
    }

    pub(crate) fn clear_front(&mut self) {
        let n = self.front;
        if n == 0 {
            return;
        }
        let used = self.used();
        if used <= self.buf.len() {
            self.buf.copy_within(n..used, 0);
        }
        for s in self.entries.iter_mut() {
            s.off -= n;
        }
        self.front = 0;
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.front = 0;
    }
}

/// An encoder's failure: running out of room means the arena is full.
fn encode_err(e: EncodeError) -> ArenaError {
    match e {
        EncodeError::BufferTooSmall { .. } => ArenaError::Full,
        other => ArenaError::Encode(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(b: &[u8]) -> impl Fn(&mut [u8]) -> Result<usize, EncodeError> + '_ {
        move |out: &mut [u8]| {
            if out.len() < b.len() {
                return Err(EncodeError::BufferTooSmall { needed: b.len() });
            }
            out[..b.len()].copy_from_slice(b);
            Ok(b.len())
        }
    }

    #[test]
    fn push_remove_front() {
        let mut mem = [0u8; 10];
        let mut a: Arena<'_, u8, 4> = Arena::new(&mut mem);
        a.push(1, put(b"abc")).unwrap();
        a.push(2, put(b"de")).unwrap();
        a.set_front(put(b"XY")).unwrap();
        assert_eq!(a.front(), b"XY");
        assert_eq!(a.bytes(0), b"abc");
        assert_eq!(a.push(3, put(b"toolong")), Err(ArenaError::Full));
        a.remove(0);
        assert_eq!(a.bytes(0), b"de");
        a.clear_front();
        assert_eq!(a.bytes(0), b"de");
        assert_eq!(a.all_entries(), b"de");
        a.push(4, put(b"fghijklm")).unwrap();
        assert_eq!(a.bytes(1), b"fghijklm");
        assert_eq!(a.len(), 2);
    }
}
