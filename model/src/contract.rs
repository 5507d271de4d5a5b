//! The declarative register contract of each modelled TDCALL leaf.
//!
//! A [`LeafContract`] lists which registers the TDX module reads (besides RAX), which it writes,
//! the bit fields of each, what an output register holds when the leaf fails, and which registers
//! are guaranteed preserved. It is written from the TDX module 1.5.05 source
//! (`src/td_dispatcher/vm_exits/tdg_*.c`, `niooss-ledger/tdx-module` @ `f99767b4`) and the fact
//! sheet `tdx-abi.md` §3.2.
//!
//! Failure semantics: [`OnFailure`] describes what a leaf writes when *the leaf function* reports
//! an error status. A RAX decoding failure (reserved bits 63:24 set, unknown leaf, bad version)
//! is reported by the TDCALL dispatcher before the leaf runs and writes nothing but RAX — with one
//! exception modelled by [`crate::TdxModule`]: TDG.VM.RD with a version > 1 reaches the leaf
//! function, which writes its defaults (R8 = 0, RDX = -1) before failing with
//! `TDX_OPERAND_INVALID` on RAX.

use crate::leaf;
use crate::regs::{Gpr, RegSet, Regs};
use crate::status;

/// How a bit field is treated by the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A meaningful value. On an output register, a value the module writes.
    Value,
    /// Reserved. On input: must be zero, the module rejects non-zero. On output: written as zero.
    MustBeZero,
    /// Reserved and ignored by the module (input only).
    Ignored,
}

/// A bit field `[lsb + width - 1 : lsb]` of a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitField {
    /// Field name (snake case; reserved fields are named `reserved*`).
    pub name: &'static str,
    /// Least significant bit.
    pub lsb: u8,
    /// Width in bits (1..=64).
    pub width: u8,
    /// Treatment.
    pub kind: FieldKind,
}

impl BitField {
    /// Mask of the field's value, unshifted (`width` low bits set).
    pub const fn value_mask(&self) -> u64 {
        if self.width >= 64 {
            u64::MAX
        } else {
            (1u64 << self.width) - 1
        }
    }

    /// Mask of the field's bits within the register.
    pub const fn reg_mask(&self) -> u64 {
        self.value_mask() << self.lsb
    }

    /// Extract the field's value (unshifted) from a register value.
    pub const fn extract(&self, reg: u64) -> u64 {
        (reg >> self.lsb) & self.value_mask()
    }
}

/// A register the module reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputReg {
    /// The register.
    pub reg: Gpr,
    /// What it holds.
    pub name: &'static str,
    /// Its fields, covering all 64 bits.
    pub fields: &'static [BitField],
}

/// What an output register holds when the leaf fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnFailure {
    /// Not written on failure: keeps its input value.
    Unchanged,
    /// Written with this value when the leaf fails.
    Default(u64),
}

/// A register the module writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputReg {
    /// The register.
    pub reg: Gpr,
    /// What it holds.
    pub name: &'static str,
    /// Its fields, covering all 64 bits.
    pub fields: &'static [BitField],
    /// Value on failure.
    pub on_failure: OnFailure,
}

/// The register contract of one leaf at one version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeafContract {
    /// Spec name, e.g. `"TDG.MEM.PAGE.ACCEPT"`.
    pub name: &'static str,
    /// Leaf number.
    pub leaf: u16,
    /// Version.
    pub version: u8,
    /// Registers the module reads (besides RAX).
    pub inputs: &'static [InputReg],
    /// Registers the module writes (besides RAX).
    pub outputs: &'static [OutputReg],
    /// RAX + every register the module may write, on success or failure.
    pub may_modify: RegSet,
    /// The leaf reads guest memory.
    pub reads_guest_memory: bool,
    /// The leaf writes guest memory.
    pub writes_guest_memory: bool,
    /// The leaf may be interrupted (RAX and RIP untouched, TDCALL re-executes).
    pub interruptible: bool,
    /// Error statuses (bits 63:32) after which the module writes every output as on success,
    /// so no output's `on_failure` applies ([`LeafContract::outputs_written`]): TDG.VP.ENTER's
    /// `TDX_L2_VM_ENTRY_FAILED`, an L2 exit whose VM never ran.
    pub outputs_on_error: &'static [u64],
    /// Where the contract comes from.
    pub spec_ref: &'static str,
}

/// Why [`LeafContract::encode`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// A name in the values is not a `Value` field of any input register. Holds the name when it
    /// is a (reserved) field of the contract, else `"<unknown>"` (the error keeps `'static`
    /// names only).
    UnknownField(&'static str),
    /// A `Value` field of an input register has no value.
    MissingField(&'static str),
    /// The value does not fit in the field's width.
    ValueTooWide {
        /// Field name.
        field: &'static str,
        /// The value given.
        value: u64,
        /// The field's width.
        width: u8,
    },
    /// The same field was given twice.
    DuplicateField(&'static str),
}

/// The input registers built by [`LeafContract::encode`]: a fixed-capacity list (no allocation)
/// of `(register, value)` pairs in the order of [`LeafContract::inputs`]. RAX is not included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodedInputs {
    regs: [(Gpr, u64); EncodedInputs::CAPACITY],
    len: usize,
}

impl EncodedInputs {
    /// Maximum number of input registers of any leaf (TDG.SERVTD.WR: RCX, RDX, R8–R13).
    pub const CAPACITY: usize = 8;

    /// The `(register, value)` pairs.
    pub fn as_slice(&self) -> &[(Gpr, u64)] {
        &self.regs[..self.len]
    }

    /// Number of registers.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no input register.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value for `reg`, if it is an input.
    pub fn get(&self, reg: Gpr) -> Option<u64> {
        self.as_slice()
            .iter()
            .find(|(r, _)| *r == reg)
            .map(|(_, v)| *v)
    }

    /// Write the inputs into a register file (other registers untouched).
    pub fn apply(&self, regs: &mut Regs) {
        for (r, v) in self.as_slice() {
            regs[*r] = *v;
        }
    }
}

// Encoding helper for the error variant (keeps a `&'static str` from a borrowed name).
fn static_name(c: &LeafContract, name: &str) -> &'static str {
    for i in c.inputs {
        for f in i.fields {
            if f.name == name {
                return f.name;
            }
        }
    }
    "<unknown>"
}

impl LeafContract {
    /// RAX input value for this leaf and version.
    pub const fn rax(&self) -> u64 {
        leaf::rax(self.leaf, self.version)
    }

    /// Whether the module writes the outputs as on success after completing with `status`
    /// (RAX): a success or warning, or an error of [`Self::outputs_on_error`]. Otherwise each
    /// output holds what its `on_failure` says.
    pub fn outputs_written(&self, status: u64) -> bool {
        status >> 63 == 0 || self.outputs_on_error.contains(&(status & !0xFFFF_FFFF))
    }

    /// Registers guaranteed unchanged by the leaf: the complement of [`Self::may_modify`]
    /// (RSP is always preserved).
    pub const fn preserved(&self) -> RegSet {
        self.may_modify.complement()
    }

    /// Registers the module reads, besides RAX.
    pub fn input_regs(&self) -> RegSet {
        let mut s = RegSet::EMPTY;
        for i in self.inputs {
            s = s.with(i.reg);
        }
        s
    }

    /// Registers the module writes, besides RAX.
    pub fn output_regs(&self) -> RegSet {
        let mut s = RegSet::EMPTY;
        for o in self.outputs {
            s = s.with(o.reg);
        }
        s
    }

