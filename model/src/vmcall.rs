//! TDG.VP.VMCALL (TDCALL leaf 0): the GHCI guest ⇄ VMM register convention.
//!
//! The TDX module itself only validates the RCX control value and copies the selected GPRs to
//! and from the VMM (see [`crate::TdxModule::tdcall`]); everything in this module — R10 = 0 for
//! a GHCI-standard call, R11 = sub-function, R12.. = arguments, R10 = status on return — is a
//! convention between the guest and the VMM (fact sheet `tdx-abi.md` §4.2–§4.3, Linux
//! `arch/x86/include/asm/shared/tdx.h`, KVM `arch/x86/kvm/vmx/tdx.c` (v6.16, read
//! in 6.16.1), QEMU `target/i386/kvm/tdx.c`).
//!
//! A [`VmcallContract`] lists, per sub-function, exactly the GPRs the call exposes to the VMM
//! ([`VmcallContract::exposed`], the RCX `GPR_SELECT` a guest should use), its inputs and its
//! outputs. Every exposed register may be overwritten by the VMM, whether or not the call
//! defines an output in it: the module copies every selected register back from the VMM.

use crate::contract::{BitField, FieldKind, InputReg, OnFailure, OutputReg};
use crate::regs::{Gpr, RegSet, Regs};

/// GHCI sub-function numbers (R11 of a standard call, R10 = 0).
///
/// `0x1000x` values: GHCI §3 and Linux `arch/x86/include/asm/shared/tdx.h` (`TDVMCALL_*`);
/// the instruction-emulation sub-functions use the VMX basic exit reason of the instruction
/// (Linux `hcall_func(EXIT_REASON_*)`).
pub mod subfunction {
    /// GetTdVmCallInfo: enumerate the supported TDG.VP.VMCALLs.
    pub const GET_TD_VM_CALL_INFO: u64 = 0x10000;
    /// MapGPA: convert a GPA range between private and shared.
    pub const MAP_GPA: u64 = 0x10001;
    /// GetQuote: ask the VMM to turn a TDREPORT into a quote (asynchronous).
    pub const GET_QUOTE: u64 = 0x10002;
    /// ReportFatalError: report a fatal error and stop (does not return).
    pub const REPORT_FATAL_ERROR: u64 = 0x10003;
    /// SetupEventNotifyInterrupt: register the event-notification vector.
    pub const SETUP_EVENT_NOTIFY_INTERRUPT: u64 = 0x10004;
    /// Service: send a command to a VMM-hosted service (GHCI 1.5).
    pub const SERVICE: u64 = 0x10005;
    /// Instruction.CPUID (VMX exit reason 10).
    pub const INSTRUCTION_CPUID: u64 = 10;
    /// Instruction.HLT (VMX exit reason 12).
    pub const INSTRUCTION_HLT: u64 = 12;
    /// Instruction.IO (VMX exit reason 30).
    pub const INSTRUCTION_IO: u64 = 30;
    /// Instruction.RDMSR (VMX exit reason 31).
    pub const INSTRUCTION_RDMSR: u64 = 31;
    /// Instruction.WRMSR (VMX exit reason 32).
    pub const INSTRUCTION_WRMSR: u64 = 32;
    /// #VE.RequestMMIO (VMX exit reason 48, EPT violation).
    pub const VE_REQUEST_MMIO: u64 = 48;
    /// Instruction.WBINVD (VMX exit reason 54).
    pub const INSTRUCTION_WBINVD: u64 = 54;
}

