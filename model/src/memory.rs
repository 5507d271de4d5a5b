//! Guest memory as seen by the simulated TDX module.

/// Guest physical memory the module reads and writes on behalf of a leaf.
///
/// The model calls it with the GPA *without* the shared bit (TDG.MR.REPORT accepts shared
/// GPAs; the model strips the shared bit before accessing memory, so a private GPA and its
/// shared alias reach the same backing here). Accesses never cross a 4 KiB page: every
/// modelled operand is naturally aligned (48 B at 64 B, 64 B at 64 B, 1024 B at 1024 B).
pub trait GuestMemory {
    /// Read `buf.len()` bytes at guest physical address `gpa`. `false` = not backed: the module
    /// would take an EPT-violation TD exit.
    fn read(&mut self, gpa: u64, buf: &mut [u8]) -> bool;
    /// Write `data` at guest physical address `gpa`. `false` = not backed (EPT-violation TD exit).
    fn write(&mut self, gpa: u64, data: &[u8]) -> bool;
}

/// Guest memory with nothing backed: every access fails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoMemory;

impl GuestMemory for NoMemory {
    fn read(&mut self, _gpa: u64, _buf: &mut [u8]) -> bool {
        false
    }
    fn write(&mut self, _gpa: u64, _data: &[u8]) -> bool {
        false
    }
}

/// A flat, preallocated guest memory window `[base, base + len)`; accesses outside fail.
/// Useful for tests and for harnesses that keep guest memory in a buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlatMemory {
    /// GPA of the first byte.
    pub base: u64,
    /// The bytes.
    pub bytes: alloc::vec::Vec<u8>,
}

impl FlatMemory {
    /// A zeroed window of `len` bytes at `base`.
    pub fn new(base: u64, len: usize) -> FlatMemory {
        FlatMemory {
            base,
            bytes: alloc::vec![0; len],
        }
    }

    fn range(&self, gpa: u64, len: usize) -> Option<core::ops::Range<usize>> {
        let off = gpa.checked_sub(self.base)?;
        let off = usize::try_from(off).ok()?;
        let end = off.checked_add(len)?;
        (end <= self.bytes.len()).then_some(off..end)
    }
}

impl GuestMemory for FlatMemory {
    fn read(&mut self, gpa: u64, buf: &mut [u8]) -> bool {
        match self.range(gpa, buf.len()) {
            Some(r) => {
                buf.copy_from_slice(&self.bytes[r]);
                true
            }
            None => false,
        }
    }
    fn write(&mut self, gpa: u64, data: &[u8]) -> bool {
        match self.range(gpa, data.len()) {
            Some(r) => {
                self.bytes[r].copy_from_slice(data);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_and_none() {
        let mut m = FlatMemory::new(0x1000, 0x100);
        assert!(m.write(0x1010, &[1, 2, 3]));
        let mut b = [0u8; 3];
        assert!(m.read(0x1010, &mut b));
        assert_eq!(b, [1, 2, 3]);
        assert!(!m.read(0xFFF, &mut b));
        assert!(!m.read(0x10FE, &mut b));
        assert!(m.read(0x10FD, &mut b));
        assert!(!NoMemory.read(0, &mut b));
        assert!(!NoMemory.write(0, &b));
    }
}