    /// Build the input register values from named field values.
    ///
    /// Each value is the field's own value, unshifted (ACCEPT's `"gpa"` field is bits 51:12, so
    /// its value is `gpa >> 12`). Every `Value` field of every input register must be given;
    /// `MustBeZero`/`Ignored` fields are encoded as 0 and cannot be named. Errors: unknown name,
    /// duplicate name, missing `Value` field, value wider than the field.
    ///
    /// Returns a fixed-capacity [`EncodedInputs`] (no allocation) in the order of
    /// [`Self::inputs`]; leaves without inputs give an empty list.
    pub fn encode(&self, values: &[(&str, u64)]) -> Result<EncodedInputs, EncodeError> {
        // Every given name must be a Value field; no duplicates.
        for (i, (n, _)) in values.iter().enumerate() {
            let known = self.inputs.iter().any(|r| {
                r.fields
                    .iter()
                    .any(|f| f.kind == FieldKind::Value && f.name == *n)
            });
            if !known {
                return Err(EncodeError::UnknownField(static_name(self, n)));
            }
            if values[..i].iter().any(|(m, _)| m == n) {
                return Err(EncodeError::DuplicateField(static_name(self, n)));
            }
        }
        let mut out = EncodedInputs {
            regs: [(Gpr::Rax, 0); EncodedInputs::CAPACITY],
            len: 0,
        };
        for r in self.inputs {
            let mut v = 0u64;
            for f in r.fields {
                if f.kind != FieldKind::Value {
                    continue;
                }
                let Some((_, x)) = values.iter().find(|(n, _)| *n == f.name) else {
                    return Err(EncodeError::MissingField(f.name));
                };
                if *x & !f.value_mask() != 0 {
                    return Err(EncodeError::ValueTooWide {
                        field: f.name,
                        value: *x,
                        width: f.width,
                    });
                }
                v |= *x << f.lsb;
            }
            out.regs[out.len] = (r.reg, v);
            out.len += 1;
        }
        Ok(out)
    }

    /// Extract an output field value (unshifted) by name from an output register file.
    pub fn output_field(&self, regs: &Regs, name: &str) -> Option<u64> {
        self.outputs.iter().find_map(|o| {
            o.fields
                .iter()
                .find(|f| f.name == name)
                .map(|f| f.extract(regs[o.reg]))
        })
    }

    /// Extract an input field value (unshifted) by name from an input register file.
    pub fn input_field(&self, regs: &Regs, name: &str) -> Option<u64> {
        self.inputs.iter().find_map(|i| {
            i.fields
                .iter()
                .find(|f| f.name == name)
                .map(|f| f.extract(regs[i.reg]))
        })
    }

    /// The output register entry for `reg`, if the leaf writes it.
    pub fn output(&self, reg: Gpr) -> Option<&'static OutputReg> {
        self.outputs.iter().find(|o| o.reg == reg)
    }

    /// The input register entry for `reg`, if the leaf reads it.
    pub fn input(&self, reg: Gpr) -> Option<&'static InputReg> {
        self.inputs.iter().find(|i| i.reg == reg)
    }
}

/// Register layouts that depend on another input, so that no one [`InputReg`] can hold their
/// fields: TDG.VP.INVGLA's RDX is a GLA entry when RCX.LIST = 0 and a GLA_LIST_INFO when LIST =
/// 1 (TDX Module v1.5 ABI specification, TDG.VP.INVGLA; module 1.5.05 `tdg_vp_invvpid.c`,
/// `gla_list_entry_t` and `gla_list_info_t`). The contract's `gla_entry_or_list` field is the
/// whole register; these name its parts.
pub mod layout {
    use super::{mbz, v, BitField, FieldKind};

    /// `gla_list_entry_t`: the pages `BASE_GLA`, `BASE_GLA + 4 KiB`, …, `+ LAST_GLA_INDEX`
    /// pages.
    pub const GLA_ENTRY: &[BitField] = &[v("last_gla_index", 0, 12), v("base_gla_page", 12, 52)];

    /// `gla_list_info_t`: entries `FIRST_ENTRY .. FIRST_ENTRY + NUM_ENTRIES` of the 4 KiB list
    /// at `LIST_GPA`.
    pub const GLA_LIST_INFO: &[BitField] = &[
        v("first_entry", 0, 9),
        mbz("reserved0", 9, 3),
        v("list_gpa_page", 12, 40),
        v("num_entries", 52, 10),
        mbz("reserved1", 62, 2),
    ];

    /// The register value with every `Value` field of `layout` given by name (reserved bits
    /// zero); `None` if a field is missing, unknown or its value too wide.
    pub fn pack(layout: &[BitField], values: &[(&str, u64)]) -> Option<u64> {
        if values.iter().any(|(n, _)| {
            !layout
                .iter()
                .any(|f| f.name == *n && f.kind == FieldKind::Value)
        }) {
            return None;
        }
        let mut raw = 0;
        for f in layout.iter().filter(|f| f.kind == FieldKind::Value) {
            let (_, x) = values.iter().find(|(n, _)| *n == f.name)?;
            if x & !f.value_mask() != 0 {
                return None;
            }
            raw |= x << f.lsb;
        }
        Some(raw)
    }

    /// Field `name` of `raw` (unshifted). Panics on a name the layout does not have.
    pub fn get(layout: &[BitField], raw: u64, name: &str) -> u64 {
        field(layout, name).extract(raw)
    }

    /// `raw` with field `name` replaced by `value` (truncated to the field's width).
    pub fn set(layout: &[BitField], raw: u64, name: &str, value: u64) -> u64 {
        let f = field(layout, name);
        (raw & !f.reg_mask()) | ((value & f.value_mask()) << f.lsb)
    }

    /// The reserved (must-be-zero) bits of `raw` that are set.
    pub fn reserved(layout: &[BitField], raw: u64) -> u64 {
        layout
            .iter()
            .filter(|f| f.kind == FieldKind::MustBeZero)
            .fold(0, |m, f| m | (raw & f.reg_mask()))
    }

    fn field<'a>(layout: &'a [BitField], name: &str) -> &'a BitField {
        layout
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no field {name} in the layout"))
    }
}

const fn v(name: &'static str, lsb: u8, width: u8) -> BitField {
    BitField {
        name,
        lsb,
        width,
        kind: FieldKind::Value,
    }
}

const fn mbz(name: &'static str, lsb: u8, width: u8) -> BitField {
    BitField {
        name,
        lsb,
        width,
        kind: FieldKind::MustBeZero,
    }
}

// ---- TDG.VP.INFO (1) ----
const VP_INFO_OUT: &[OutputReg] = &[
    OutputReg {
        reg: Gpr::Rcx,
        name: "GPA width",
        fields: &[v("gpa_width", 0, 6), mbz("reserved", 6, 58)],
        on_failure: OnFailure::Unchanged,
    },
    OutputReg {
        reg: Gpr::Rdx,
        name: "TD ATTRIBUTES",
        fields: &[v("attributes", 0, 64)],
        on_failure: OnFailure::Unchanged,
    },
    OutputReg {
        reg: Gpr::R8,
        name: "NUM_VCPUS / MAX_VCPUS",
        fields: &[v("num_vcpus", 0, 32), v("max_vcpus", 32, 32)],
        on_failure: OnFailure::Unchanged,
    },
    OutputReg {
        reg: Gpr::R9,
        name: "VCPU_INDEX",
        fields: &[v("vcpu_index", 0, 32), mbz("reserved", 32, 32)],
        on_failure: OnFailure::Unchanged,
    },
    OutputReg {
        reg: Gpr::R10,
        name: "available TDCALL leaves",
        fields: &[v("sys_rd", 0, 1), mbz("reserved", 1, 63)],
        on_failure: OnFailure::Unchanged,
    },
    OutputReg {
        reg: Gpr::R11,
        name: "reserved",
        fields: &[mbz("reserved", 0, 64)],
        on_failure: OnFailure::Unchanged,
    },
];