/// TDG.VP.VMCALL completion statuses (R10 after a standard call).
///
/// Values from Linux `arch/x86/include/asm/shared/tdx.h` (`TDVMCALL_STATUS_*`, v6.16 era) and
/// QEMU `target/i386/kvm/tdx.h` (`TDG_VP_VMCALL_*`, which also defines `GPA_INUSE`).
pub mod status {
    /// The sub-function succeeded.
    pub const SUCCESS: u64 = 0x0000_0000_0000_0000;
    /// The sub-function must be retried (MapGPA: resume at R11).
    pub const RETRY: u64 = 0x0000_0000_0000_0001;
    /// An operand is invalid.
    pub const INVALID_OPERAND: u64 = 0x8000_0000_0000_0000;
    /// A GPA is already in use (defined for MapGPA; when a VMM returns it is unverified — KVM
    /// v6.16 never does).
    pub const GPA_INUSE: u64 = 0x8000_0000_0000_0001;
    /// An operand is misaligned.
    pub const ALIGN_ERROR: u64 = 0x8000_0000_0000_0002;
    /// The sub-function is not supported by the VMM (GHCI 2025 update; KVM v6.16 returns it for
    /// unknown sub-functions).
    pub const SUBFUNC_UNSUPPORTED: u64 = 0x8000_0000_0000_0003;

    /// Every named status, with its spec name.
    pub static KNOWN: &[(&str, u64)] = &[
        ("TDG.VP.VMCALL_SUCCESS", SUCCESS),
        ("TDG.VP.VMCALL_RETRY", RETRY),
        ("TDG.VP.VMCALL_INVALID_OPERAND", INVALID_OPERAND),
        ("TDG.VP.VMCALL_GPA_INUSE", GPA_INUSE),
        ("TDG.VP.VMCALL_ALIGN_ERROR", ALIGN_ERROR),
        ("TDG.VP.VMCALL_SUBFUNC_UNSUPPORTED", SUBFUNC_UNSUPPORTED),
    ];

    /// Spec name of an R10 status (exact match), or `None` if unknown.
    pub fn name(r10: u64) -> Option<&'static str> {
        KNOWN.iter().find(|(_, v)| *v == r10).map(|(n, _)| *n)
    }
}

/// The GetQuote shared-buffer header (`struct tdx_quote_buf` in Linux
/// `drivers/virt/coco/tdx-guest/tdx-guest.c`; `struct tdx_get_quote_header` in QEMU
/// `target/i386/kvm/tdx-quote-generator.h`): `{u64 version; u64 status; u32 in_len;
/// u32 out_len; u8 data[]}`, little-endian.
pub mod get_quote {
    /// Byte offset of `version` (u64, filled by the TD; must be [`VERSION`]).
    pub const VERSION_OFFSET: usize = 0;
    /// Byte offset of `status` (u64, filled by the VMM).
    pub const STATUS_OFFSET: usize = 8;
    /// Byte offset of `in_len` (u32, TDREPORT length, filled by the TD).
    pub const IN_LEN_OFFSET: usize = 16;
    /// Byte offset of `out_len` (u32, quote length, filled by the VMM).
    pub const OUT_LEN_OFFSET: usize = 20;
    /// Header size; the data follows.
    pub const HEADER_SIZE: usize = 24;
    /// The only header version (`GET_QUOTE_CMD_VER`, `TDX_GET_QUOTE_STRUCTURE_VERSION`).
    pub const VERSION: u64 = 1;
    /// `status`: success.
    pub const STATUS_SUCCESS: u64 = 0;
    /// `status`: request in flight (owned by the VMM).
    pub const STATUS_IN_FLIGHT: u64 = u64::MAX;
    /// `status`: error.
    pub const STATUS_ERROR: u64 = 0x8000_0000_0000_0000;
    /// `status`: quote generation service unavailable.
    pub const STATUS_SERVICE_UNAVAILABLE: u64 = 0x8000_0000_0000_0001;
    /// QEMU's largest accepted buffer (`TDX_GET_QUOTE_MAX_BUF_LEN`, 128 KiB).
    pub const MAX_BUF_LEN: u64 = 128 * 1024;
}

/// KVM hypercall numbers and results for the vendor-specific call (R10 ≠ 0).
pub mod kvm {
    /// `KVM_HC_VAPIC_POLL_IRQ` (returns 0).
    pub const KVM_HC_VAPIC_POLL_IRQ: u64 = 1;
    /// `KVM_ENOSYS`; unknown hypercalls return `-KVM_ENOSYS` in R10.
    pub const KVM_ENOSYS: u64 = 1000;
    /// `-KVM_ENOSYS` as a register value.
    pub const RESULT_ENOSYS: u64 = KVM_ENOSYS.wrapping_neg();
}

