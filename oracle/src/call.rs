//! One call type for fuzzers, property tests, seeds and the campaign, and its stable byte
//! encoding.
//!
//! # Encoding
//!
//! A program is a sequence of at most [`MAX_CALLS`] calls, read with `arbitrary::Unstructured`
//! until the bytes run out. Integers are little-endian of their natural width (missing bytes read
//! as zero), `bool` is a byte's low bit. Each call starts with a kind byte, taken modulo the
//! number of kinds the fuzz target covers ([`Target::kinds`]), then its fields in declaration
//! order:
//!
//! | kind | fields |
//! |---|---|
//! | `VpInfo` | – |
//! | `RtmrExtend` | MemRef data, u8 index (mod 5), \[u8; 48\] value, bool busy |
//! | `VeinfoGet` | bool present, then (present) u32 exit reason, u64 qualification, u64 GLA, u64 GPA, u32 length, u32 info, u8 category, u32 interruptibility; u8 leaf version (mod 3) |
//! | `Report` | MemRef report, MemRef data, u8 subtype, u8 requestor (mod 4), \[u8; 64\] report data, u8 interrupts (bits 1:0; bit 5 SERVTDEXT; bit 6 TDID/VMID reporting; bit 7 RTMR lock held) |
//! | `CpuidveSet` | bool supervisor, bool user |
//! | `Accept` | PageRef page, u8 level (low 3 bits: 0–2 → 0, 3–5 → 1, 6 → 2, 7 → 3), bool busy, u8 interrupts |
//! | `AcceptRange` | u32 first page, u32 pages, u8 max level, u16 busy page, u8 busy accepts (mod 8), u8 1 GiB window (when 255) |
//! | `VmRd`, `VmRdV1` | FieldRef |
//! | `VmRdFirst` | – |
//! | `VmWr` | FieldRef, u64 value, u64 mask, bool narrow |
//! | `ForcedStatus` | u8 leaf, StatusRef status |
//! | `VpRd`, `SysRd` | FieldRef, bool first |
//! | `VpWr` | FieldRef, u64 value, u64 mask, bool narrow |
//! | `SysRdAll` | MemRef list, FieldRef first |
//! | `ServtdRd` | u64 binding (mod 7), FieldRef, u8 uuid choice, bool busy |
//! | `ServtdWr` | u64 binding (mod 7), FieldRef, u64 value, u64 mask, u8 uuid choice, bool busy |
//! | `VerifyReport` | MemRef, u16 tamper, \[u8; 16\] report data |
//! | `MrKeyGet` | MemRef request, MemRef key, u8 requestor (mod 6), u8 flaw (mod 8), u8 policy, u8 SW_KEYNAME, u64 salt, u8 enables (mod 8), bool busy |
//! | `AttrRd` | PageRef, bool busy |
//! | `AttrWr` | PageRef, u8 level (as `Accept`), u64 attributes, u64 flags (each: bits 1:0 ≠ 0 keep only bits 47:16, the words of L2 VMs 1 and 2), bool busy, bool L2 SEPT missing |
//! | `VpEnter` | u8 VM (mod 5), u8 invalidation (mod 4), MemRef state, bool pending interrupt, bool virtual-APIC GPA missing, u8 guest state (mod 4) |
//! | `Invept` | u8 bitmap |
//! | `Invgla` | u8 VM (mod 5), u64 base (bits 1:0 ≠ 0: bits 11:0 cleared, a page-aligned GLA), u16 pages (mod 4097) |
//! | `InvglaList` | u8 VM (mod 5), MemRef list, u16 first (mod 600), u16 count (mod 600), u8 interrupts (mod 4) |
//! | `SetVmm` | bool hostile, u64 seed |
//! | `VmcallInfo` | u8 leaf (mod 4) |
//! | `VmcallMapGpa` | PageRef page, u16 pages, bool shared |
//! | `VmcallConvert` | PageRef page, u16 pages, bool shared, u8 stalls (mod 8) |
//! | `VmcallGetQuote` | MemRef buffer, length as `Pages` (a tag byte: even = 1–4 pages, odd = a raw u32) |
//! | `VmcallNotify` | u8 vector |
//! | `VmcallService` | MemRef command, MemRef response, u8 vector, u64 timeout |
//! | `VmcallCpuid` | u32 leaf, u32 sub-leaf |
//! | `VmcallHlt` | bool blocked |
//! | `VmcallIo` | u8 size (mod 5: 1, 2, 4, 8, 3), u16 port, bool write, u32 value |
//! | `VmcallRdmsr` | u32 MSR |
//! | `VmcallWrmsr` | u32 MSR, u64 value |
//! | `VmcallMmio` | u8 size (as IO), MemRef GPA, bool write, u64 value |
//! | `VmcallWbinvd` | bool WBNOINVD |
//! | `VmcallKvm` | u64 number, 4 × u64 arguments |
//! | `VmcallFatal` | u64 code, bool + u64 data GPA, \[u8; 64\] message, u8 length (mod 65), u8 resumes (mod 3) |
//!
//! Inputs of the `vmcall_hostile` target start with a u64 seed: the program begins with
//! `SetVmm { hostile: true, seed }`.
//!
//! `MemRef` = u8 tag (mod 3: 0 arena slot, 1 arena slot with the shared bit, 2 raw) then
//! u16 slot or u64 address. `PageRef` = u8 tag (mod 4: 0–2 a u32 page of the accept region,
//! 3 a raw u64 GPA). `FieldRef` = u8 tag (even: index u8 into the field list of the call's kind,
//! the same on every module version; odd: raw u64 id). `StatusRef` = u8 tag (even: u8 index into the model's named statuses and u32
//! details, odd: raw u64). The corpora under `corpora/` use this format.
//!
//! The format is written once, in this file's `calls!` list (each field in order, with its
//! codec); [`Program::decode`] and [`Program::encode`] are both derived from it, and a test
//! checks that every decoded program encodes back to itself.

use arbitrary::{Arbitrary, Unstructured};

/// Longest program decoded from one input.
pub const MAX_CALLS: usize = 32;

/// A guest-memory operand: somewhere in the session's arena, or any raw value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemRef {
    /// A slot of the arena: below 2^15 a 1 KiB-aligned one, arena base + (slot × 1024 mod
    /// (arena size − 1 KiB)); from 2^15 up a 64-byte-aligned one, + (slot × 64 mod (arena
    /// size − 1 KiB)). A 1 KiB report always fits.
    Slot(u16),
    /// As `Slot`, with the TD's shared bit set.
    SharedSlot(u16),
    /// A raw address.
    Raw(u64),
}