// ---- TDG.MR.RTMR.EXTEND (2) ----
const RTMR_EXTEND_IN: &[InputReg] = &[
    InputReg {
        reg: Gpr::Rcx,
        name: "GPA of the 48-byte extend data (64-byte aligned, private)",
        fields: &[v("extend_data_gpa", 0, 64)],
    },
    InputReg {
        reg: Gpr::Rdx,
        name: "RTMR index (< 4, full 64-bit compare)",
        fields: &[v("index", 0, 64)],
    },
];

// ---- TDG.VP.VEINFO.GET (3) ----
const VEINFO_OUT: &[OutputReg] = &[
    OutputReg {
        reg: Gpr::Rcx,
        name: "exit reason",
        fields: &[v("exit_reason", 0, 32), mbz("reserved", 32, 32)],
        on_failure: OnFailure::Default(0),
    },
    OutputReg {
        reg: Gpr::Rdx,
        name: "exit qualification",
        fields: &[v("exit_qualification", 0, 64)],
        on_failure: OnFailure::Default(0),
    },
    OutputReg {
        reg: Gpr::R8,
        name: "guest linear address",
        fields: &[v("gla", 0, 64)],
        on_failure: OnFailure::Default(0),
    },
    OutputReg {
        reg: Gpr::R9,
        name: "guest physical address",
        fields: &[v("gpa", 0, 64)],
        on_failure: OnFailure::Default(0),
    },
    OutputReg {
        reg: Gpr::R10,
        name: "instruction length and information",
        fields: &[
            v("instruction_length", 0, 32),
            v("instruction_info", 32, 32),
        ],
        on_failure: OnFailure::Default(0),
    },
];

// Versions 1 (module 1.5.28+, 2.0.04+) and 2 (2.0.14+, `tdg_vp_veinfo_get.c` db57c638; on
// 1.5.34 inferred, `model/VERSIONS.md`): RCX bits 39:32 carry VE_CATEGORY; version 2 also returns R11 = 0 and R12 =
// INTERRUPTIBILITY_STATE, written only after the VE_INFO-valid check (so they are unchanged on
// failure). The defaults on failure are the handler's: on a module whose dispatcher refuses
// the version (1.5.05) the handler never runs and nothing is written.
const VEINFO_V1_RCX: OutputReg = OutputReg {
    reg: Gpr::Rcx,
    name: "exit reason and #VE category",
    fields: &[
        v("exit_reason", 0, 32),
        v("ve_category", 32, 8),
        mbz("reserved", 40, 24),
    ],
    on_failure: OnFailure::Default(0),
};
const VEINFO_V1_OUT: &[OutputReg] = &[
    VEINFO_V1_RCX,
    VEINFO_OUT[1],
    VEINFO_OUT[2],
    VEINFO_OUT[3],
    VEINFO_OUT[4],
];
const VEINFO_V2_OUT: &[OutputReg] = &[
    VEINFO_V1_RCX,
    VEINFO_OUT[1],
    VEINFO_OUT[2],
    VEINFO_OUT[3],
    VEINFO_OUT[4],
    OutputReg {
        reg: Gpr::R11,
        name: "reserved (0)",
        fields: &[mbz("reserved", 0, 64)],
        on_failure: OnFailure::Unchanged,
    },
    OutputReg {
        reg: Gpr::R12,
        name: "interruptibility state",
        fields: &[v("interruptibility_state", 0, 32), mbz("reserved", 32, 32)],
        on_failure: OnFailure::Unchanged,
    },
];

// ---- TDG.MR.REPORT (4) ----
const REPORT_IN: &[InputReg] = &[
    InputReg {
        reg: Gpr::Rcx,
        name: "GPA of the 1024-byte TDREPORT_STRUCT (1024-byte aligned, private or shared)",
        fields: &[v("report_gpa", 0, 64)],
    },
    InputReg {
        reg: Gpr::Rdx,
        name: "GPA of the 64-byte REPORTDATA (64-byte aligned, private or shared)",
        fields: &[v("report_data_gpa", 0, 64)],
    },
    // 1.5.05 compares the whole of R8 with 0; 1.5.34 and 2.0.18 split it
    // (`tdg_mr_report()` 9fd3c8b1: `sub_type : 8, requestor_id : 2, reserved : 54`).
    InputReg {
        reg: Gpr::R8,
        name: "report sub-type (must be 0) and requestor id (1.5.34+; 1.5.05 takes only R8 = 0)",
        fields: &[
            v("subtype", 0, 8),
            v("requestor_id", 8, 2),
            mbz("reserved", 10, 54),
        ],
    },
];

// ---- TDG.VP.CPUIDVE.SET (5) ----
const CPUIDVE_IN: &[InputReg] = &[InputReg {
    reg: Gpr::Rcx,
    name: "CPUID #VE controls",
    fields: &[
        v("supervisor", 0, 1),
        v("user", 1, 1),
        mbz("reserved", 2, 62),
    ],
}];

// ---- TDG.MEM.PAGE.ACCEPT (6) ----
const ACCEPT_IN: &[InputReg] = &[InputReg {
    reg: Gpr::Rcx,
    name: "page_info_api_input_t: level and GPA",
    fields: &[
        v("level", 0, 3),
        mbz("reserved0", 3, 9),
        v("gpa", 12, 40),
        mbz("reserved1", 52, 12),
    ],
}];

// ---- TDG.VM.RD (7) / TDG.VM.WR (8) ----
const VM_INDEX: InputReg = InputReg {
    reg: Gpr::Rcx,
    name: "VM index (must be 0)",
    fields: &[v("vm_index", 0, 64)],
};
const FIELD_ID: InputReg = InputReg {
    reg: Gpr::Rdx,
    name: "metadata field ID (md_field_id_t)",
    fields: &[v("field_id", 0, 64)],
};
const VM_RD_IN: &[InputReg] = &[VM_INDEX, FIELD_ID];
const VM_RD0_OUT: &[OutputReg] = &[OutputReg {
    reg: Gpr::R8,
    name: "field value",
    fields: &[v("value", 0, 64)],
    on_failure: OnFailure::Default(0),
}];
const VM_RD1_OUT: &[OutputReg] = &[
    OutputReg {
        reg: Gpr::Rdx,
        name: "next readable field ID (-1 if none)",
        fields: &[v("next_field_id", 0, 64)],
        on_failure: OnFailure::Default(u64::MAX),
    },
    OutputReg {
        reg: Gpr::R8,
        name: "field value",
        fields: &[v("value", 0, 64)],
        on_failure: OnFailure::Default(0),
    },
];
const VM_WR_IN: &[InputReg] = &[
    VM_INDEX,
    FIELD_ID,
    InputReg {
        reg: Gpr::R8,
        name: "value to write",
        fields: &[v("value", 0, 64)],
    },
    InputReg {
        reg: Gpr::R9,
        name: "write mask",
        fields: &[v("write_mask", 0, 64)],
    },
];
const VM_WR_OUT: &[OutputReg] = &[OutputReg {
    reg: Gpr::R8,
    name: "previous field value",
    fields: &[v("old_value", 0, 64)],
    on_failure: OnFailure::Default(0),
}];