/// The register contract of one TDG.VP.VMCALL sub-function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmcallContract {
    /// GHCI name, e.g. `"MapGPA"`, `"Instruction.CPUID"`, `"#VE.RequestMMIO"`,
    /// `"KVM hypercall"`.
    pub name: &'static str,
    /// R10 input: `Some(0)` for a GHCI-standard call, `None` for the vendor-specific call
    /// (R10 ≠ 0, the value is an argument).
    pub r10: Option<u64>,
    /// R11 input (sub-function) of a standard call; `None` for the vendor call.
    pub subfunction: Option<u64>,
    /// Exactly the GPRs the call uses (R10, R11, inputs and outputs): the RCX `GPR_SELECT`.
    /// Every one of them may be overwritten by the VMM.
    pub exposed: RegSet,
    /// The arguments. For a standard call R10 (= 0) and R11 (= [`Self::subfunction`]) are not
    /// listed; for the vendor call R10 (the hypercall number) is.
    pub inputs: &'static [InputReg],
    /// The outputs: R10 first (`"status"`, or `"result"` for the KVM hypercall), then the
    /// call's outputs. `on_failure` describes the honest (KVM) VMM: outputs it does not write
    /// keep the guest's input value, since the module copies every exposed register back.
    pub outputs: &'static [OutputReg],
    /// Whether the call returns to the guest (false for ReportFatalError).
    pub returns: bool,
    /// Where the contract comes from.
    pub spec_ref: &'static str,
}

impl VmcallContract {
    /// The RCX control value: `GPR_SELECT` = [`Self::exposed`], `XMM_SELECT` = 0.
    pub const fn rcx(&self) -> u64 {
        self.exposed.0 as u64
    }

    /// Registers read by the VMM (R10, R11 of a standard call, and the inputs).
    pub fn input_regs(&self) -> RegSet {
        let mut s = if self.r10.is_some() {
            RegSet::of(&[Gpr::R10, Gpr::R11])
        } else {
            RegSet::EMPTY
        };
        for i in self.inputs {
            s = s.with(i.reg);
        }
        s
    }

    /// Registers the call defines as outputs (R10 and the rest of [`Self::outputs`]).
    pub fn output_regs(&self) -> RegSet {
        let mut s = RegSet::EMPTY;
        for o in self.outputs {
            s = s.with(o.reg);
        }
        s
    }

    /// Set RAX = 0 (TDG.VP.VMCALL), RCX = [`Self::rcx`] and, for a standard call, R10 = 0 and
    /// R11 = the sub-function. Other registers are untouched.
    pub fn prepare(&self, regs: &mut Regs) {
        regs[Gpr::Rax] = 0;
        regs[Gpr::Rcx] = self.rcx();
        if let (Some(r10), Some(r11)) = (self.r10, self.subfunction) {
            regs[Gpr::R10] = r10;
            regs[Gpr::R11] = r11;
        }
    }

    /// Extract an input field value (unshifted) by name.
    pub fn input_field(&self, regs: &Regs, name: &str) -> Option<u64> {
        self.inputs.iter().find_map(|i| {
            i.fields
                .iter()
                .find(|f| f.name == name)
                .map(|f| f.extract(regs[i.reg]))
        })
    }