/// A page operand: a 4 KiB page of the model's accept region, or any raw value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageRef {
    /// A page of the accept region: below 2^31, the 2 MiB block `x` (mod the block count);
    /// from 2^31 up, the 4 KiB page `x` (mod the page count).
    Region(u32),
    /// A raw GPA.
    Raw(u64),
}

/// A status: one the model names, with details, or any raw value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusRef {
    /// Entry `index` (mod its length) of the model's table of named statuses, plus `details`
    /// in bits 31:0.
    Known {
        /// Index into `tdx_model::status::KNOWN`.
        index: u8,
        /// Bits 31:0.
        details: u32,
    },
    /// A raw value.
    Raw(u64),
}

/// A metadata field operand: an entry of the model's field table, or any raw id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldRef {
    /// Index (mod its length) into the field list of the call's kind: the TD-scope elements
    /// any version lets the guest access, the SYS elements of every version (readable ones
    /// first), the VCPU subset and L2 VMCS fields, the service-TD lists.
    Known(u8),
    /// A raw field id.
    Raw(u64),
}

/// #VE information planted in the model before TDG.VP.VEINFO.GET.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VeInfoSeed {
    /// Exit reason.
    pub exit_reason: u32,
    /// Exit qualification.
    pub exit_qualification: u64,
    /// Guest linear address.
    pub gla: u64,
    /// Guest physical address.
    pub gpa: u64,
    /// Instruction length.
    pub instruction_length: u32,
    /// Instruction information.
    pub instruction_info: u32,
    /// #VE category (leaf versions 1 and 2).
    pub ve_category: u8,
    /// Interruptibility state (leaf version 2).
    pub interruptibility_state: u32,
}

// ------------------------------------------------------------------------ the byte format
//
// Every call is described once, in the `calls!` invocation below: its fields in encoding
// order, each with its codec (`as Mod<5>`; plain [`Wire`] encoding when none is named). The
// macro derives the `Call` type, its `Kind`, and the reader and the writer from that one list.

/// How one field is read from fuzzer bytes and written back.
trait Codec<T> {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<T>;
    /// `None` if `v` is not a value `read` can return.
    fn write(v: &T, o: &mut Vec<u8>) -> Option<()>;
}

/// A type's own encoding: integers little-endian of their width, `bool` a byte's low bit,
/// arrays element by element, `Option` a `bool` then the value, the operand types a tag byte
/// then their payload.
trait Wire: Sized {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Self>;
    fn write(&self, o: &mut Vec<u8>) -> Option<()>;
}

/// The field's [`Wire`] encoding.
struct Plain;

impl<T: Wire> Codec<T> for Plain {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<T> {
        T::read(u)
    }
    fn write(v: &T, o: &mut Vec<u8>) -> Option<()> {
        v.write(o)
    }
}

/// An integer of the field's width taken modulo `N`.
struct Mod<const N: u64>;

macro_rules! int_codecs {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
                <$t>::arbitrary(u)
            }
            fn write(&self, o: &mut Vec<u8>) -> Option<()> {
                o.extend(self.to_le_bytes());
                Some(())
            }
        }
        impl<const N: u64> Codec<$t> for Mod<N> {
            fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<$t> {
                Ok((u64::from(<$t>::arbitrary(u)?) % N) as $t)
            }
            fn write(v: &$t, o: &mut Vec<u8>) -> Option<()> {
                (u64::from(*v) < N).then(|| o.extend(v.to_le_bytes()))
            }
        }
    )*};
}
int_codecs!(u8, u16, u32, u64);

/// A buffer length: a tag byte, even for one to four 4 KiB pages (`4096 × (1 + tag / 2 mod 4)`),
/// odd for a raw `u32` after it. Random lengths alone would almost never fit the arena.
struct Pages;

impl Codec<u32> for Pages {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<u32> {
        let tag = u8::arbitrary(u)?;
        if tag % 2 == 0 {
            Ok(4096 * (1 + u32::from(tag / 2) % 4))
        } else {
            u32::arbitrary(u)
        }
    }
    fn write(v: &u32, o: &mut Vec<u8>) -> Option<()> {
        match *v {
            4096 | 8192 | 12288 | 16384 => o.push(((v / 4096 - 1) * 2) as u8),
            _ => {
                o.push(1);
                o.extend(v.to_le_bytes());
            }
        }
        Some(())
    }
}

impl Wire for bool {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
        bool::arbitrary(u)
    }
    fn write(&self, o: &mut Vec<u8>) -> Option<()> {
        o.push(*self as u8);
        Some(())
    }
}

impl<const N: usize> Wire for [u8; N] {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
        let mut b = [0u8; N];
        u.fill_buffer(&mut b)?;
        Ok(b)
    }
    fn write(&self, o: &mut Vec<u8>) -> Option<()> {
        o.extend(self);
        Some(())
    }
}

impl Wire for [u64; 4] {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
        Ok([u64::read(u)?, u64::read(u)?, u64::read(u)?, u64::read(u)?])
    }
    fn write(&self, o: &mut Vec<u8>) -> Option<()> {
        self.iter().try_for_each(|x| x.write(o))
    }
}

impl<T: Wire> Wire for Option<T> {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
        Ok(if bool::read(u)? {
            Some(T::read(u)?)
        } else {
            None
        })
    }
    fn write(&self, o: &mut Vec<u8>) -> Option<()> {
        self.is_some().write(o)?;
        self.as_ref().map_or(Some(()), |v| v.write(o))
    }
}

