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
//! | `VeinfoGet` | bool present, then (present) u32 exit reason, u64 qualification, u64 GLA, u64 GPA, u32 length, u32 info |
//! | `Report` | MemRef report, MemRef data, u8 subtype, \[u8; 64\] report data, u8 interrupts |
//! | `CpuidveSet` | bool supervisor, bool user |
//! | `Accept` | PageRef page, u8 level (low 3 bits: 0–2 → 0, 3–5 → 1, 6 → 2, 7 → 3), bool busy, u8 interrupts |
//! | `AcceptRange` | u32 first page, u32 pages, u8 max level |
//! | `VmRd`, `VmRdV1` | FieldRef |
//! | `VmRdFirst` | – |
//! | `VmWr` | FieldRef, u64 value, u64 mask, bool narrow |
//! | `ForcedStatus` | u8 leaf, StatusRef status |
//!
//! `MemRef` = u8 tag (mod 3: 0 arena slot, 1 arena slot with the shared bit, 2 raw) then
//! u16 slot or u64 address. `PageRef` = u8 tag (mod 4: 0–2 a u32 page of the accept region,
//! 3 a raw u64 GPA). `FieldRef` = u8 tag (even: index u8 into the model's field table, odd:
//! raw u64 id). `StatusRef` = u8 tag (even: u8 index into the model's named statuses and u32
//! details, odd: raw u64). [`Program::encode`] writes exactly this; the corpora under `corpora/` use it.

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
    /// Index (mod the table length) into the model's field table.
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
}

/// One call of a program: a leaf with its inputs (as generated, before the typed constructors
/// see them) and the environment the model is put in first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// TDG.VP.INFO.
    VpInfo,
    /// TDG.MR.RTMR.EXTEND of `value` stored at `data`; `busy` holds the RTMR lock.
    RtmrExtend {
        /// Where the 48 bytes are.
        data: MemRef,
        /// RTMR index (checked by the constructor).
        index: u8,
        /// The extension value.
        value: [u8; 48],
        /// Another vCPU holds the RTMR lock.
        busy: bool,
    },
    /// TDG.VP.VEINFO.GET, with or without valid #VE information.
    VeinfoGet {
        /// The #VE information, if any.
        info: Option<VeInfoSeed>,
    },
    /// TDG.MR.REPORT.
    Report {
        /// Where the TDREPORT goes.
        report: MemRef,
        /// Where the REPORTDATA is.
        data: MemRef,
        /// Report sub-type (must be 0).
        subtype: u8,
        /// The REPORTDATA.
        report_data: [u8; 64],
        /// How many times the module is interrupted first (mod 4).
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
        level: u8,
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
    /// A leaf whose status the module replaces with `status` (a future or faulty module):
    /// exercises the wrappers' decoding of every status, known or not.
    ForcedStatus {
        /// Which leaf (mod the number of register-only leaves).
        leaf: u8,
        /// The status the module returns.
        status: StatusRef,
    },
}

/// The kinds of [`Call`], in encoding order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Kind {
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
}

impl Call {
    /// This call's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Call::VpInfo => Kind::VpInfo,
            Call::RtmrExtend { .. } => Kind::RtmrExtend,
            Call::VeinfoGet { .. } => Kind::VeinfoGet,
            Call::Report { .. } => Kind::Report,
            Call::CpuidveSet { .. } => Kind::CpuidveSet,
            Call::Accept { .. } => Kind::Accept,
            Call::AcceptRange { .. } => Kind::AcceptRange,
            Call::VmRd { .. } => Kind::VmRd,
            Call::VmRdV1 { .. } => Kind::VmRdV1,
            Call::VmRdFirst => Kind::VmRdFirst,
            Call::VmWr { .. } => Kind::VmWr,
            Call::ForcedStatus { .. } => Kind::ForcedStatus,
        }
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
    /// Everything (campaign and property tests).
    All,
}

impl Target {
    /// The fuzz targets, in the order the README lists them.
    pub const FUZZ: [Target; 9] = [
        Target::LeafAccept,
        Target::LeafVpInfo,
        Target::LeafVmRd,
        Target::LeafVmWr,
        Target::LeafReport,
        Target::LeafRtmrExtend,
        Target::LeafVeinfo,
        Target::LeafCpuidve,
        Target::StatusDecode,
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
            Target::LeafCpuidve => &[CpuidveSet],
            Target::StatusDecode => &[ForcedStatus],
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
            ],
        }
    }
}