// ---- TDG.VP.RD (9) / TDG.VP.WR (10) ----
const VP_INDEX: InputReg = InputReg {
    reg: Gpr::Rcx,
    name: "reserved, must be 0 (whole register; else OPERAND_INVALID + RCX)",
    fields: &[v("vm_index", 0, 64)],
};
const VP_RD_IN: &[InputReg] = &[VP_INDEX, FIELD_ID];
const VP_WR_IN: &[InputReg] = &[
    VP_INDEX,
    FIELD_ID,
    InputReg {
        reg: Gpr::R8,
        name: "value to write",
        fields: &[v("value", 0, 64)],
    },
    InputReg {
        reg: Gpr::R9,
        name: "write mask",
        fields: &[v("write_mask", 0, 64)],
    },
];

// ---- TDG.SYS.RD (11) / TDG.SYS.RDALL (12) ----
const SYS_RD_IN: &[InputReg] = &[FIELD_ID];
const SYS_RDALL_IN: &[InputReg] = &[
    InputReg {
        reg: Gpr::Rdx,
        name: "GPA of the 4 KiB metadata list buffer (4 KiB aligned, private)",
        fields: &[v("list_gpa", 0, 64)],
    },
    InputReg {
        reg: Gpr::R8,
        name: "first field ID to dump (-1: from the first readable field)",
        fields: &[v("field_id", 0, 64)],
    },
];
const SYS_RDALL_OUT: &[OutputReg] = &[OutputReg {
    reg: Gpr::R8,
    name: "next field ID to dump (-1 when the list is complete)",
    fields: &[v("next_field_id", 0, 64)],
    on_failure: OnFailure::Default(u64::MAX),
}];

// ---- TDG.SERVTD.RD (18) / TDG.SERVTD.WR (20) ----
const BINDING_HANDLE: InputReg = InputReg {
    reg: Gpr::Rcx,
    name: "binding handle: ((target TDR PA[51:12] << 12) | slot) + service TD_UUID[0]",
    fields: &[v("binding_handle", 0, 64)],
};
const UUID_IN_0: InputReg = InputReg {
    reg: Gpr::R10,
    name: "target TD UUID qword 0",
    fields: &[v("target_uuid_0", 0, 64)],
};
const UUID_OUT_0: OutputReg = OutputReg {
    reg: Gpr::R10,
    name: "target TD's current TD_UUID qword 0 (written only with TDX_TARGET_UUID_UPDATED)",
    fields: &[v("current_uuid_0", 0, 64)],
    on_failure: OnFailure::Unchanged,
};
const UUID_IN_1: InputReg = InputReg {
    reg: Gpr::R11,
    name: "target TD UUID qword 1",
    fields: &[v("target_uuid_1", 0, 64)],
};
const UUID_OUT_1: OutputReg = OutputReg {
    reg: Gpr::R11,
    name: "target TD's current TD_UUID qword 1 (written only with TDX_TARGET_UUID_UPDATED)",
    fields: &[v("current_uuid_1", 0, 64)],
    on_failure: OnFailure::Unchanged,
};
const UUID_IN_2: InputReg = InputReg {
    reg: Gpr::R12,
    name: "target TD UUID qword 2",
    fields: &[v("target_uuid_2", 0, 64)],
};
const UUID_OUT_2: OutputReg = OutputReg {
    reg: Gpr::R12,
    name: "target TD's current TD_UUID qword 2 (written only with TDX_TARGET_UUID_UPDATED)",
    fields: &[v("current_uuid_2", 0, 64)],
    on_failure: OnFailure::Unchanged,
};
const UUID_IN_3: InputReg = InputReg {
    reg: Gpr::R13,
    name: "target TD UUID qword 3",
    fields: &[v("target_uuid_3", 0, 64)],
};
const UUID_OUT_3: OutputReg = OutputReg {
    reg: Gpr::R13,
    name: "target TD's current TD_UUID qword 3 (written only with TDX_TARGET_UUID_UPDATED)",
    fields: &[v("current_uuid_3", 0, 64)],
    on_failure: OnFailure::Unchanged,
};
const SERVTD_RD_IN: &[InputReg] = &[
    BINDING_HANDLE,
    FIELD_ID,
    UUID_IN_0,
    UUID_IN_1,
    UUID_IN_2,
    UUID_IN_3,
];
const SERVTD_WR_IN: &[InputReg] = &[
    BINDING_HANDLE,
    FIELD_ID,
    InputReg {
        reg: Gpr::R8,
        name: "value to write",
        fields: &[v("value", 0, 64)],
    },
    InputReg {
        reg: Gpr::R9,
        name: "write mask",
        fields: &[v("write_mask", 0, 64)],
    },
    UUID_IN_0,
    UUID_IN_1,
    UUID_IN_2,
    UUID_IN_3,
];
const SERVTD_RD_OUT: &[OutputReg] = &[
    OutputReg {
        reg: Gpr::Rdx,
        name: "next readable field ID (-1 if none)",
        fields: &[v("next_field_id", 0, 64)],
        on_failure: OnFailure::Default(u64::MAX),
    },
    OutputReg {
        reg: Gpr::R8,
        name: "field value",
        fields: &[v("value", 0, 64)],
        on_failure: OnFailure::Default(0),
    },
    UUID_OUT_0,
    UUID_OUT_1,
    UUID_OUT_2,
    UUID_OUT_3,
];
const SERVTD_WR_OUT: &[OutputReg] = &[
    OutputReg {
        reg: Gpr::R8,
        name: "previous field value",
        fields: &[v("old_value", 0, 64)],
        on_failure: OnFailure::Default(0),
    },
    UUID_OUT_0,
    UUID_OUT_1,
    UUID_OUT_2,
    UUID_OUT_3,
];

// ---- TDG.MR.VERIFYREPORT (22) ----
const VERIFYREPORT_IN: &[InputReg] = &[InputReg {
    reg: Gpr::Rcx,
    name: "GPA of the 256-byte REPORTMACSTRUCT (256-byte aligned, private)",
    fields: &[v("reportmacstruct_gpa", 0, 64)],
}];

// ---- TDG.MEM.PAGE.ATTR.RD (23) / TDG.MEM.PAGE.ATTR.WR (24) ----
const GPA_MAPPING_OUT: OutputReg = OutputReg {
    reg: Gpr::Rcx,
    name: "gpa_mapping_and_flags_t: level, GPA aligned to the level, PENDING",
    fields: &[
        v("level", 0, 3),
        mbz("reserved0", 3, 9),
        v("mapped_gpa", 12, 40),
        mbz("reserved1", 52, 10),
        v("pending", 62, 1),
        mbz("reserved2", 63, 1),
    ],
    on_failure: OnFailure::Default(0),
};
const GPA_ATTR_OUT: OutputReg = OutputReg {
    reg: Gpr::Rdx,
    name: "gpa_attr_t: GPA attributes of VM 0 (L1, always 0) and L2 VMs 1..3",
    fields: &[
        v("attr_vm0", 0, 16),
        v("attr_vm1", 16, 16),
        v("attr_vm2", 32, 16),
        v("attr_vm3", 48, 16),
    ],
    on_failure: OnFailure::Default(0),
};
const ATTR_RD_IN: &[InputReg] = &[InputReg {
    reg: Gpr::Rcx,
    name: "private GPA (bits 11:0 ignored)",
    fields: &[v("gpa", 0, 64)],
}];
const ATTR_OUT: &[OutputReg] = &[GPA_MAPPING_OUT, GPA_ATTR_OUT];
const ATTR_WR_IN: &[InputReg] = &[
    InputReg {
        reg: Gpr::Rcx,
        name: "page_info_api_input_t: level (0..2) and GPA aligned to it",
        fields: &[
            v("level", 0, 3),
            mbz("reserved0", 3, 9),
            v("gpa", 12, 40),
            mbz("reserved1", 52, 12),
        ],
    },
    InputReg {
        reg: Gpr::Rdx,
        name: "gpa_attr_t: new attributes (VM 0 and non-existent VMs must be 0; VALID bit 15)",
        fields: &[
            v("attr_vm0", 0, 16),
            v("attr_vm1", 16, 16),
            v("attr_vm2", 32, 16),
            v("attr_vm3", 48, 16),
        ],
    },
    InputReg {
        reg: Gpr::R8,
        name: "attr_flags_t: per-VM attribute write masks, bit 15 = INVEPT (VM 0 word must be 0)",
        fields: &[
            v("flags_vm0", 0, 16),
            v("flags_vm1", 16, 16),
            v("flags_vm2", 32, 16),
            v("flags_vm3", 48, 16),
        ],
    },
];