    /// The contract's own name of the input field `name` (`None`: no such field).
    pub fn input_field_name(&self, name: &str) -> Option<&'static str> {
        self.inputs
            .iter()
            .find_map(|i| i.fields.iter().find(|f| f.name == name).map(|f| f.name))
    }

    /// Write an input field value (unshifted) by name into its register, leaving the
    /// register's other bits alone. False if the contract has no such field or the value is
    /// wider than it.
    pub fn set_input_field(&self, regs: &mut Regs, name: &str, value: u64) -> bool {
        for i in self.inputs {
            if let Some(f) = i.fields.iter().find(|f| f.name == name) {
                if value & !f.value_mask() != 0 {
                    return false;
                }
                regs[i.reg] = (regs[i.reg] & !f.reg_mask()) | (value << f.lsb);
                return true;
            }
        }
        false
    }

    /// Extract an output field value (unshifted) by name.
    pub fn output_field(&self, regs: &Regs, name: &str) -> Option<u64> {
        self.outputs.iter().find_map(|o| {
            o.fields
                .iter()
                .find(|f| f.name == name)
                .map(|f| f.extract(regs[o.reg]))
        })
    }
}

const fn v64(name: &'static str) -> BitField {
    BitField {
        name,
        lsb: 0,
        width: 64,
        kind: FieldKind::Value,
    }
}

const fn v32(name: &'static str) -> BitField {
    BitField {
        name,
        lsb: 0,
        width: 32,
        kind: FieldKind::Value,
    }
}

const RESERVED_HIGH32: BitField = BitField {
    name: "reserved",
    lsb: 32,
    width: 32,
    kind: FieldKind::MustBeZero,
};

macro_rules! input {
    ($reg:ident, $name:literal) => {
        InputReg {
            reg: Gpr::$reg,
            name: $name,
            fields: &[v64($name)],
        }
    };
}

macro_rules! output {
    ($reg:ident, $name:literal) => {
        OutputReg {
            reg: Gpr::$reg,
            name: $name,
            fields: &[v64($name)],
            on_failure: OnFailure::Unchanged,
        }
    };
}

const STATUS_OUT: OutputReg = OutputReg {
    reg: Gpr::R10,
    name: "status",
    fields: &[v64("status")],
    on_failure: OnFailure::Unchanged,
};

const fn cpuid_out(reg: Gpr, name: &'static str, fields: &'static [BitField]) -> OutputReg {
    OutputReg {
        reg,
        name,
        fields,
        on_failure: OnFailure::Unchanged,
    }
}

const fn std_regs(extra: &[Gpr]) -> RegSet {
    RegSet(RegSet::of(&[Gpr::R10, Gpr::R11]).0 | RegSet::of(extra).0)
}

