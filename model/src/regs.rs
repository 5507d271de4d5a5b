//! General-purpose register names, register sets and a whole GPR file.
//!
//! Register numbering is the x86 encoding order (RAX 0, RCX 1, RDX 2, RBX 3, RSP 4, RBP 5, RSI 6,
//! RDI 7, R8..R15 8..15), which is also the TDX module's operand-ID numbering for GPRs
//! (`include/auto_gen/tdx_error_codes_defs.h`, `OPERAND_ID_RAX` .. `OPERAND_ID_R15`) and the bit
//! numbering of TDG.VP.VMCALL's `GPR_SELECT` mask.

use core::ops::{Index, IndexMut};

/// A 64-bit general-purpose register, numbered by its x86 encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Gpr {
    /// RAX (0): leaf/version on input, completion status on output.
    Rax = 0,
    /// RCX (1).
    Rcx = 1,
    /// RDX (2).
    Rdx = 2,
    /// RBX (3).
    Rbx = 3,
    /// RSP (4): never an operand, always preserved.
    Rsp = 4,
    /// RBP (5).
    Rbp = 5,
    /// RSI (6).
    Rsi = 6,
    /// RDI (7).
    Rdi = 7,
    /// R8.
    R8 = 8,
    /// R9.
    R9,
    /// R10.
    R10,
    /// R11.
    R11,
    /// R12.
    R12,
    /// R13.
    R13,
    /// R14.
    R14,
    /// R15.
    R15,
}

impl Gpr {
    /// All sixteen registers in index order.
    pub const ALL: [Gpr; 16] = [
        Gpr::Rax,
        Gpr::Rcx,
        Gpr::Rdx,
        Gpr::Rbx,
        Gpr::Rsp,
        Gpr::Rbp,
        Gpr::Rsi,
        Gpr::Rdi,
        Gpr::R8,
        Gpr::R9,
        Gpr::R10,
        Gpr::R11,
        Gpr::R12,
        Gpr::R13,
        Gpr::R14,
        Gpr::R15,
    ];

    /// The register's x86 index (0..=15).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The register with index `i`, or `None` if `i > 15`.
    pub const fn from_index(i: usize) -> Option<Gpr> {
        if i < 16 {
            Some(Gpr::ALL[i])
        } else {
            None
        }
    }

    /// Upper-case name, e.g. `"RAX"`, `"R8"`.
    pub const fn name(self) -> &'static str {
        match self {
            Gpr::Rax => "RAX",
            Gpr::Rcx => "RCX",
            Gpr::Rdx => "RDX",
            Gpr::Rbx => "RBX",
            Gpr::Rsp => "RSP",
            Gpr::Rbp => "RBP",
            Gpr::Rsi => "RSI",
            Gpr::Rdi => "RDI",
            Gpr::R8 => "R8",
            Gpr::R9 => "R9",
            Gpr::R10 => "R10",
            Gpr::R11 => "R11",
            Gpr::R12 => "R12",
            Gpr::R13 => "R13",
            Gpr::R14 => "R14",
            Gpr::R15 => "R15",
        }
    }
}

/// A set of GPRs: bit `n` is the register with index `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct RegSet(pub u16);

impl RegSet {
    /// No register.
    pub const EMPTY: RegSet = RegSet(0);
    /// All sixteen registers.
    pub const ALL: RegSet = RegSet(0xFFFF);

    /// The set of the listed registers.
    pub const fn of(regs: &[Gpr]) -> RegSet {
        let mut bits = 0u16;
        let mut i = 0;
        while i < regs.len() {
            bits |= 1 << regs[i] as u8;
            i += 1;
        }
        RegSet(bits)
    }

    /// Whether `r` is in the set.
    pub const fn contains(self, r: Gpr) -> bool {
        self.0 & (1 << r as u8) != 0
    }

    /// The set plus `r`.
    pub const fn with(self, r: Gpr) -> RegSet {
        RegSet(self.0 | (1 << r as u8))
    }

    /// Set union.
    pub const fn union(self, o: RegSet) -> RegSet {
        RegSet(self.0 | o.0)
    }

    /// Set difference (`self` without the registers of `o`).
    pub const fn minus(self, o: RegSet) -> RegSet {
        RegSet(self.0 & !o.0)
    }

    /// All registers not in the set.
    pub const fn complement(self) -> RegSet {
        RegSet(!self.0)
    }

    /// The registers of the set, in index order.
    pub fn iter(self) -> impl Iterator<Item = Gpr> {
        Gpr::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    /// Number of registers in the set.
    pub const fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The sixteen GPRs, indexed by [`Gpr`] (`gpr[r.index()]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Regs {
    /// Register values by x86 index.
    pub gpr: [u64; 16],
}

impl Regs {
    /// A register file with every register zero.
    pub const fn zero() -> Regs {
        Regs { gpr: [0; 16] }
    }

    /// The set of registers whose values differ between `self` and `other`.
    pub fn diff(&self, other: &Regs) -> RegSet {
        let mut bits = 0u16;
        for (i, (a, b)) in self.gpr.iter().zip(other.gpr.iter()).enumerate() {
            if a != b {
                bits |= 1 << i;
            }
        }
        RegSet(bits)
    }
}

impl Index<Gpr> for Regs {
    type Output = u64;
    fn index(&self, r: Gpr) -> &u64 {
        &self.gpr[r.index()]
    }
}

impl IndexMut<Gpr> for Regs {
    fn index_mut(&mut self, r: Gpr) -> &mut u64 {
        &mut self.gpr[r.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpr_indices_and_names() {
        for (i, r) in Gpr::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
            assert_eq!(Gpr::from_index(i), Some(*r));
        }
        assert_eq!(Gpr::from_index(16), None);
        assert_eq!(Gpr::Rax.name(), "RAX");
        assert_eq!(Gpr::R8.name(), "R8");
        assert_eq!(Gpr::R15.name(), "R15");
        assert_eq!(Gpr::R9 as u8, 9);
    }

    #[test]
    fn regset_ops() {
        let s = RegSet::of(&[Gpr::Rax, Gpr::Rcx, Gpr::R8]);
        assert_eq!(s.0, 0b1_0000_0011);
        assert!(s.contains(Gpr::R8));
        assert!(!s.contains(Gpr::Rdx));
        assert_eq!(s.len(), 3);
        assert_eq!(s.with(Gpr::Rdx).0, 0b1_0000_0111);
        assert_eq!(s.minus(RegSet::of(&[Gpr::Rax])).0, 0b1_0000_0010);
        assert_eq!(s.complement().0, !0b1_0000_0011u16);
        assert_eq!(s.union(RegSet::of(&[Gpr::R15])).0, 0x8103);
        let v: [Gpr; 3] = {
            let mut it = s.iter();
            [it.next().unwrap(), it.next().unwrap(), it.next().unwrap()]
        };
        assert_eq!(v, [Gpr::Rax, Gpr::Rcx, Gpr::R8]);
        assert!(RegSet::EMPTY.is_empty());
        assert_eq!(RegSet::ALL.len(), 16);
    }

    #[test]
    fn regs_index() {
        let mut r = Regs::default();
        r[Gpr::R9] = 7;
        assert_eq!(r.gpr[9], 7);
        assert_eq!(r[Gpr::R9], 7);
        assert_eq!(Regs::zero().diff(&r), RegSet::of(&[Gpr::R9]));
    }
}