// ---- TDG.VP.ENTER (25) ----
const VP_ENTER_IN: &[InputReg] = &[
    InputReg {
        reg: Gpr::Rcx,
        name: "vm_and_flags_t: TLB invalidation type, VM index",
        fields: &[
            v("invalidate", 0, 2),
            mbz("reserved0", 2, 50),
            v("vm_index", 52, 2),
            mbz("reserved1", 54, 10),
        ],
    },
    InputReg {
        reg: Gpr::Rdx,
        name: "GPA of the 256-byte L2_ENTER_GUEST_STATE (256-byte aligned, private)",
        fields: &[v("guest_state_gpa", 0, 64)],
    },
];
const fn out_u(reg: Gpr, name: &'static str, fields: &'static [BitField]) -> OutputReg {
    OutputReg {
        reg,
        name,
        fields,
        on_failure: OnFailure::Unchanged,
    }
}
const VP_ENTER_OUT: &[OutputReg] = &[
    out_u(Gpr::Rbx, "0", &[mbz("reserved", 0, 64)]),
    out_u(
        Gpr::Rcx,
        "L2 exit qualification",
        &[v("exit_qualification", 0, 64)],
    ),
    out_u(Gpr::Rdx, "L2 guest linear address", &[v("guest_linear_address", 0, 64)]),
    out_u(
        Gpr::Rbp,
        "the L2's RBP at the exit (the module loads the L2 GPRs over L1's and overwrites all but RBP)",
        &[v("l2_rbp", 0, 64)],
    ),
    out_u(
        Gpr::Rsi,
        "l2_enter_seg_details_t: L2 CS selector, access rights, limit",
        &[v("cs_selector", 0, 16), v("cs_ar", 16, 16), v("cs_limit", 32, 32)],
    ),
    out_u(Gpr::Rdi, "L2 CS base", &[v("cs_base", 0, 64)]),
    out_u(Gpr::R8, "L2 guest physical address", &[v("guest_physical_address", 0, 64)]),
    out_u(
        Gpr::R9,
        "VM-exit interruption information and error code",
        &[v("intr_info", 0, 32), v("intr_error_code", 32, 32)],
    ),
    out_u(
        Gpr::R10,
        "IDT-vectoring information and error code",
        &[v("idt_vectoring_info", 0, 32), v("idt_vectoring_error_code", 32, 32)],
    ),
    out_u(
        Gpr::R11,
        "VM-exit instruction information and length",
        &[v("instruction_info", 0, 32), v("instruction_length", 32, 32)],
    ),
    out_u(
        Gpr::R12,
        "l2_enter_additional_exit_info_t: CPL",
        &[v("cpl", 0, 2), mbz("reserved", 2, 62)],
    ),
    out_u(
        Gpr::R13,
        "extended exit qualification",
        &[v("extended_exit_qualification", 0, 64)],
    ),
    out_u(Gpr::R14, "0", &[mbz("reserved", 0, 64)]),
    out_u(Gpr::R15, "0", &[mbz("reserved", 0, 64)]),
];

// ---- TDG.VP.INVEPT (26) / TDG.VP.INVGLA (27) ----
const INVEPT_IN: &[InputReg] = &[InputReg {
    reg: Gpr::Rcx,
    name: "bitmap of L2 VMs (bit 0 and bits above NUM_L2_VMS must be 0)",
    fields: &[v("vm_bitmap", 0, 64)],
}];
const INVGLA_IN: &[InputReg] = &[
    InputReg {
        reg: Gpr::Rcx,
        name: "vm_and_flags_t: LIST, VM index",
        fields: &[
            v("list", 0, 1),
            mbz("reserved0", 1, 51),
            v("vm_index", 52, 2),
            mbz("reserved1", 54, 10),
        ],
    },
    InputReg {
        reg: Gpr::Rdx,
        name: "LIST = 0: GLA entry ([11:0] last page index, [63:12] base GLA page); LIST = 1: \
               GLA_LIST_INFO ([8:0] first entry, [11:9] reserved, [51:12] list GPA page, \
               [61:52] number of entries, [63:62] reserved)",
        fields: &[v("gla_entry_or_list", 0, 64)],
    },
];
const INVGLA_OUT: &[OutputReg] = &[OutputReg {
    reg: Gpr::Rdx,
    name: "LIST = 1: updated GLA_LIST_INFO (first entry advanced, count decreased), also on \
           interruption; LIST = 0: unchanged",
    fields: &[v("gla_list_info", 0, 64)],
    on_failure: OnFailure::Unchanged,
}];

const ALL_BUT_RSP: RegSet = RegSet(0xFFEF);