/// The contracts of the modelled sub-functions: the standard ones in sub-function order of
/// the GHCI tables, then the vendor-specific KVM hypercall (last).
pub static VMCALL_CONTRACTS: &[VmcallContract] = &[
    VmcallContract {
        name: "GetTdVmCallInfo",
        r10: Some(0),
        subfunction: Some(subfunction::GET_TD_VM_CALL_INFO),
        exposed: std_regs(&[Gpr::R12, Gpr::R13, Gpr::R14]),
        inputs: &[input!(R12, "leaf")],
        outputs: &[
            STATUS_OUT,
            output!(R11, "r11"),
            output!(R12, "r12"),
            output!(R13, "r13"),
            output!(R14, "r14"),
        ],
        returns: true,
        spec_ref: "GHCI TDG.VP.VMCALL<GetTdVmCallInfo>; KVM v6.16 tdx_get_td_vm_call_info(); QEMU tdx_handle_get_tdvmcall_info()",
    },
    VmcallContract {
        name: "MapGPA",
        r10: Some(0),
        subfunction: Some(subfunction::MAP_GPA),
        exposed: std_regs(&[Gpr::R12, Gpr::R13]),
        inputs: &[input!(R12, "gpa"), input!(R13, "size")],
        outputs: &[STATUS_OUT, output!(R11, "resume_gpa")],
        returns: true,
        spec_ref: "GHCI TDG.VP.VMCALL<MapGPA>; KVM v6.16 tdx_map_gpa() (R11 = failing/resume GPA on error or RETRY, unchanged on success)",
    },
    VmcallContract {
        name: "GetQuote",
        r10: Some(0),
        subfunction: Some(subfunction::GET_QUOTE),
        exposed: std_regs(&[Gpr::R12, Gpr::R13]),
        inputs: &[input!(R12, "buffer_gpa"), input!(R13, "length")],
        outputs: &[STATUS_OUT],
        returns: true,
        spec_ref: "GHCI TDG.VP.VMCALL<GetQuote>; KVM v6.16 tdx_get_quote(); QEMU tdx_handle_get_quote(); Linux tdx-guest.c struct tdx_quote_buf",
    },
    VmcallContract {
        name: "ReportFatalError",
        r10: Some(0),
        subfunction: Some(subfunction::REPORT_FATAL_ERROR),
        exposed: std_regs(&[
            Gpr::R12,
            Gpr::R13,
            Gpr::R14,
            Gpr::R15,
            Gpr::Rbx,
            Gpr::Rdi,
            Gpr::Rsi,
            Gpr::R8,
            Gpr::R9,
            Gpr::Rdx,
        ]),
        inputs: &[
            input!(R12, "error_code"),
            input!(R13, "data_gpa"),
            input!(R14, "message0"),
            input!(R15, "message1"),
            input!(Rbx, "message2"),
            input!(Rdi, "message3"),
            input!(Rsi, "message4"),
            input!(R8, "message5"),
            input!(R9, "message6"),
            input!(Rdx, "message7"),
        ],
        outputs: &[STATUS_OUT],
        returns: false,
        spec_ref: "GHCI TDG.VP.VMCALL<ReportFatalError>; Linux tdx.c tdx_panic() (message in R14, R15, RBX, RDI, RSI, R8, R9, RDX; TDVMCALL_EXPOSE_REGS_MASK 0xFFCC); KVM v6.16 tdx_report_fatal_error()",
    },
    VmcallContract {
        name: "SetupEventNotifyInterrupt",
        r10: Some(0),
        subfunction: Some(subfunction::SETUP_EVENT_NOTIFY_INTERRUPT),
        exposed: std_regs(&[Gpr::R12]),
        inputs: &[input!(R12, "vector")],
        outputs: &[STATUS_OUT],
        returns: true,
        spec_ref: "GHCI TDG.VP.VMCALL<SetupEventNotifyInterrupt>; KVM tdx_setup_event_notify_interrupt() (vector 32..=255); QEMU tdx_handle_setup_event_notify_interrupt()",
    },
    VmcallContract {
        name: "Service",
        r10: Some(0),
        subfunction: Some(subfunction::SERVICE),
        exposed: std_regs(&[Gpr::R12, Gpr::R13, Gpr::R14, Gpr::R15]),
        inputs: &[
            input!(R12, "command_gpa"),
            input!(R13, "response_gpa"),
            input!(R14, "vector"),
            input!(R15, "timeout"),
        ],
        outputs: &[STATUS_OUT],
        returns: true,
        spec_ref: "GHCI 1.5 TDG.VP.VMCALL<Service>; td-shim tdx-tdcall tdvmcall_service(); fact sheet §4.3",
    },
    VmcallContract {
        name: "Instruction.CPUID",
        r10: Some(0),
        subfunction: Some(subfunction::INSTRUCTION_CPUID),
        exposed: std_regs(&[Gpr::R12, Gpr::R13, Gpr::R14, Gpr::R15]),
        inputs: &[input!(R12, "leaf"), input!(R13, "subleaf")],
        outputs: &[
            STATUS_OUT,
            cpuid_out(Gpr::R12, "eax", &[v32("eax"), RESERVED_HIGH32]),
            cpuid_out(Gpr::R13, "ebx", &[v32("ebx"), RESERVED_HIGH32]),
            cpuid_out(Gpr::R14, "ecx", &[v32("ecx"), RESERVED_HIGH32]),
            cpuid_out(Gpr::R15, "edx", &[v32("edx"), RESERVED_HIGH32]),
        ],
        returns: true,
        spec_ref: "GHCI TDG.VP.VMCALL<Instruction.CPUID>; KVM v6.16 tdx_emulate_cpuid() (u32 results written to R12..R15)",
    },
    VmcallContract {
        name: "Instruction.HLT",
        r10: Some(0),
        subfunction: Some(subfunction::INSTRUCTION_HLT),
        exposed: std_regs(&[Gpr::R12]),
        inputs: &[input!(R12, "interrupts_blocked")],
        outputs: &[STATUS_OUT],
        returns: true,
        spec_ref: "GHCI TDG.VP.VMCALL<Instruction.HLT>; KVM v6.16 tdx_interrupt_allowed() reads R12",
    },
    VmcallContract {
        name: "Instruction.IO",
        r10: Some(0),
        subfunction: Some(subfunction::INSTRUCTION_IO),
        exposed: std_regs(&[Gpr::R12, Gpr::R13, Gpr::R14, Gpr::R15]),
        inputs: &[
            input!(R12, "size"),
            input!(R13, "direction"),
            input!(R14, "port"),
            input!(R15, "data"),
        ],
        outputs: &[STATUS_OUT, output!(R11, "data")],
        returns: true,
        spec_ref: "GHCI TDG.VP.VMCALL<Instruction.IO>; KVM v6.16 tdx_emulate_io()",
    },
    VmcallContract {
        name: "Instruction.RDMSR",
        r10: Some(0),
        subfunction: Some(subfunction::INSTRUCTION_RDMSR),
        exposed: std_regs(&[Gpr::R12]),
        inputs: &[input!(R12, "msr")],
        outputs: &[STATUS_OUT, output!(R11, "value")],
        returns: true,
        spec_ref: "GHCI TDG.VP.VMCALL<Instruction.RDMSR>; KVM tdx_emulate_rdmsr()",
    },
    VmcallContract {
        name: "Instruction.WRMSR",
        r10: Some(0),
        subfunction: Some(subfunction::INSTRUCTION_WRMSR),
        exposed: std_regs(&[Gpr::R12, Gpr::R13]),
        inputs: &[input!(R12, "msr"), input!(R13, "value")],
        outputs: &[STATUS_OUT],
        returns: true,
        spec_ref: "GHCI TDG.VP.VMCALL<Instruction.WRMSR>; KVM tdx_emulate_wrmsr()",
    },
    VmcallContract {
        name: "#VE.RequestMMIO",
        r10: Some(0),
        subfunction: Some(subfunction::VE_REQUEST_MMIO),
        exposed: std_regs(&[Gpr::R12, Gpr::R13, Gpr::R14, Gpr::R15]),
        inputs: &[
            input!(R12, "size"),
            input!(R13, "direction"),
            input!(R14, "gpa"),
            input!(R15, "data"),
        ],
        outputs: &[STATUS_OUT, output!(R11, "data")],
        returns: true,
        spec_ref: "GHCI TDG.VP.VMCALL<#VE.RequestMMIO>; KVM v6.16 tdx_emulate_mmio()",
    },
    VmcallContract {
        name: "Instruction.WBINVD",
        r10: Some(0),
        subfunction: Some(subfunction::INSTRUCTION_WBINVD),
        exposed: std_regs(&[Gpr::R12]),
        inputs: &[input!(R12, "kind")],
        outputs: &[STATUS_OUT],
        returns: true,
        spec_ref: "GHCI TDG.VP.VMCALL<Instruction.WBINVD> (R12 = 0 WBINVD, 1 WBNOINVD per Project Oak oak_tdx_guest vmcall.rs); KVM v6.16: SUBFUNC_UNSUPPORTED",
    },
    VmcallContract {
        name: "KVM hypercall",
        r10: None,
        subfunction: None,
        exposed: RegSet::of(&[Gpr::R10, Gpr::R11, Gpr::R12, Gpr::R13, Gpr::R14]),
        inputs: &[
            input!(R10, "nr"),
            input!(R11, "p1"),
            input!(R12, "p2"),
            input!(R13, "p3"),
            input!(R14, "p4"),
        ],
        outputs: &[OutputReg {
            reg: Gpr::R10,
            name: "result",
            fields: &[v64("result")],
            on_failure: OnFailure::Unchanged,
        }],
        returns: true,
        spec_ref: "Linux tdx.c tdx_kvm_hypercall() (nr in R10, p1..p4 in R11..R14); KVM v6.16 tdx_emulate_vmcall() (R10->RAX, R11->RBX, R12->RCX, R13->RDX, R14->RSI, result in R10)",
    },
];