/// A one-byte pick from a table: the byte modulo the table's length indexes it.
macro_rules! table_codec {
    ($(#[$m:meta])* $name:ident, $table:ident) => {
        $(#[$m])*
        struct $name;
        impl Codec<u8> for $name {
            fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<u8> {
                Ok($table[u8::arbitrary(u)? as usize % $table.len()])
            }
            fn write(v: &u8, o: &mut Vec<u8>) -> Option<()> {
                o.push($table.iter().position(|x| x == v)? as u8);
                Some(())
            }
        }
    };
}

/// Access sizes by their byte mod 5: the valid ones and one that is not.
const SIZES: [u8; 5] = [1, 2, 4, 8, 3];

/// ACCEPT levels by the low three bits of their byte: mostly 4 KiB and 2 MiB.
const LEVELS: [u8; 8] = [0, 0, 0, 1, 1, 1, 2, 3];

table_codec!(
    /// An access size from [`SIZES`].
    Sizes,
    SIZES
);
table_codec!(
    /// A page level from [`LEVELS`].
    Levels,
    LEVELS
);

/// An INVGLA base: a u64 whose bits 1:0 ≠ 0 stand for itself with bits 11:0 cleared, so that
/// most bases are page aligned and reach the TDCALL.
struct GlaBase;

/// TDG.MEM.PAGE.ATTR.WR attribute or flag words: a u64 whose bits 1:0 ≠ 0 stands for its words
/// of L2 VMs 1 and 2 alone (VM 0 and VM 3 zero), so that most values pass the module's word
/// checks and reach the SEPT.
struct AttrWords;

/// The words of L2 VMs 1 and 2 (bits 47:16).
const VM1_VM2_WORDS: u64 = 0x0000_FFFF_FFFF_0000;

impl Codec<u64> for AttrWords {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<u64> {
        Ok(match u64::arbitrary(u)? {
            w if w & 3 != 0 => w & VM1_VM2_WORDS,
            w => w,
        })
    }
    fn write(v: &u64, o: &mut Vec<u8>) -> Option<()> {
        let w = match *v {
            w if w & !VM1_VM2_WORDS == 0 => w | 1,
            w if w & 3 == 0 => w,
            _ => return None,
        };
        w.write(o)
    }
}

impl Codec<u64> for GlaBase {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<u64> {
        Ok(match u64::arbitrary(u)? {
            b if b & 3 != 0 => b & !0xfff,
            b => b,
        })
    }
    fn write(v: &u64, o: &mut Vec<u8>) -> Option<()> {
        let b = match *v {
            b if b & 0xfff == 0 => b | 1,
            b if b & 3 == 0 => b,
            _ => return None,
        };
        b.write(o)
    }
}

impl Wire for MemRef {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
        Ok(match u8::read(u)? % 3 {
            0 => MemRef::Slot(u16::read(u)?),
            1 => MemRef::SharedSlot(u16::read(u)?),
            _ => MemRef::Raw(u64::read(u)?),
        })
    }
    fn write(&self, o: &mut Vec<u8>) -> Option<()> {
        match self {
            MemRef::Slot(x) => {
                0u8.write(o)?;
                x.write(o)
            }
            MemRef::SharedSlot(x) => {
                1u8.write(o)?;
                x.write(o)
            }
            MemRef::Raw(x) => {
                2u8.write(o)?;
                x.write(o)
            }
        }
    }
}

impl Wire for PageRef {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
        Ok(if u8::read(u)? % 4 != 3 {
            PageRef::Region(u32::read(u)?)
        } else {
            PageRef::Raw(u64::read(u)?)
        })
    }
    fn write(&self, o: &mut Vec<u8>) -> Option<()> {
        match self {
            PageRef::Region(x) => {
                0u8.write(o)?;
                x.write(o)
            }
            PageRef::Raw(x) => {
                3u8.write(o)?;
                x.write(o)
            }
        }
    }
}

impl Wire for FieldRef {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
        Ok(if u8::read(u)? % 2 == 0 {
            FieldRef::Known(u8::read(u)?)
        } else {
            FieldRef::Raw(u64::read(u)?)
        })
    }
    fn write(&self, o: &mut Vec<u8>) -> Option<()> {
        match self {
            FieldRef::Known(x) => {
                0u8.write(o)?;
                x.write(o)
            }
            FieldRef::Raw(x) => {
                1u8.write(o)?;
                x.write(o)
            }
        }
    }
}

impl Wire for StatusRef {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
        Ok(if u8::read(u)? % 2 == 0 {
            StatusRef::Known {
                index: u8::read(u)?,
                details: u32::read(u)?,
            }
        } else {
            StatusRef::Raw(u64::read(u)?)
        })
    }
    fn write(&self, o: &mut Vec<u8>) -> Option<()> {
        match self {
            StatusRef::Known { index, details } => {
                0u8.write(o)?;
                index.write(o)?;
                details.write(o)
            }
            StatusRef::Raw(x) => {
                1u8.write(o)?;
                x.write(o)
            }
        }
    }
}

impl Wire for VeInfoSeed {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
        Ok(VeInfoSeed {
            exit_reason: u32::read(u)?,
            exit_qualification: u64::read(u)?,
            gla: u64::read(u)?,
            gpa: u64::read(u)?,
            instruction_length: u32::read(u)?,
            instruction_info: u32::read(u)?,
            ve_category: u8::read(u)?,
            interruptibility_state: u32::read(u)?,
        })
    }
    fn write(&self, o: &mut Vec<u8>) -> Option<()> {
        self.exit_reason.write(o)?;
        self.exit_qualification.write(o)?;
        self.gla.write(o)?;
        self.gpa.write(o)?;
        self.instruction_length.write(o)?;
        self.instruction_info.write(o)?;
        self.ve_category.write(o)?;
        self.interruptibility_state.write(o)
    }
}

/// The codec a field names, or [`Plain`].
macro_rules! codec {
    () => {
        Plain
    };
    ($c:ty) => {
        $c
    };
}