/// The contracts of the modelled leaves, in leaf order; TDG.VM.RD appears twice (version 0, 1).
/// Leaves 1–8 (TDX 1.0/1.5) and the TDX 1.5 leaves 9–12, 18, 20, 22–27.
pub static CONTRACTS: &[LeafContract] = &[
    LeafContract {
        name: "TDG.VP.INFO",
        leaf: leaf::TDG_VP_INFO,
        version: 0,
        inputs: &[],
        outputs: VP_INFO_OUT,
        may_modify: RegSet::of(&[Gpr::Rax, Gpr::Rcx, Gpr::Rdx, Gpr::R8, Gpr::R9, Gpr::R10, Gpr::R11]),
        reads_guest_memory: false,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.VP.INFO leaf; module 1.5.05 src/td_dispatcher/vm_exits/tdg_vp_info.c",
    },
    LeafContract {
        name: "TDG.MR.RTMR.EXTEND",
        leaf: leaf::TDG_MR_RTMR_EXTEND,
        version: 0,
        inputs: RTMR_EXTEND_IN,
        outputs: &[],
        may_modify: RegSet::of(&[Gpr::Rax]),
        reads_guest_memory: true,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.MR.RTMR.EXTEND leaf; module 1.5.05 src/td_dispatcher/vm_exits/tdg_mr_rtmr_extend.c",
    },
    LeafContract {
        name: "TDG.VP.VEINFO.GET",
        leaf: leaf::TDG_VP_VEINFO_GET,
        version: 0,
        inputs: &[],
        outputs: VEINFO_OUT,
        may_modify: RegSet::of(&[Gpr::Rax, Gpr::Rcx, Gpr::Rdx, Gpr::R8, Gpr::R9, Gpr::R10]),
        reads_guest_memory: false,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.VP.VEINFO.GET leaf; module 1.5.05 src/td_dispatcher/vm_exits/tdg_vp_veinfo_get.c",
    },
    LeafContract {
        name: "TDG.VP.VEINFO.GET",
        leaf: leaf::TDG_VP_VEINFO_GET,
        version: 1,
        inputs: &[],
        outputs: VEINFO_V1_OUT,
        may_modify: RegSet::of(&[Gpr::Rax, Gpr::Rcx, Gpr::Rdx, Gpr::R8, Gpr::R9, Gpr::R10]),
        reads_guest_memory: false,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDG.VP.VEINFO.GET version 1; module 2.0.08 (1666adc4) and 2.0.14 (db57c638) src/td_dispatcher/vm_exits/tdg_vp_veinfo_get.c; dispatcher gate in td_call(), 1.5.34 9fd3c8b1 / 2.0.18 e69a4391",
    },
    LeafContract {
        name: "TDG.VP.VEINFO.GET",
        leaf: leaf::TDG_VP_VEINFO_GET,
        version: 2,
        inputs: &[],
        outputs: VEINFO_V2_OUT,
        may_modify: RegSet::of(&[
            Gpr::Rax,
            Gpr::Rcx,
            Gpr::Rdx,
            Gpr::R8,
            Gpr::R9,
            Gpr::R10,
            Gpr::R11,
            Gpr::R12,
        ]),
        reads_guest_memory: false,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDG.VP.VEINFO.GET version 2 (MAX_TDG_VP_VEINFO_GET_VERSION 2); module 2.0.14 db57c638 src/td_dispatcher/vm_exits/tdg_vp_veinfo_get.c, taken for 1.5.34 and 2.0.18",
    },
    LeafContract {
        name: "TDG.MR.REPORT",
        leaf: leaf::TDG_MR_REPORT,
        version: 0,
        inputs: REPORT_IN,
        outputs: &[],
        may_modify: RegSet::of(&[Gpr::Rax]),
        reads_guest_memory: true,
        writes_guest_memory: true,
        interruptible: true,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.MR.REPORT leaf; module 1.5.05 src/td_dispatcher/vm_exits/tdg_mr_report.c",
    },
    LeafContract {
        name: "TDG.VP.CPUIDVE.SET",
        leaf: leaf::TDG_VP_CPUIDVE_SET,
        version: 0,
        inputs: CPUIDVE_IN,
        outputs: &[],
        may_modify: RegSet::of(&[Gpr::Rax]),
        reads_guest_memory: false,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.VP.CPUIDVE.SET leaf; module 1.5.05 src/td_dispatcher/vm_exits/tdg_vp_cpuidve_set.c",
    },
    LeafContract {
        name: "TDG.MEM.PAGE.ACCEPT",
        leaf: leaf::TDG_MEM_PAGE_ACCEPT,
        version: 0,
        inputs: ACCEPT_IN,
        outputs: &[],
        may_modify: RegSet::of(&[Gpr::Rax]),
        reads_guest_memory: false,
        // The module zeroes the accepted page (the model records only the page state).
        writes_guest_memory: true,
        interruptible: true,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.MEM.PAGE.ACCEPT leaf; module 1.5.05 src/td_dispatcher/vm_exits/tdg_mem_page_accept.c",
    },
    LeafContract {
        name: "TDG.VM.RD",
        leaf: leaf::TDG_VM_RD,
        version: 0,
        inputs: VM_RD_IN,
        outputs: VM_RD0_OUT,
        may_modify: RegSet::of(&[Gpr::Rax, Gpr::R8]),
        reads_guest_memory: false,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.VM.RD leaf; module 1.5.05 src/td_dispatcher/vm_exits/tdg_vm_rd_wr.c",
    },
    LeafContract {
        name: "TDG.VM.RD",
        leaf: leaf::TDG_VM_RD,
        version: 1,
        inputs: VM_RD_IN,
        outputs: VM_RD1_OUT,
        may_modify: RegSet::of(&[Gpr::Rax, Gpr::Rdx, Gpr::R8]),
        reads_guest_memory: false,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.VM.RD leaf (version 1); module 1.5.05 src/td_dispatcher/vm_exits/tdg_vm_rd_wr.c",
    },
    LeafContract {
        name: "TDG.VM.WR",
        leaf: leaf::TDG_VM_WR,
        version: 0,
        inputs: VM_WR_IN,
        outputs: VM_WR_OUT,
        may_modify: RegSet::of(&[Gpr::Rax, Gpr::R8]),
        reads_guest_memory: false,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.VM.WR leaf; module 1.5.05 src/td_dispatcher/vm_exits/tdg_vm_rd_wr.c",
    },
    LeafContract {
        name: "TDG.VP.RD",
        leaf: leaf::TDG_VP_RD,
        version: 0,
        inputs: VP_RD_IN,
        outputs: VM_RD1_OUT,
        may_modify: RegSet::of(&[Gpr::Rax, Gpr::Rdx, Gpr::R8]),
        reads_guest_memory: false,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.VP.RD leaf; module 1.5.05 src/td_dispatcher/vm_exits/tdg_vp_rd_wr.c, include/auto_gen/tdvps_fields_lookup.c",
    },
    LeafContract {
        name: "TDG.VP.WR",
        leaf: leaf::TDG_VP_WR,
        version: 0,
        inputs: VP_WR_IN,
        outputs: VM_WR_OUT,
        may_modify: RegSet::of(&[Gpr::Rax, Gpr::R8]),
        reads_guest_memory: false,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.VP.WR leaf; module 1.5.05 src/td_dispatcher/vm_exits/tdg_vp_rd_wr.c, src/common/metadata_handlers/metadata_vp.c",
    },
    LeafContract {
        name: "TDG.SYS.RD",
        leaf: leaf::TDG_SYS_RD,
        version: 0,
        inputs: SYS_RD_IN,
        outputs: VM_RD1_OUT,
        may_modify: RegSet::of(&[Gpr::Rax, Gpr::Rdx, Gpr::R8]),
        reads_guest_memory: false,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.SYS.RD leaf; module 1.5.05 src/td_dispatcher/vm_exits/tdg_sys_rd.c, include/auto_gen/global_sys_fields_lookup.c",
    },
    LeafContract {
        name: "TDG.SYS.RDALL",
        leaf: leaf::TDG_SYS_RDALL,
        version: 0,
        inputs: SYS_RDALL_IN,
        outputs: SYS_RDALL_OUT,
        may_modify: RegSet::of(&[Gpr::Rax, Gpr::R8]),
        reads_guest_memory: false,
        writes_guest_memory: true,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.SYS.RDALL leaf; module 1.5.05 src/td_dispatcher/vm_exits/tdg_sys_rdall.c, md_dump_list() in src/common/metadata_handlers/metadata_generic.c, md_list_header_t in metadata_generic.h",
    },
    LeafContract {
        name: "TDG.SERVTD.RD",
        leaf: leaf::TDG_SERVTD_RD,
        version: 0,
        inputs: SERVTD_RD_IN,
        outputs: SERVTD_RD_OUT,
        may_modify: RegSet::of(&[
            Gpr::Rax,
            Gpr::Rdx,
            Gpr::R8,
            Gpr::R10,
            Gpr::R11,
            Gpr::R12,
            Gpr::R13,
        ]),
        reads_guest_memory: false,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.SERVTD.RD leaf; module 1.5.05 src/vmm_dispatcher/migration_api_calls/tdg_servtd_rd_wr.c, src/common/helpers/service_td.h",
    },
    LeafContract {
        name: "TDG.SERVTD.WR",
        leaf: leaf::TDG_SERVTD_WR,
        version: 0,
        inputs: SERVTD_WR_IN,
        outputs: SERVTD_WR_OUT,
        may_modify: RegSet::of(&[
            Gpr::Rax,
            Gpr::R8,
            Gpr::R10,
            Gpr::R11,
            Gpr::R12,
            Gpr::R13,
        ]),
        reads_guest_memory: false,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.SERVTD.WR leaf; module 1.5.05 src/vmm_dispatcher/migration_api_calls/tdg_servtd_rd_wr.c, md_td_write_element() in metadata_td.c",
    },
    LeafContract {
        name: "TDG.MR.VERIFYREPORT",
        leaf: leaf::TDG_MR_VERIFYREPORT,
        version: 0,
        inputs: VERIFYREPORT_IN,
        outputs: &[],
        may_modify: RegSet::of(&[Gpr::Rax]),
        reads_guest_memory: true,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.MR.VERIFYREPORT leaf; module 1.5.05 src/td_dispatcher/vm_exits/tdg_mr_verifyreport.c",
    },
    LeafContract {
        name: "TDG.MEM.PAGE.ATTR.RD",
        leaf: leaf::TDG_MEM_PAGE_ATTR_RD,
        version: 0,
        inputs: ATTR_RD_IN,
        outputs: ATTR_OUT,
        may_modify: RegSet::of(&[Gpr::Rax, Gpr::Rcx, Gpr::Rdx]),
        reads_guest_memory: false,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.MEM.PAGE.ATTR.RD leaf; module 1.5.05 src/td_dispatcher/vm_exits/tdg_mem_page_attr_rd.c",
    },
    LeafContract {
        name: "TDG.MEM.PAGE.ATTR.WR",
        leaf: leaf::TDG_MEM_PAGE_ATTR_WR,
        version: 0,
        inputs: ATTR_WR_IN,
        outputs: ATTR_OUT,
        may_modify: RegSet::of(&[Gpr::Rax, Gpr::Rcx, Gpr::Rdx]),
        reads_guest_memory: false,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.MEM.PAGE.ATTR.WR leaf; module 1.5.05 src/td_dispatcher/vm_exits/tdg_mem_page_attr_wr.c, is_gpa_attr_legal() in src/common/helpers/helpers.h",
    },
    LeafContract {
        name: "TDG.VP.ENTER",
        leaf: leaf::TDG_VP_ENTER,
        version: 0,
        inputs: VP_ENTER_IN,
        outputs: VP_ENTER_OUT,
        may_modify: ALL_BUT_RSP,
        reads_guest_memory: true,
        writes_guest_memory: true,
        interruptible: false,
        // 1.5.34 and 2.0.18 return a VMLAUNCH/VMRESUME failure to L1 as an exit
        // (`td_l2_to_l1_exit_internal()`); 1.5.05 stops the module instead.
        outputs_on_error: &[status::TDX_L2_VM_ENTRY_FAILED],
        spec_ref: "TDX Module ABI spec, TDG.VP.ENTER leaf; module 1.5.05 src/td_transitions/tdg_vp_enter.c, td_l2_to_l1_exit_internal() and write_l2_enter_outputs() in src/td_transitions/td_exit.c",
    },
    LeafContract {
        name: "TDG.VP.INVEPT",
        leaf: leaf::TDG_VP_INVEPT,
        version: 0,
        inputs: INVEPT_IN,
        outputs: &[],
        may_modify: RegSet::of(&[Gpr::Rax]),
        reads_guest_memory: false,
        writes_guest_memory: false,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.VP.INVEPT leaf; module 1.5.05 src/td_dispatcher/vm_exits/tdg_vp_invept.c",
    },
    LeafContract {
        name: "TDG.VP.INVGLA",
        leaf: leaf::TDG_VP_INVGLA,
        version: 0,
        inputs: INVGLA_IN,
        outputs: INVGLA_OUT,
        may_modify: RegSet::of(&[Gpr::Rax, Gpr::Rdx]),
        reads_guest_memory: true,
        writes_guest_memory: false,
        interruptible: true,
        outputs_on_error: &[],
        spec_ref: "TDX Module ABI spec, TDG.VP.INVGLA leaf (TDG.VP.INVVPID in 1.5.05); module 1.5.05 src/td_dispatcher/vm_exits/tdg_vp_invvpid.c",
    },
    LeafContract {
        name: "TDG.MR.KEY.GET",
        leaf: leaf::TDG_MR_KEY_GET,
        version: 0,
        inputs: KEY_GET_IN,
        outputs: KEY_GET_OUT,
        may_modify: RegSet::of(&[Gpr::Rax, Gpr::R9]),
        reads_guest_memory: true,
        writes_guest_memory: true,
        interruptible: false,
        outputs_on_error: &[],
        spec_ref: "module 1.5.34 (9fd3c8b1) src/td_dispatcher/vm_exits/tdg_mr_key_get.c, the same in 2.0.18 (e69a4391); absent before 1.5.34: OPERAND_INVALID + RAX, nothing written",
    },
];