/// A sequence of calls run against one fresh simulated TD.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Program(pub Vec<Call>);

fn mem_ref(u: &mut Unstructured<'_>) -> arbitrary::Result<MemRef> {
    Ok(match u8::arbitrary(u)? % 3 {
        0 => MemRef::Slot(u16::arbitrary(u)?),
        1 => MemRef::SharedSlot(u16::arbitrary(u)?),
        _ => MemRef::Raw(u64::arbitrary(u)?),
    })
}

/// ACCEPT levels by the low three bits of their byte: mostly 4 KiB and 2 MiB.
const LEVELS: [u8; 8] = [0, 0, 0, 1, 1, 1, 2, 3];

fn page_ref(u: &mut Unstructured<'_>) -> arbitrary::Result<PageRef> {
    Ok(if u8::arbitrary(u)? % 4 != 3 {
        PageRef::Region(u32::arbitrary(u)?)
    } else {
        PageRef::Raw(u64::arbitrary(u)?)
    })
}

fn field_ref(u: &mut Unstructured<'_>) -> arbitrary::Result<FieldRef> {
    Ok(if u8::arbitrary(u)? % 2 == 0 {
        FieldRef::Known(u8::arbitrary(u)?)
    } else {
        FieldRef::Raw(u64::arbitrary(u)?)
    })
}

fn bytes<const N: usize>(u: &mut Unstructured<'_>) -> arbitrary::Result<[u8; N]> {
    let mut b = [0u8; N];
    u.fill_buffer(&mut b)?;
    Ok(b)
}

fn call(u: &mut Unstructured<'_>, kind: Kind) -> arbitrary::Result<Call> {
    Ok(match kind {
        Kind::VpInfo => Call::VpInfo,
        Kind::RtmrExtend => Call::RtmrExtend {
            data: mem_ref(u)?,
            index: u8::arbitrary(u)? % 5,
            value: bytes(u)?,
            busy: bool::arbitrary(u)?,
        },
        Kind::VeinfoGet => Call::VeinfoGet {
            info: if bool::arbitrary(u)? {
                Some(VeInfoSeed {
                    exit_reason: u32::arbitrary(u)?,
                    exit_qualification: u64::arbitrary(u)?,
                    gla: u64::arbitrary(u)?,
                    gpa: u64::arbitrary(u)?,
                    instruction_length: u32::arbitrary(u)?,
                    instruction_info: u32::arbitrary(u)?,
                })
            } else {
                None
            },
        },
        Kind::Report => Call::Report {
            report: mem_ref(u)?,
            data: mem_ref(u)?,
            subtype: u8::arbitrary(u)?,
            report_data: bytes(u)?,
            interrupts: u8::arbitrary(u)?,
        },
        Kind::CpuidveSet => Call::CpuidveSet {
            supervisor: bool::arbitrary(u)?,
            user: bool::arbitrary(u)?,
        },
        Kind::Accept => Call::Accept {
            page: page_ref(u)?,
            level: LEVELS[u8::arbitrary(u)? as usize % LEVELS.len()],
            busy: bool::arbitrary(u)?,
            interrupts: u8::arbitrary(u)?,
        },
        Kind::AcceptRange => Call::AcceptRange {
            first_page: u32::arbitrary(u)?,
            pages: u32::arbitrary(u)?,
            max_level: u8::arbitrary(u)?,
        },
        Kind::VmRd => Call::VmRd {
            field: field_ref(u)?,
        },
        Kind::VmRdV1 => Call::VmRdV1 {
            field: field_ref(u)?,
        },
        Kind::VmRdFirst => Call::VmRdFirst,
        Kind::VmWr => Call::VmWr {
            field: field_ref(u)?,
            value: u64::arbitrary(u)?,
            mask: u64::arbitrary(u)?,
            narrow: bool::arbitrary(u)?,
        },
        Kind::ForcedStatus => Call::ForcedStatus {
            leaf: u8::arbitrary(u)?,
            status: if u8::arbitrary(u)? % 2 == 0 {
                StatusRef::Known {
                    index: u8::arbitrary(u)?,
                    details: u32::arbitrary(u)?,
                }
            } else {
                StatusRef::Raw(u64::arbitrary(u)?)
            },
        },
    })
}