/// Defines [`Call`], [`Kind`], `Call::kind`, `read_call` and `write_call` from one list of
/// variants whose fields are in encoding order, each with an optional `as Codec`.
macro_rules! calls {
    ($(
        $(#[$vattr:meta])*
        $name:ident $({
            $( $(#[$fattr:meta])* $field:ident : $ty:ty $(as $codec:ty)? ),* $(,)?
        })?
    ),* $(,)?) => {
/// One call of a program: a leaf with its inputs (as generated, before the typed constructors
/// see them) and the environment the model is put in first.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Call {
            $( $(#[$vattr])* $name $({ $( $(#[$fattr])* $field: $ty ),* })? ),*
        }

        /// The kinds of [`Call`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Kind {
            $( $name ),*
        }

        impl Kind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [Kind] = &[$( Kind::$name ),*];
        }

        impl Call {
            /// This call's kind.
            pub fn kind(&self) -> Kind {
                match self {
                    $( Call::$name $({ $( $field: _ ),* })? => Kind::$name ),*
                }
            }
        }

        /// Reads the fields of a call of `kind`.
        fn read_call(u: &mut Unstructured<'_>, kind: Kind) -> arbitrary::Result<Call> {
            Ok(match kind {
                $( Kind::$name => Call::$name $({ $(
                    $field: <codec!($($codec)?) as Codec<$ty>>::read(u)?
                ),* })? ),*
            })
        }

        /// Writes the fields of `c` (not its kind byte).
        fn write_call(c: &Call, o: &mut Vec<u8>) -> Option<()> {
            match c {
                $( Call::$name $({ $( $field ),* })? => {
                    $($( <codec!($($codec)?) as Codec<$ty>>::write($field, o)?; )*)?
                } ),*
            }
            Some(())
        }
    };
}

calls! {
    /// TDG.VP.INFO.
    VpInfo,
    /// TDG.MR.RTMR.EXTEND of `value` stored at `data`; `busy` holds the RTMR lock.
    RtmrExtend {
        /// Where the 48 bytes are.
        data: MemRef,
        /// RTMR index (checked by the constructor).
        index: u8 as Mod<5>,
        /// The extension value.
        value: [u8; 48],
        /// Another vCPU holds the RTMR lock.
        busy: bool,
    },
    /// TDG.VP.VEINFO.GET, with or without valid #VE information.
    VeinfoGet {
        /// The #VE information, if any.
        info: Option<VeInfoSeed>,
        /// Leaf version (mod 3): 0, 1 (with the #VE category) or 2 (and the interruptibility
        /// state).
        version: u8 as Mod<3>,
    },
    /// TDG.MR.REPORT.
    Report {
        /// Where the TDREPORT goes.
        report: MemRef,
        /// Where the REPORTDATA is.
        data: MemRef,
        /// Report sub-type (must be 0).
        subtype: u8,
        /// Requestor id (R8 bits 9:8; 1.5.05 refuses any but 0).
        requestor: u8 as Mod<4>,
        /// The REPORTDATA.
        report_data: [u8; 64],
        /// How many times the module is interrupted first (bits 1:0); bit 5: the TD has
        /// ATTRIBUTES.SERVTDEXT; bit 6: the host enabled TDID/VMID reporting (both give
        /// REPORTTYPE.VERSION 3 from 1.5.34); bit 7: another vCPU holds the RTMR lock.
        interrupts: u8,
    },
    /// TDG.VP.CPUIDVE.SET.
    CpuidveSet {
        /// #VE on CPUID at CPL 0.
        supervisor: bool,
        /// #VE on CPUID at CPL > 0.
        user: bool,
    },
    /// TDG.MEM.PAGE.ACCEPT.
    Accept {
        /// The page.
        page: PageRef,
        /// Page level (checked by the constructor).
        level: u8 as Levels,
        /// The page's SEPT entry is locked.
        busy: bool,
        /// How many times a 2 MiB accept is interrupted first (mod 4).
        interrupts: u8,
    },
    /// `accept_range` over pages of the accept region.
    AcceptRange {
        /// First page index.
        first_page: u32,
        /// Number of 4 KiB pages (mod 1100, at least 1: up to three 2 MiB blocks).
        pages: u32,
        /// Largest level to try (mod 3).
        max_level: u8,
        /// The host holds the lock of the range's page `busy_page` (mod the range's pages)
        /// for this many accepts (mod 8; 0 = no lock).
        busy_page: u16,
        /// See `busy_page`.
        busy_for: u8 as Mod<8>,
        /// 255: the range is instead the 1 GiB window holding the accept region, with
        /// private memory outside the region mapped by the host with accepted 2 MiB leaves
        /// (the helper's 1 GiB attempt and its fallback; a thousand TDCALLs or more, so rare).
        window: u8,
    },
    /// TDG.VM.RD version 0.
    VmRd {
        /// The field.
        field: FieldRef,
    },
    /// TDG.VM.RD version 1.
    VmRdV1 {
        /// The field.
        field: FieldRef,
    },
    /// TDG.VM.RD version 1 with the null field id.
    VmRdFirst,
    /// TDG.VM.WR.
    VmWr {
        /// The field.
        field: FieldRef,
        /// Value.
        value: u64,
        /// Write mask.
        mask: u64,
        /// Keep only bits 3:0 of value and mask (where the guest-writable bits are).
        narrow: bool,
    },
    /// TDG.VP.RD (or, with `first`, the null field id).
    VpRd {
        /// The field (`Known` indexes the model's VP table).
        field: FieldRef,
        /// Ask for the first field instead.
        first: bool,
    },
    /// TDG.VP.WR.
    VpWr {
        /// The field.
        field: FieldRef,
        /// Value.
        value: u64,
        /// Write mask.
        mask: u64,
        /// Keep only bits 7:0 of value and mask.
        narrow: bool,
    },
    /// TDG.SYS.RD (or, with `first`, the null field id).
    SysRd {
        /// The field (`Known` indexes the model's SYS table).
        field: FieldRef,
        /// Ask for the first field instead.
        first: bool,
    },
    /// TDG.SYS.RDALL into the arena.
    SysRdAll {
        /// The list buffer.
        list: MemRef,
        /// First field id (`Known` indexes the SYS table; `Raw(u64::MAX)` is the null id).
        first: FieldRef,
    },
    /// TDG.SERVTD.RD.
    ServtdRd {
        /// Binding handle: 0 the bound one, 1 its slot 1, 2 its TDR page + 4 KiB (a cross-TD
        /// trap), 3 the handle 0; 4–6 the bound one, with the host having changed the binding
        /// for this call: 4 unbound, 5 bound to another service TD, 6 with another INFO_HASH
        /// (each a cross-TD trap); 7–8 the bound one, asked by a TD 2.0.18 does not let use a
        /// binding: 7 with a service TD of its own, 8 migratable.
        binding: u64 as Mod<9>,
        /// The target's field (`Known` indexes the TD table).
        field: FieldRef,
        /// Target UUID: 0 right, 1 the pre-import UUID, other values a wrong one.
        uuid: u8,
        /// Hold the bindings lock.
        busy: bool,
    },
    /// TDG.SERVTD.WR.
    ServtdWr {
        /// Binding handle, as for `ServtdRd`.
        binding: u64 as Mod<9>,
        /// The target's field.
        field: FieldRef,
        /// Value.
        value: u64,
        /// Write mask.
        mask: u64,
        /// Target UUID, as for `ServtdRd`.
        uuid: u8,
        /// Hold the bindings lock.
        busy: bool,
    },
    /// TDG.MR.VERIFYREPORT of a genuine REPORTMACSTRUCT placed in the arena, possibly tampered.
    VerifyReport {
        /// Where the REPORTMACSTRUCT is.
        mac: MemRef,
        /// 0: genuine; n: byte n − 1 (mod 256) flipped.
        tamper: u16,
        /// REPORTDATA of the report.
        data: [u8; 16],
    },
    /// TDG.MR.KEY.GET of a TDKEYREQUEST built in the arena, on a TD that has the leaf enabled
    /// (or not) for this call.
    MrKeyGet {
        /// Where the TDKEYREQUEST is.
        request: MemRef,
        /// Where the key goes.
        key: MemRef,
        /// Requestor (R8; 4 and 5 are refused by the typed input).
        requestor: u8 as Mod<6>,
        /// Which check of the request fails: 0–3 none, 4 KEYNAME, 5 a reserved field (chosen
        /// by `sw_keyname`), 6 KEYSIZE_BITMAP, 7 a CPUSVN above the platform's.
        flaw: u8 as Mod<8>,
        /// TDKEYPOLICY selections: bit 0 MRTD, bit 1 MROWNER, bits 5:2 RTMR\[3:0\].
        policy: u8,
        /// SW_KEYNAME.
        sw_keyname: u8,
        /// The first 8 bytes of SALT.
        salt: u64,
        /// What enables the leaf for this call: 0–3 CONFIG_FLAGS.SEALING, 4
        /// TD_CTLS.ENABLE_HW_KEYS, 5 both, 6 neither, 7 a platform without sealing.
        enables: u8 as Mod<8>,
        /// Another vCPU holds the RTMR lock.
        busy: bool,
    },
    /// TDG.MEM.PAGE.ATTR.RD.
    AttrRd {
        /// The page.
        page: PageRef,
        /// The host holds the page's SEPT entry lock.
        busy: bool,
    },
    /// TDG.MEM.PAGE.ATTR.WR.
    AttrWr {
        /// The page.
        page: PageRef,
        /// Level (as ACCEPT's).
        level: u8 as Levels,
        /// New attributes (RDX; most values have words for L2 VMs 1 and 2 only).
        attrs: u64 as AttrWords,
        /// Write masks (R8; as `attrs`).
        flags: u64 as AttrWords,
        /// The host holds the page's SEPT entry lock.
        busy: bool,
        /// The host has not added the L2 Secure-EPT pages for this call.
        l2_sept_missing: bool,
    },
    /// TDG.VP.ENTER.
    VpEnter {
        /// L2 VM index (mod 5: 0 and 4 are invalid).
        vm: u8 as Mod<5>,
        /// Invalidation (mod 4).
        invalidate: u8 as Mod<4>,
        /// The L2 guest state buffer.
        state: MemRef,
        /// An L1 interrupt is pending.
        pending: bool,
        /// The L1 VMM has not set this VM's virtual-APIC page GPA for this call.
        vapic_missing: bool,
        /// The L2 state in an arena buffer (mod 4): 0 and 1 the buffer's own if the VM entry
        /// takes it, else a valid one (RFLAGS 0x2, RIP 0x40_0000); 2 RFLAGS bit 1 clear, 3 a
        /// non-canonical RIP, on which the entry fails.
        guest_state: u8 as Mod<4>,
    },
    /// TDG.VP.INVEPT.
    Invept {
        /// VM bitmap (R8 bits 7:0).
        vms: u8,
    },
    /// TDG.VP.INVGLA, single mode.
    Invgla {
        /// L2 VM index (mod 5).
        vm: u8 as Mod<5>,
        /// Base GLA.
        base: u64 as GlaBase,
        /// Pages (mod 4097).
        pages: u16 as Mod<4097>,
    },
    /// TDG.VP.INVGLA, list mode, over a list in the arena.
    InvglaList {
        /// L2 VM index (mod 5).
        vm: u8 as Mod<5>,
        /// Where the list is.
        list: MemRef,
        /// First entry (mod 600).
        first: u16 as Mod<600>,
        /// Entries (mod 600).
        count: u16 as Mod<600>,
        /// Interruptions before completing (mod 4).
        interrupts: u8 as Mod<4>,
    },
    /// Chooses the VMM that answers TDG.VP.VMCALL from here on.
    SetVmm {
        /// The hostile VMM (arbitrary values in every exposed register) instead of the honest.
        hostile: bool,
        /// The hostile VMM's seed.
        seed: u64,
    },
    /// TDG.VP.VMCALL\<GetTdVmCallInfo\>.
    VmcallInfo {
        /// R12 (mod 4).
        leaf: u8 as Mod<4>,
    },
    /// TDG.VP.VMCALL\<MapGPA\>, one call, over pages of the accept region.
    VmcallMapGpa {
        /// First page.
        page: PageRef,
        /// Pages (mod 1024, at least 1).
        pages: u16,
        /// To shared (else to private).
        shared: bool,
    },
    /// `convert_range`: MapGPA until done, over pages of the accept region.
    VmcallConvert {
        /// First page.
        page: PageRef,
        /// Pages (mod 1024, at least 1).
        pages: u16,
        /// To shared (else to private).
        shared: bool,
        /// An honest VMM first answers this many MapGPAs `RETRY` at the start (mod 8).
        stalls: u8 as Mod<8>,
    },
    /// TDG.VP.VMCALL\<GetQuote\>.
    VmcallGetQuote {
        /// The buffer.
        buffer: MemRef,
        /// Its length: half the time one to four 4 KiB pages (a buffer that fits the arena),
        /// else any 32-bit value.
        len: u32 as Pages,
    },
    /// TDG.VP.VMCALL\<SetupEventNotifyInterrupt\>.
    VmcallNotify {
        /// The vector.
        vector: u8,
    },
    /// TDG.VP.VMCALL\<Service\>.
    VmcallService {
        /// Command buffer.
        command: MemRef,
        /// Response buffer.
        response: MemRef,
        /// Notify vector (0: blocking).
        vector: u8,
        /// Timeout.
        timeout: u64,
    },
    /// TDG.VP.VMCALL\<Instruction.CPUID\>.
    VmcallCpuid {
        /// EAX.
        leaf: u32,
        /// ECX.
        subleaf: u32,
    },
    /// TDG.VP.VMCALL\<Instruction.HLT\>.
    VmcallHlt {
        /// RFLAGS.IF = 0.
        blocked: bool,
    },
    /// TDG.VP.VMCALL\<Instruction.IO\>.
    VmcallIo {
        /// Size in bytes (one of 1, 2, 4, 8, 3 by the byte mod 5).
        size: u8 as Sizes,
        /// Port.
        port: u16,
        /// A write (else a read).
        write: bool,
        /// Value written.
        value: u32,
    },
    /// TDG.VP.VMCALL\<Instruction.RDMSR\>.
    VmcallRdmsr {
        /// MSR index.
        msr: u32,
    },
    /// TDG.VP.VMCALL\<Instruction.WRMSR\>.
    VmcallWrmsr {
        /// MSR index.
        msr: u32,
        /// Value.
        value: u64,
    },
    /// TDG.VP.VMCALL\<#VE.RequestMMIO\>.
    VmcallMmio {
        /// Size in bytes (one of 1, 2, 4, 8, 3 by the byte mod 5).
        size: u8 as Sizes,
        /// The MMIO address (shared slots are the valid ones).
        gpa: MemRef,
        /// A write (else a read).
        write: bool,
        /// Value written.
        value: u64,
    },
    /// TDG.VP.VMCALL\<Instruction.WBINVD\>.
    VmcallWbinvd {
        /// WBNOINVD.
        no_invalidate: bool,
    },
    /// The vendor-specific TDG.VP.VMCALL (KVM convention).
    VmcallKvm {
        /// Hypercall number (R10).
        nr: u64,
        /// Arguments.
        args: [u64; 4],
    },
    /// TDG.VP.VMCALL\<ReportFatalError\>, run in a child process (it does not return).
    VmcallFatal {
        /// Error code (R12).
        code: u64,
        /// GPA of more data (R13), if any.
        data: Option<u64>,
        /// Message bytes.
        message: [u8; 64],
        /// Message length used (mod 65).
        len: u8 as Mod<65>,
        /// Calls the VMM resumes before the one checked (mod 3): the call repeats, with the
        /// VMM's values in every exposed register.
        resumes: u8 as Mod<3>,
    },
    /// A leaf whose status the module replaces with `status` (a future or faulty module):
    /// exercises the wrappers' decoding of every status, known or not.
    ForcedStatus {
        /// Which call: mod 10 + `forced::FORCED_CALLS.len()`, the ten core calls of
        /// `run_forced`, then [`crate::forced::FORCED_CALLS`].
        leaf: u8,
        /// The status the module returns.
        status: StatusRef,
    },
}

impl Call {
    /// Whether the call is a TDG.VP.VMCALL (or the VMM choice that goes with them).
    pub fn is_vmcall(&self) -> bool {
        matches!(
            self.kind(),
            Kind::SetVmm
                | Kind::VmcallInfo
                | Kind::VmcallMapGpa
                | Kind::VmcallConvert
                | Kind::VmcallGetQuote
                | Kind::VmcallNotify
                | Kind::VmcallService
                | Kind::VmcallCpuid
                | Kind::VmcallHlt
                | Kind::VmcallIo
                | Kind::VmcallRdmsr
                | Kind::VmcallWrmsr
                | Kind::VmcallMmio
                | Kind::VmcallWbinvd
                | Kind::VmcallKvm
                | Kind::VmcallFatal
        )
    }

    /// Whether the call is one of the TDX 1.5 leaves.
    pub fn is_leaf15(&self) -> bool {
        matches!(
            self.kind(),
            Kind::VpRd
                | Kind::VpWr
                | Kind::SysRd
                | Kind::SysRdAll
                | Kind::ServtdRd
                | Kind::ServtdWr
                | Kind::VerifyReport
                | Kind::AttrRd
                | Kind::AttrWr
                | Kind::VpEnter
                | Kind::Invept
                | Kind::Invgla
                | Kind::InvglaList
        )
    }
}

/// A fuzz target: which call kinds its inputs decode to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// TDG.MEM.PAGE.ACCEPT and `accept_range`.
    LeafAccept,
    /// TDG.VP.INFO.
    LeafVpInfo,
    /// TDG.VM.RD, versions 0 and 1.
    LeafVmRd,
    /// TDG.VM.WR (with reads to observe it).
    LeafVmWr,
    /// TDG.MR.REPORT.
    LeafReport,
    /// TDG.MR.RTMR.EXTEND (with reports to observe it).
    LeafRtmrExtend,
    /// TDG.VP.VEINFO.GET.
    LeafVeinfo,
    /// TDG.VP.CPUIDVE.SET.
    LeafCpuidve,
    /// Status decoding: statuses forced on every leaf.
    StatusDecode,
    /// TDG.VP.RD.
    LeafVpRd,
    /// TDG.VP.WR.
    LeafVpWr,
    /// TDG.SYS.RD.
    LeafSysRd,
    /// TDG.SYS.RDALL.
    LeafSysRdAll,
    /// TDG.SERVTD.RD.
    LeafServtdRd,
    /// TDG.SERVTD.WR.
    LeafServtdWr,
    /// TDG.MR.VERIFYREPORT.
    LeafVerifyReport,
    /// TDG.MR.KEY.GET.
    LeafMrKeyGet,
    /// TDG.MEM.PAGE.ATTR.RD.
    LeafPageAttrRd,
    /// TDG.MEM.PAGE.ATTR.WR.
    LeafPageAttrWr,
    /// TDG.VP.ENTER.
    LeafVpEnter,
    /// TDG.VP.INVEPT.
    LeafInvept,
    /// TDG.VP.INVGLA.
    LeafInvgla,
    /// GetTdVmCallInfo.
    VmcallGetTdVmCallInfo,
    /// MapGPA.
    VmcallMapGpa,
    /// GetQuote.
    VmcallGetQuote,
    /// ReportFatalError.
    VmcallReportFatalError,
    /// SetupEventNotifyInterrupt.
    VmcallSetupEventNotifyInterrupt,
    /// Service.
    VmcallService,
    /// Instruction.CPUID.
    VmcallCpuid,
    /// Instruction.HLT.
    VmcallHlt,
    /// Instruction.IO.
    VmcallIo,
    /// Instruction.RDMSR.
    VmcallRdmsr,
    /// Instruction.WRMSR.
    VmcallWrmsr,
    /// #VE.RequestMMIO.
    VmcallMmio,
    /// Instruction.WBINVD.
    VmcallWbinvd,
    /// The vendor-specific escape (KVM hypercall).
    VmcallVendor,
    /// The higher-level helpers in long sequences against the hostile VMM.
    VmcallHostile,
    /// Everything (campaign and property tests).
    All,
}

impl Target {
    /// The fuzz targets, in the order the README lists them.
    pub const FUZZ: [Target; 37] = [
        Target::LeafAccept,
        Target::LeafVpInfo,
        Target::LeafVmRd,
        Target::LeafVmWr,
        Target::LeafReport,
        Target::LeafRtmrExtend,
        Target::LeafVeinfo,
        Target::LeafCpuidve,
        Target::StatusDecode,
        Target::LeafVpRd,
        Target::LeafVpWr,
        Target::LeafSysRd,
        Target::LeafSysRdAll,
        Target::LeafServtdRd,
        Target::LeafServtdWr,
        Target::LeafVerifyReport,
        Target::LeafMrKeyGet,
        Target::LeafPageAttrRd,
        Target::LeafPageAttrWr,
        Target::LeafVpEnter,
        Target::LeafInvept,
        Target::LeafInvgla,
        Target::VmcallGetTdVmCallInfo,
        Target::VmcallMapGpa,
        Target::VmcallGetQuote,
        Target::VmcallReportFatalError,
        Target::VmcallSetupEventNotifyInterrupt,
        Target::VmcallService,
        Target::VmcallCpuid,
        Target::VmcallHlt,
        Target::VmcallIo,
        Target::VmcallRdmsr,
        Target::VmcallWrmsr,
        Target::VmcallMmio,
        Target::VmcallWbinvd,
        Target::VmcallVendor,
        Target::VmcallHostile,
    ];

    /// The fuzz target's name (`fuzz/fuzz_targets/<name>.rs`, `corpora/<name>/`).
    pub fn name(self) -> &'static str {
        match self {
            Target::LeafAccept => "leaf_accept",
            Target::LeafVpInfo => "leaf_vp_info",
            Target::LeafVmRd => "leaf_vm_rd",
            Target::LeafVmWr => "leaf_vm_wr",
            Target::LeafReport => "leaf_report",
            Target::LeafRtmrExtend => "leaf_rtmr_extend",
            Target::LeafVeinfo => "leaf_veinfo",
            Target::LeafCpuidve => "leaf_cpuidve",
            Target::StatusDecode => "status_decode",
            Target::LeafVpRd => "leaf_vp_rd",
            Target::LeafVpWr => "leaf_vp_wr",
            Target::LeafSysRd => "leaf_sys_rd",
            Target::LeafSysRdAll => "leaf_sys_rdall",
            Target::LeafServtdRd => "leaf_servtd_rd",
            Target::LeafServtdWr => "leaf_servtd_wr",
            Target::LeafVerifyReport => "leaf_verifyreport",
            Target::LeafMrKeyGet => "leaf_mr_key_get",
            Target::LeafPageAttrRd => "leaf_page_attr_rd",
            Target::LeafPageAttrWr => "leaf_page_attr_wr",
            Target::LeafVpEnter => "leaf_vp_enter",
            Target::LeafInvept => "leaf_invept",
            Target::LeafInvgla => "leaf_invgla",
            Target::VmcallGetTdVmCallInfo => "vmcall_get_td_vm_call_info",
            Target::VmcallMapGpa => "vmcall_map_gpa",
            Target::VmcallGetQuote => "vmcall_get_quote",
            Target::VmcallReportFatalError => "vmcall_report_fatal_error",
            Target::VmcallSetupEventNotifyInterrupt => "vmcall_setup_event_notify_interrupt",
            Target::VmcallService => "vmcall_service",
            Target::VmcallCpuid => "vmcall_cpuid",
            Target::VmcallHlt => "vmcall_hlt",
            Target::VmcallIo => "vmcall_io",
            Target::VmcallRdmsr => "vmcall_rdmsr",
            Target::VmcallWrmsr => "vmcall_wrmsr",
            Target::VmcallMmio => "vmcall_mmio",
            Target::VmcallWbinvd => "vmcall_wbinvd",
            Target::VmcallVendor => "vmcall_vendor",
            Target::VmcallHostile => "vmcall_hostile",
            Target::All => "all",
        }
    }

    /// The call kinds the target's inputs decode to, in kind-byte order.
    pub fn kinds(self) -> &'static [Kind] {
        use Kind::*;
        match self {
            // accept_range makes hundreds of TDCALLs per call: one slot in eight.
            Target::LeafAccept => &[
                Accept,
                Accept,
                Accept,
                Accept,
                Accept,
                Accept,
                Accept,
                AcceptRange,
            ],
            Target::LeafVpInfo => &[VpInfo],
            Target::LeafVmRd => &[VmRd, VmRdV1, VmRdFirst],
            Target::LeafVmWr => &[VmWr, VmRd],
            Target::LeafReport => &[Report],
            Target::LeafRtmrExtend => &[RtmrExtend, Report],
            Target::LeafVeinfo => &[VeinfoGet],
            // With TDG.VM.WR: a TD_CTLS.LOCK freezes the controls (1.5.34 on).
            Target::LeafCpuidve => &[CpuidveSet, CpuidveSet, CpuidveSet, VmWr],
            Target::StatusDecode => &[ForcedStatus],
            Target::LeafVpRd => &[VpRd],
            Target::LeafVpWr => &[VpWr, VpRd],
            Target::LeafSysRd => &[SysRd],
            Target::LeafSysRdAll => &[SysRdAll],
            Target::LeafServtdRd => &[ServtdRd],
            Target::LeafServtdWr => &[ServtdWr, ServtdRd],
            Target::LeafVerifyReport => &[VerifyReport, RtmrExtend],
            // With extends, so keys are derived from RTMRs that change.
            Target::LeafMrKeyGet => &[MrKeyGet, MrKeyGet, RtmrExtend],
            Target::LeafPageAttrRd => &[AttrRd, AttrWr],
            Target::LeafPageAttrWr => &[AttrWr, AttrRd, Accept],
            Target::LeafVpEnter => &[VpEnter, VpWr],
            Target::LeafInvept => &[Invept],
            Target::LeafInvgla => &[Invgla, InvglaList],
            // Each sub-function with a VMM switch, so honest and hostile answers mix.
            Target::VmcallGetTdVmCallInfo => &[VmcallInfo, SetVmm],
            Target::VmcallMapGpa => &[VmcallMapGpa, VmcallConvert, SetVmm],
            Target::VmcallGetQuote => &[VmcallGetQuote, SetVmm],
            Target::VmcallReportFatalError => &[VmcallFatal, SetVmm],
            Target::VmcallSetupEventNotifyInterrupt => &[VmcallNotify, SetVmm],
            Target::VmcallService => &[VmcallService, SetVmm],
            Target::VmcallCpuid => &[VmcallCpuid, SetVmm],
            Target::VmcallHlt => &[VmcallHlt, SetVmm],
            Target::VmcallIo => &[VmcallIo, SetVmm],
            Target::VmcallRdmsr => &[VmcallRdmsr, SetVmm],
            Target::VmcallWrmsr => &[VmcallWrmsr, VmcallRdmsr, SetVmm],
            Target::VmcallMmio => &[VmcallMmio, SetVmm],
            Target::VmcallWbinvd => &[VmcallWbinvd, SetVmm],
            Target::VmcallVendor => &[VmcallKvm, SetVmm],
            // Programs of this target start with the hostile VMM (see `Program::decode`).
            Target::VmcallHostile => &[
                VmcallConvert,
                VmcallConvert,
                VmcallMapGpa,
                VmcallIo,
                VmcallMmio,
                VmcallCpuid,
                VmcallRdmsr,
                VmcallInfo,
            ],
            Target::All => &[
                VpInfo,
                RtmrExtend,
                VeinfoGet,
                Report,
                CpuidveSet,
                Accept,
                AcceptRange,
                VmRd,
                VmRdV1,
                VmRdFirst,
                VmWr,
                ForcedStatus,
                VpRd,
                VpWr,
                SysRd,
                SysRdAll,
                ServtdRd,
                ServtdWr,
                VerifyReport,
                AttrRd,
                AttrWr,
                VpEnter,
                Invept,
                Invgla,
                InvglaList,
                SetVmm,
                VmcallInfo,
                VmcallMapGpa,
                VmcallConvert,
                VmcallGetQuote,
                VmcallNotify,
                VmcallService,
                VmcallCpuid,
                VmcallHlt,
                VmcallIo,
                VmcallRdmsr,
                VmcallWrmsr,
                VmcallMmio,
                VmcallWbinvd,
                VmcallKvm,
                MrKeyGet,
            ],
        }
    }
}