/// What the GHCI fixes of a TDG.VP.VMCALL's answer, whatever the VMM, for the registers `input`
/// at the TDCALL: GetTdVmCallInfo leaf 0 returns SUCCESS with R11–R14 = 0 ("no enhancements",
/// GHCI `TDG.VP.VMCALL<GetTdVmCallInfo>`). Empty where the GHCI leaves the answer to the VMM.
pub fn ghci_fixed(input: &Regs) -> &'static [(Gpr, u64)] {
    const INFO_LEAF0: &[(Gpr, u64)] = &[
        (Gpr::R10, status::SUCCESS),
        (Gpr::R11, 0),
        (Gpr::R12, 0),
        (Gpr::R13, 0),
        (Gpr::R14, 0),
    ];
    // The call as the contract makes it: every output register exposed.
    let exposed = RegSet(input[Gpr::Rcx] as u16);
    let outputs = RegSet::of(&[Gpr::R10, Gpr::R11, Gpr::R12, Gpr::R13, Gpr::R14]);
    let info = input[Gpr::R10] == 0
        && input[Gpr::R11] == subfunction::GET_TD_VM_CALL_INFO
        && input[Gpr::R12] == 0
        && exposed.union(outputs) == exposed;
    if info {
        INFO_LEAF0
    } else {
        &[]
    }
}