// ---- TDG.MR.KEY.GET (29; 1.5.34 and 2.0.18 on) ----
const KEY_GET_IN: &[InputReg] = &[
    InputReg {
        reg: Gpr::Rcx,
        name: "GPA of the 128-byte TDKEYREQUEST (128-byte aligned, private)",
        fields: &[v("tdkeyrequest_gpa", 0, 64)],
    },
    InputReg {
        reg: Gpr::Rdx,
        name: "GPA of the 32-byte key output (32-byte aligned, private)",
        fields: &[v("key_gpa", 0, 64)],
    },
    InputReg {
        reg: Gpr::R8,
        name: "requestor_info_t: REQUESTOR (at most 3)",
        fields: &[v("requestor", 0, 8), mbz("reserved", 8, 56)],
    },
];
const KEY_GET_OUT: &[OutputReg] = &[OutputReg {
    reg: Gpr::R9,
    name: "key size in bits (128 << key_size), written on success only",
    fields: &[v("key_size_bits", 0, 64)],
    on_failure: OnFailure::Unchanged,
}];

// ---- TDG.VP.VMCALL (0) ----
const VMCALL_IN: &[InputReg] = &[InputReg {
    reg: Gpr::Rcx,
    name: "tdvmcall_control_t: GPR and XMM select masks",
    fields: &[
        v("gpr_select", 0, 16),
        v("xmm_select", 16, 16),
        mbz("reserved", 32, 32),
    ],
}];

macro_rules! vmm_out {
    ($($reg:ident),*) => {
        &[$(OutputReg {
            reg: Gpr::$reg,
            name: "the VMM's value if selected in GPR_SELECT, else preserved",
            fields: &[v("value", 0, 64)],
            on_failure: OnFailure::Unchanged,
        }),*]
    };
}