/// A sequence of calls run against one fresh simulated TD.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Program(pub Vec<Call>);

impl Program {
    /// Decodes a fuzzer input for `target` (see the [module documentation](self)).
    pub fn decode(target: Target, data: &[u8]) -> Program {
        let kinds = target.kinds();
        let mut u = Unstructured::new(data);
        let mut calls = Vec::new();
        if target == Target::VmcallHostile {
            let seed = u64::arbitrary(&mut u).unwrap_or(0);
            calls.push(Call::SetVmm {
                hostile: true,
                seed,
            });
        }
        while !u.is_empty() && calls.len() < MAX_CALLS {
            let Ok(k) = u8::arbitrary(&mut u) else { break };
            match read_call(&mut u, kinds[k as usize % kinds.len()]) {
                Ok(c) => calls.push(c),
                Err(_) => break,
            }
        }
        Program(calls)
    }

    /// Encodes the program for `target`, so that [`decode`](Self::decode) gives it back.
    /// `None` if a call's kind is not one of the target's, or a field holds a value its codec
    /// cannot give back (a `Mod<N>` field at N or above, a level or size outside its table, an
    /// INVGLA base with bits 1:0 set that is not page aligned).
    pub fn encode(&self, target: Target) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut calls = &self.0[..];
        if target == Target::VmcallHostile {
            match calls.first() {
                Some(Call::SetVmm {
                    hostile: true,
                    seed,
                }) => out.extend(seed.to_le_bytes()),
                _ => return None,
            }
            calls = &calls[1..];
        }
        for c in calls {
            let k = target.kinds().iter().position(|k| *k == c.kind())?;
            out.push(k as u8);
            write_call(c, &mut out)?;
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        let p = Program(vec![
            Call::VpInfo,
            Call::Accept {
                page: PageRef::Region(7),
                level: 1,
                busy: true,
                interrupts: 2,
            },
            Call::VmWr {
                field: FieldRef::Raw(0x1110_0003_0000_0017),
                value: 5,
                mask: 1,
                narrow: false,
            },
            Call::ForcedStatus {
                leaf: 3,
                status: StatusRef::Known {
                    index: 9,
                    details: 1,
                },
            },
            Call::VeinfoGet {
                info: Some(VeInfoSeed {
                    exit_reason: 48,
                    exit_qualification: 1,
                    gla: 2,
                    gpa: 3,
                    instruction_length: 4,
                    instruction_info: 5,
                    ve_category: 6,
                    interruptibility_state: 7,
                }),
                version: 2,
            },
            Call::Report {
                report: MemRef::Slot(16),
                data: MemRef::SharedSlot(1),
                subtype: 0,
                requestor: 2,
                report_data: [7; 64],
                interrupts: 1,
            },
        ]);
        let bytes = p.encode(Target::All).unwrap();
        assert_eq!(Program::decode(Target::All, &bytes), p);
        assert!(p.encode(Target::LeafAccept).is_none());
    }