impl Program {
    /// Decodes a fuzzer input for `target` (see the [module documentation](self)).
    pub fn decode(target: Target, data: &[u8]) -> Program {
        let kinds = target.kinds();
        let mut u = Unstructured::new(data);
        let mut calls = Vec::new();
        while !u.is_empty() && calls.len() < MAX_CALLS {
            let Ok(k) = u8::arbitrary(&mut u) else { break };
            match call(&mut u, kinds[k as usize % kinds.len()]) {
                Ok(c) => calls.push(c),
                Err(_) => break,
            }
        }
        Program(calls)
    }

    /// Encodes the program for `target`, so that [`decode`](Self::decode) gives it back.
    /// `None` if a call's kind is not one of the target's.
    pub fn encode(&self, target: Target) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for c in &self.0 {
            let k = target.kinds().iter().position(|k| *k == c.kind())?;
            out.push(k as u8);
            encode_call(c, &mut out);
        }
        Some(out)
    }
}

fn put_mem(m: &MemRef, o: &mut Vec<u8>) {
    match *m {
        MemRef::Slot(x) => {
            o.push(0);
            o.extend(x.to_le_bytes())
        }
        MemRef::SharedSlot(x) => {
            o.push(1);
            o.extend(x.to_le_bytes())
        }
        MemRef::Raw(x) => {
            o.push(2);
            o.extend(x.to_le_bytes())
        }
    }
}

fn put_field(f: &FieldRef, o: &mut Vec<u8>) {
    match *f {
        FieldRef::Known(i) => o.extend([0, i]),
        FieldRef::Raw(x) => {
            o.push(1);
            o.extend(x.to_le_bytes())
        }
    }
}

fn encode_call(c: &Call, o: &mut Vec<u8>) {
    match c {
        Call::VpInfo | Call::VmRdFirst => {}
        Call::RtmrExtend {
            data,
            index,
            value,
            busy,
        } => {
            put_mem(data, o);
            o.push(*index);
            o.extend(value);
            o.push(*busy as u8);
        }
        Call::VeinfoGet { info } => match info {
            None => o.push(0),
            Some(i) => {
                o.push(1);
                o.extend(i.exit_reason.to_le_bytes());
                o.extend(i.exit_qualification.to_le_bytes());
                o.extend(i.gla.to_le_bytes());
                o.extend(i.gpa.to_le_bytes());
                o.extend(i.instruction_length.to_le_bytes());
                o.extend(i.instruction_info.to_le_bytes());
            }
        },
        Call::Report {
            report,
            data,
            subtype,
            report_data,
            interrupts,
        } => {
            put_mem(report, o);
            put_mem(data, o);
            o.push(*subtype);
            o.extend(report_data);
            o.push(*interrupts);
        }
        Call::CpuidveSet { supervisor, user } => o.extend([*supervisor as u8, *user as u8]),
        Call::Accept {
            page,
            level,
            busy,
            interrupts,
        } => {
            match *page {
                PageRef::Region(i) => {
                    o.push(0);
                    o.extend(i.to_le_bytes())
                }
                PageRef::Raw(x) => {
                    o.push(3);
                    o.extend(x.to_le_bytes())
                }
            }
            o.push(LEVELS.iter().position(|l| l == level).unwrap_or(7) as u8);
            o.push(*busy as u8);
            o.push(*interrupts);
        }
        Call::AcceptRange {
            first_page,
            pages,
            max_level,
        } => {
            o.extend(first_page.to_le_bytes());
            o.extend(pages.to_le_bytes());
            o.push(*max_level);
        }
        Call::VmRd { field } | Call::VmRdV1 { field } => put_field(field, o),
        Call::VmWr {
            field,
            value,
            mask,
            narrow,
        } => {
            put_field(field, o);
            o.extend(value.to_le_bytes());
            o.extend(mask.to_le_bytes());
            o.push(*narrow as u8);
        }
        Call::ForcedStatus { leaf, status } => {
            o.push(*leaf);
            match *status {
                StatusRef::Known { index, details } => {
                    o.extend([0, index]);
                    o.extend(details.to_le_bytes());
                }
                StatusRef::Raw(x) => {
                    o.push(1);
                    o.extend(x.to_le_bytes());
                }
            }
        }
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
                }),
            },
            Call::Report {
                report: MemRef::Slot(16),
                data: MemRef::SharedSlot(1),
                subtype: 0,
                report_data: [7; 64],
                interrupts: 1,
            },
        ]);
        let bytes = p.encode(Target::All).unwrap();
        assert_eq!(Program::decode(Target::All, &bytes), p);
        assert!(p.encode(Target::LeafAccept).is_none());
    }
}