/// The module-level contract of TDG.VP.VMCALL (leaf 0, version 0). Deliberately not part of
/// [`CONTRACTS`] and not returned by [`lookup`] (the workspace README's leaf table and its
/// check in `oracle/tests/readme.rs` list leaf 0 as not covered by the leaf contracts).
///
/// Input RCX = control value (RAX, RCX, RSP — and RBP with CONFIG_FLAGS.NO_RBP_MOD — must not be
/// selected; bits 63:32 must be zero). Every GPR but RSP may be selected, so `may_modify` is
/// every GPR but RSP and RCX (RCX is restored to the control value). The per-call truth is
/// narrower: after a completed exit exactly RAX and the registers selected in RCX bits 2–15 can
/// change — see [`crate::vmcall::VmcallContract::exposed`] for each sub-function.
pub static VMCALL_LEAF: LeafContract = LeafContract {
    name: "TDG.VP.VMCALL",
    leaf: leaf::TDG_VP_VMCALL,
    version: 0,
    inputs: VMCALL_IN,
    outputs: vmm_out!(Rdx, Rbx, Rbp, Rsi, Rdi, R8, R9, R10, R11, R12, R13, R14, R15),
    may_modify: RegSet(0xFFED),
    reads_guest_memory: false,
    writes_guest_memory: false,
    interruptible: false,
    outputs_on_error: &[],
    spec_ref:
        "TDX module 1.5.05 src/td_dispatcher/vm_exits/tdg_vp_vmcall.c; fact sheet tdx-abi.md §4.1",
};

/// The contract of `leaf` at `version`, if modelled, from [`CONTRACTS`] (leaves 1–12, 18, 20,
/// 22–27, 29; for
/// TDG.VP.VMCALL see [`VMCALL_LEAF`] and [`crate::vmcall`]).
pub fn lookup(leaf: u16, version: u8) -> Option<&'static LeafContract> {
    CONTRACTS
        .iter()
        .find(|c| c.leaf == leaf && c.version == version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        assert_eq!(CONTRACTS.len(), 24);
        let mut prev = (0u16, 0u8);
        for c in CONTRACTS {
            assert!((c.leaf, c.version) > prev, "{} out of order", c.name);
            prev = (c.leaf, c.version);
            // Fields cover all 64 bits of each register exactly once.
            for (reg, fields) in c
                .inputs
                .iter()
                .map(|i| (i.reg, i.fields))
                .chain(c.outputs.iter().map(|o| (o.reg, o.fields)))
            {
                let mut cover = 0u64;
                for f in fields {
                    assert!(f.width >= 1 && f.lsb as u32 + f.width as u32 <= 64);
                    assert_eq!(cover & f.reg_mask(), 0, "{} {:?} overlap", c.name, reg);
                    cover |= f.reg_mask();
                }
                assert_eq!(cover, u64::MAX, "{} {:?} not covered", c.name, reg);
            }
            // may_modify = RAX + outputs, never RSP.
            assert_eq!(c.may_modify, c.output_regs().with(Gpr::Rax), "{}", c.name);
            assert!(c.preserved().contains(Gpr::Rsp));
            assert!(!c.preserved().contains(Gpr::Rax));
            assert!(c.inputs.len() <= EncodedInputs::CAPACITY);
            assert_eq!(lookup(c.leaf, c.version), Some(c));
        }
        assert!(lookup(0, 0).is_none());
        let vc = &VMCALL_LEAF;
        assert_eq!(vc.may_modify, vc.output_regs().with(Gpr::Rax));
        assert_eq!(
            vc.may_modify,
            RegSet::ALL.minus(RegSet::of(&[Gpr::Rsp, Gpr::Rcx]))
        );
        assert_eq!(vc.rax(), 0);
        assert_eq!(
            vc.encode(&[("gpr_select", 0xFC00), ("xmm_select", 0)])
                .unwrap()
                .as_slice(),
            &[(Gpr::Rcx, 0xFC00)]
        );
        assert!(lookup(7, 2).is_none());
        assert!(lookup(6, 1).is_none());
        assert_eq!(lookup(7, 1).unwrap().rax(), 0x1_0007);
    }

    #[test]
    fn accept_encode_and_extract() {
        let c = lookup(leaf::TDG_MEM_PAGE_ACCEPT, 0).unwrap();
        let e = c
            .encode(&[("gpa", 0x8020_0000 >> 12), ("level", 1)])
            .unwrap();
        assert_eq!(e.as_slice(), &[(Gpr::Rcx, 0x8020_0001)]);
        let mut regs = Regs::default();
        e.apply(&mut regs);
        assert_eq!(c.input_field(&regs, "gpa"), Some(0x80200));
        assert_eq!(c.input_field(&regs, "level"), Some(1));
        assert_eq!(c.input_field(&regs, "reserved0"), Some(0));
        assert_eq!(c.input_field(&regs, "nope"), None);
        assert_eq!(
            c.encode(&[("gpa", 1 << 40), ("level", 0)]),
            Err(EncodeError::ValueTooWide {
                field: "gpa",
                value: 1 << 40,
                width: 40
            })
        );
        assert_eq!(
            c.encode(&[("level", 0)]),
            Err(EncodeError::MissingField("gpa"))
        );
        assert_eq!(
            c.encode(&[("level", 0), ("gpa", 0), ("bogus", 0)]),
            Err(EncodeError::UnknownField("<unknown>"))
        );
        assert_eq!(
            c.encode(&[("level", 0), ("gpa", 0), ("reserved0", 0)]),
            Err(EncodeError::UnknownField("reserved0"))
        );
        assert_eq!(
            c.encode(&[("level", 0), ("gpa", 0), ("level", 1)]),
            Err(EncodeError::DuplicateField("level"))
        );
        assert_eq!(
            c.encode(&[("level", 8), ("gpa", 0)]),
            Err(EncodeError::ValueTooWide {
                field: "level",
                value: 8,
                width: 3
            })
        );
    }

    #[test]
    fn vm_wr_encode_and_outputs() {
        let c = lookup(leaf::TDG_VM_WR, 0).unwrap();
        let e = c
            .encode(&[
                ("vm_index", 0),
                ("field_id", 0x1110_0003_0000_0017),
                ("value", 2),
                ("write_mask", 3),
            ])
            .unwrap();
        assert_eq!(
            e.as_slice(),
            &[
                (Gpr::Rcx, 0),
                (Gpr::Rdx, 0x1110_0003_0000_0017),
                (Gpr::R8, 2),
                (Gpr::R9, 3)
            ]
        );
        assert_eq!(e.get(Gpr::R9), Some(3));
        let mut out = Regs::default();
        out[Gpr::R8] = 0x55;
        assert_eq!(c.output_field(&out, "old_value"), Some(0x55));
        assert_eq!(c.may_modify, RegSet::of(&[Gpr::Rax, Gpr::R8]));

        let info = lookup(leaf::TDG_VP_INFO, 0).unwrap();
        let mut out = Regs::default();
        out[Gpr::R8] = 0x0000_0008_0000_0004;
        out[Gpr::Rcx] = 52;
        assert_eq!(info.output_field(&out, "num_vcpus"), Some(4));
        assert_eq!(info.output_field(&out, "max_vcpus"), Some(8));
        assert_eq!(info.output_field(&out, "gpa_width"), Some(52));
        assert!(info.encode(&[]).unwrap().is_empty());

        let cpuid = lookup(leaf::TDG_VP_CPUIDVE_SET, 0).unwrap();
        let e = cpuid.encode(&[("supervisor", 1), ("user", 1)]).unwrap();
        assert_eq!(e.as_slice(), &[(Gpr::Rcx, 3)]);

        let rd1 = lookup(leaf::TDG_VM_RD, 1).unwrap();
        assert_eq!(
            rd1.output(Gpr::Rdx).unwrap().on_failure,
            OnFailure::Default(u64::MAX)
        );
        assert_eq!(
            rd1.output(Gpr::R8).unwrap().on_failure,
            OnFailure::Default(0)
        );
        assert!(lookup(leaf::TDG_VM_RD, 0)
            .unwrap()
            .output(Gpr::Rdx)
            .is_none());
    }
}