    /// Every program the reader makes, the writer gives back: the one description holds both
    /// ways, for every target and every field codec.
    #[test]
    fn every_decoded_program_encodes_back() {
        let mut state = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as u8
        };
        let mut targets = Target::FUZZ.to_vec();
        targets.push(Target::All);
        for target in targets {
            for len in 0..600 {
                let bytes: Vec<u8> = (0..len).map(|_| next()).collect();
                let p = Program::decode(target, &bytes);
                let again = p.encode(target).map(|b| Program::decode(target, &b));
                assert_eq!(again.as_ref(), Some(&p), "{}: {bytes:02x?}", target.name());
            }
        }
    }

    #[test]
    fn values_a_codec_cannot_give_back_are_refused() {
        let refused = [
            Call::RtmrExtend {
                data: MemRef::Slot(0),
                index: 5,
                value: [0; 48],
                busy: false,
            },
            Call::Accept {
                page: PageRef::Region(0),
                level: 4,
                busy: false,
                interrupts: 0,
            },
            Call::Invgla {
                vm: 1,
                base: 0x1001,
                pages: 1,
            },
            Call::VmcallIo {
                size: 5,
                port: 0,
                write: false,
                value: 0,
            },
        ];
        for c in refused {
            assert_eq!(Program(vec![c.clone()]).encode(Target::All), None, "{c:?}");
        }
    }
}