/// The contract for a call with R10 = `r10` and R11 = `r11`: R10 ≠ 0 → the vendor-specific
/// KVM hypercall; R10 = 0 → the standard sub-function `r11`, if modelled.
pub fn vmcall_lookup(r10: u64, r11: u64) -> Option<&'static VmcallContract> {
    if r10 != 0 {
        return VMCALL_CONTRACTS.iter().find(|c| c.r10.is_none());
    }
    VMCALL_CONTRACTS.iter().find(|c| c.subfunction == Some(r11))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(status::name(0), Some("TDG.VP.VMCALL_SUCCESS"));
        assert_eq!(status::name(1), Some("TDG.VP.VMCALL_RETRY"));
        assert_eq!(
            status::name(0x8000_0000_0000_0003),
            Some("TDG.VP.VMCALL_SUBFUNC_UNSUPPORTED")
        );
        assert_eq!(
            status::name(0x8000_0000_0000_0001),
            Some("TDG.VP.VMCALL_GPA_INUSE")
        );
        assert_eq!(status::name(2), None);
        assert_eq!(status::name(0x8000_0000_0000_0004), None);
        assert_eq!(status::KNOWN.len(), 6);
        for (i, (n, v)) in status::KNOWN.iter().enumerate() {
            assert_eq!(status::name(*v), Some(*n));
            for (m, w) in &status::KNOWN[i + 1..] {
                assert_ne!(v, w);
                assert_ne!(n, m);
            }
        }
        assert_eq!(kvm::RESULT_ENOSYS, (-1000i64) as u64);
    }

    #[test]
    fn exposed_masks() {
        let mask = |r10: u64, r11: u64| vmcall_lookup(r10, r11).unwrap().rcx();
        use subfunction::*;
        assert_eq!(mask(0, GET_TD_VM_CALL_INFO), 0x7C00);
        assert_eq!(mask(0, MAP_GPA), 0x3C00);
        assert_eq!(mask(0, GET_QUOTE), 0x3C00);
        assert_eq!(mask(0, REPORT_FATAL_ERROR), 0xFFCC);
        assert_eq!(mask(0, SETUP_EVENT_NOTIFY_INTERRUPT), 0x1C00);
        assert_eq!(mask(0, SERVICE), 0xFC00);
        assert_eq!(mask(0, INSTRUCTION_CPUID), 0xFC00);
        assert_eq!(mask(0, INSTRUCTION_HLT), 0x1C00);
        assert_eq!(mask(0, INSTRUCTION_IO), 0xFC00);
        assert_eq!(mask(0, INSTRUCTION_RDMSR), 0x1C00);
        assert_eq!(mask(0, INSTRUCTION_WRMSR), 0x3C00);
        assert_eq!(mask(0, VE_REQUEST_MMIO), 0xFC00);
        assert_eq!(mask(0, INSTRUCTION_WBINVD), 0x1C00);
        assert_eq!(mask(12, 0), 0x7C00);
        assert_eq!(mask(u64::MAX, MAP_GPA), 0x7C00);
        assert!(vmcall_lookup(0, 0x10006).is_none());
        assert!(vmcall_lookup(0, 65).is_none());
        assert_eq!(vmcall_lookup(1, 0).unwrap().name, "KVM hypercall");
    }

    #[test]
    fn table_is_consistent() {
        assert_eq!(VMCALL_CONTRACTS.len(), 14);
        for c in VMCALL_CONTRACTS {
            // exposed = R10 + R11 + inputs + outputs, never RAX/RCX/RSP/RBP.
            let used = c.input_regs().union(c.output_regs());
            assert_eq!(
                c.exposed,
                used.union(RegSet::of(&[Gpr::R10, Gpr::R11])),
                "{}",
                c.name
            );
            assert_eq!(c.rcx() & 0x33, 0, "{}", c.name);
            assert_eq!(c.rcx() >> 16, 0);
            assert_eq!(c.outputs[0].reg, Gpr::R10, "{}", c.name);
            assert_eq!(c.returns, c.name != "ReportFatalError");
            for (reg, fields) in c
                .inputs
                .iter()
                .map(|i| (i.reg, i.fields))
                .chain(c.outputs.iter().map(|o| (o.reg, o.fields)))
            {
                let mut cover = 0u64;
                for f in fields {
                    assert_eq!(cover & f.reg_mask(), 0, "{} {:?}", c.name, reg);
                    cover |= f.reg_mask();
                }
                assert_eq!(cover, u64::MAX, "{} {:?}", c.name, reg);
            }
            match (c.r10, c.subfunction) {
                (Some(0), Some(sf)) => assert_eq!(vmcall_lookup(0, sf), Some(c)),
                (None, None) => assert_eq!(vmcall_lookup(7, 0), Some(c)),
                _ => panic!("{}: bad r10/subfunction", c.name),
            }
        }
    }

    #[test]
    fn prepare_and_fields() {
        let c = vmcall_lookup(0, subfunction::INSTRUCTION_CPUID).unwrap();
        let mut r = Regs::default();
        r[Gpr::R12] = 7;
        r[Gpr::R13] = 1;
        c.prepare(&mut r);
        assert_eq!(r[Gpr::Rax], 0);
        assert_eq!(r[Gpr::Rcx], 0xFC00);
        assert_eq!(r[Gpr::R10], 0);
        assert_eq!(r[Gpr::R11], 10);
        assert_eq!(c.input_field(&r, "leaf"), Some(7));
        assert_eq!(c.input_field(&r, "subleaf"), Some(1));
        r[Gpr::R13] = 0x1_2345_6789;
        assert_eq!(c.output_field(&r, "ebx"), Some(0x2345_6789));
        assert_eq!(c.output_field(&r, "reserved"), Some(0));
        let k = vmcall_lookup(5, 0).unwrap();
        let mut r = Regs::default();
        r[Gpr::R10] = 5;
        k.prepare(&mut r);
        assert_eq!(r[Gpr::R10], 5);
        assert_eq!(r[Gpr::Rcx], 0x7C00);
        assert_eq!(k.input_field(&r, "nr"), Some(5));
    }
}
