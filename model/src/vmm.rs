//! The VMM side of TDG.VP.VMCALL: what the host sees of a TD exit and how it answers.
//!
//! When a guest executes TDG.VP.VMCALL with a valid control value, the TDX module exits to the
//! VMM ([`crate::TdxModule::tdcall`]). The VMM sees a [`VmmView`] — the control value and the
//! selected GPRs, every other GPR zero — and returns the register values it leaves behind; the
//! module copies back only the selected ones. Two VMMs are modelled, chosen with
//! [`crate::TdxModule::set_vmm`]:
//!
//! * [`HonestVmm`], KVM v6.16 (`arch/x86/kvm/vmx/tdx.c` and `x86.c`, read in 6.16.1; the
//!   handling of SetupEventNotifyInterrupt and GetTdVmCallInfo leaf 1 arrived late in the
//!   6.16 cycle, after `torvalds/linux` @ `3829d81b`) plus QEMU (`target/i386/kvm/tdx.c`,
//!   2025) answering the GHCI sub-functions.
//! * [`HostileVmm`], a deterministic adversary (splitmix64) that writes arbitrary values into
//!   the selected registers, with RETRY storms and bogus MapGPA resume addresses.
//!
//! Neither allocates in [`Vmm::handle`]; the honest VMM's page table is preallocated.

use alloc::vec;
use alloc::vec::Vec;

use crate::memory::GuestMemory;
use crate::module::{TdConfig, PAGE_2M, PAGE_4K};
use crate::regs::{Gpr, RegSet, Regs};
use crate::vmcall::{get_quote, kvm, status, subfunction};

/// What the VMM sees of a TDG.VP.VMCALL TD exit.
///
/// `regs`: every GPR selected in `GPR_SELECT` (bits 2–15) holds the guest's value; every other
/// GPR is zero, except RCX, which holds the control value. (TDH.VP.ENTER really returns the
/// exit reason in RAX and the VM index in RCX bits 33:32; the model keeps RAX = 0 and the VM
/// index 0.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmmView {
    /// The guest's RCX control value (`GPR_SELECT` bits 15:0, `XMM_SELECT` bits 31:16).
    pub control: u64,
    /// The GPRs as the VMM sees them.
    pub regs: Regs,
}

impl VmmView {
    /// The view the module builds for a guest register file `input` and control value
    /// `control`: selected GPRs copied, others zero, RCX = `control`.
    pub fn new(control: u64, input: &Regs) -> VmmView {
        let sel = gpr_select(control);
        let mut regs = Regs::zero();
        for r in sel.iter() {
            regs[r] = input[r];
        }
        regs[Gpr::Rcx] = control;
        VmmView { control, regs }
    }

    /// The selected GPRs (`GPR_SELECT`, control bits 15:0).
    pub const fn selected(&self) -> RegSet {
        gpr_select(self.control)
    }

    /// The selected XMM registers (`XMM_SELECT`, control bits 31:16).
    pub const fn xmm_selected(&self) -> u16 {
        (self.control >> 16) as u16
    }

    /// R10 as seen by the VMM (0 when not selected).
    pub fn r10(&self) -> u64 {
        self.regs[Gpr::R10]
    }

    /// R11 as seen by the VMM (0 when not selected).
    pub fn r11(&self) -> u64 {
        self.regs[Gpr::R11]
    }
}

/// `GPR_SELECT` of a control value (bits 15:0).
pub const fn gpr_select(control: u64) -> RegSet {
    RegSet(control as u16)
}

/// A VMM answering TDG.VP.VMCALL exits.
pub trait Vmm {
    /// Handle one exit and return the GPR values the VMM leaves; only the registers selected
    /// in `view.control` (bits 2–15) reach the guest. Guest memory is accessed with the shared
    /// bit stripped. Must not allocate.
    fn handle(&mut self, view: &VmmView, mem: &mut dyn GuestMemory) -> Regs;
}

/// Which VMM the module uses ([`crate::TdxModule::set_vmm`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VmmMode {
    /// [`HonestVmm`] (the default).
    Honest,
    /// [`HostileVmm`] with this seed.
    Hostile {
        /// PRNG seed.
        seed: u64,
    },
}

// ---------------------------------------------------------------------------- honest VMM

/// IA32_APIC_BASE (read-only for a TD: KVM `tdx_is_read_only_msr()`).
pub const MSR_IA32_APIC_BASE: u32 = 0x1B;
/// IA32_EFER (read-only for a TD: KVM `tdx_is_read_only_msr()`).
pub const MSR_EFER: u32 = 0xC000_0080;
/// IA32_PAT (emulated by KVM for a TD, `tdx_has_emulated_msr()`; written only with a valid
/// memory type in every byte, `kvm_pat_valid()`).
pub const MSR_IA32_CR_PAT: u32 = 0x277;
/// Initial IA32_APIC_BASE: 0xFEE0_0000, x2APIC + xAPIC enabled, BSP.
pub const APIC_BASE_INITIAL: u64 = 0xFEE0_0D00;
/// EFER as KVM sets it for a TD vCPU (`tdx_vcpu_create()`: SCE | LME | LMA | NX).
pub const EFER_TD: u64 = 0xD01;
/// Initial IA32_PAT (`MSR_IA32_CR_PAT_DEFAULT`).
pub const PAT_DEFAULT: u64 = 0x0007_0406_0007_0406;
/// KVM hypercalls the honest VMM answers besides `KVM_HC_VAPIC_POLL_IRQ`: `KVM_HC_KICK_CPU`.
pub const KVM_HC_KICK_CPU: u64 = 5;
/// `KVM_HC_SCHED_YIELD`.
pub const KVM_HC_SCHED_YIELD: u64 = 11;
/// `KVM_HC_MAP_GPA_RANGE` (QEMU enables its exit for a TD).
pub const KVM_HC_MAP_GPA_RANGE: u64 = 12;
/// `KVM_MAP_GPA_RANGE_ENCRYPTED`: the range becomes private.
pub const KVM_MAP_GPA_RANGE_ENCRYPTED: u64 = 1 << 4;
/// `-KVM_EINVAL` as a register value.
pub const RESULT_EINVAL: u64 = 22u64.wrapping_neg();

/// Whether `pat` holds a valid memory type (0, 1, 4, 5, 6, 7) in every byte (`kvm_pat_valid()`).
pub const fn pat_valid(pat: u64) -> bool {
    pat & 0xF8F8_F8F8_F8F8_F8F8 == 0 && (pat | (pat & 0x0202_0202_0202_0202) << 1) == pat
}
/// GetTdVmCallInfo leaf 1, R11: bit 1 = SetupEventNotifyInterrupt supported (QEMU
/// `TDG_VP_VMCALL_SUBFUNC_SET_EVENT_NOTIFY_INTERRUPT`).
pub const TDVMCALL_INFO_LEAF1_R11: u64 = 1 << 1;

/// CPUID leaf 0 / 1 values of the honest VMM; any other leaf returns zeros.
pub const CPUID_TABLE: [(u32, [u32; 4]); 2] = [
    // Max basic leaf 0x23, "GenuineIntel" in EBX, EDX, ECX.
    (0, [0x23, 0x756E_6547, 0x6C65_746E, 0x4965_6E69]),
    // Sapphire Rapids family/model/stepping; ECX bit 31 = hypervisor.
    (1, [0x0008_06F8, 0x0080_0800, 0xFEFA_3203, 0x1F8B_FBFF]),
];

/// The port-I/O read value for `port` before truncation to the access size.
pub const fn io_read_value(port: u16) -> u64 {
    (port as u64).wrapping_mul(0x0101_0101_0101_0101) ^ 0xA5A5_A5A5_A5A5_A5A5
}

/// The MMIO read value for `gpa` (shared bit stripped) before truncation to the access size.
pub const fn mmio_read_value(gpa: u64) -> u64 {
    gpa.rotate_left(17) ^ 0x5A5A_5A5A_5A5A_5A5A
}

/// `value` truncated to `size` bytes (1, 2, 4 or 8).
const fn truncate(value: u64, size: u64) -> u64 {
    if size >= 8 {
        value
    } else {
        value & ((1u64 << (size * 8)) - 1)
    }
}

/// A KVM + QEMU-like VMM (see the module docs for sources). Per-sub-function behaviour:
///
/// * unknown sub-function, Instruction.WBINVD → `SUBFUNC_UNSUPPORTED` (KVM v6.16
///   `handle_tdvmcall()` default);
/// * GetTdVmCallInfo: R12 = 0 → `SUCCESS`, R11–R14 = 0; R12 = 1 → `SUCCESS`, R11 =
///   [`TDVMCALL_INFO_LEAF1_R11`], R12–R14 = 0; else `INVALID_OPERAND`;
/// * MapGPA (KVM `tdx_map_gpa()` order): `gpa + size` ≤ `gpa` (size 0 or wrap), first or last
///   byte at or above 2^GPAW, or first/last byte disagreeing on the shared bit →
///   `INVALID_OPERAND`; then start or size not 4 KiB aligned → `ALIGN_ERROR`; both with R11 =
///   start. Then, while stalls are set ([`Self::stall_map_gpa`]), `RETRY` with R11 = start and
///   nothing converted. Else converts up to [`Self::set_map_gpa_chunk_limit`] 2 MiB chunks (from the start,
///   not 2 MiB aligned — KVM `TDX_MAP_GPA_MAX_LEN`) and returns `SUCCESS` (R11 untouched) or
///   `RETRY` with R11 = next GPA (shared bit as given). Pages of the TD's accept region are
///   tracked private/shared; GPAs outside it are accepted but not tracked;
/// * GetQuote (KVM `tdx_get_quote()` + QEMU `tdx_handle_get_quote()`): private GPA or length 0
///   → `INVALID_OPERAND`; GPA or length not 4 KiB aligned → `ALIGN_ERROR`; header not readable,
///   version ≠ 1, length > 128 KiB or `in_len` > length − 24 → `INVALID_OPERAND`; else the
///   quote is "generated" at once: header status = `get_quote::STATUS_SUCCESS`, `out_len` = 0,
///   `SUCCESS`;
/// * SetupEventNotifyInterrupt: vector 32..=255 → recorded, `SUCCESS`; else `INVALID_OPERAND`;
/// * Service → `SUBFUNC_UNSUPPORTED`: KVM's `handle_tdvmcall()` has no Service case (v6.16
///   and linux-next). With [`Self::set_ghci_rules`], the GHCI 1.5 rules: command or response
///   GPA without the shared bit or beyond the GPA width → `INVALID_OPERAND`; then either not
///   4 KiB aligned → `ALIGN_ERROR` (as GetQuote; td-shim answers the same); then vector in
///   1..=31 or > 255 → `INVALID_OPERAND`; else `SUCCESS` (nothing written);
/// * Instruction.CPUID: [`CPUID_TABLE`], 32-bit values zero-extended into R12–R15;
/// * Instruction.HLT → `SUCCESS`;
/// * Instruction.IO: size ∉ {1, 2, 4} or direction ∉ {0, 1} → `INVALID_OPERAND`; read: R11 =
///   [`io_read_value`] (port = R14 bits 15:0) truncated; write: `SUCCESS`;
/// * Instruction.RDMSR / WRMSR (MSR index = R12 bits 31:0, as KVM's `u32 index`; KVM
///   `tdx_get_msr()` / `tdx_set_msr()`): IA32_APIC_BASE and EFER read-only (write →
///   `INVALID_OPERAND`), IA32_PAT read/write (an invalid memory type → `INVALID_OPERAND`); any
///   other MSR → `INVALID_OPERAND` (a subset of `tdx_has_emulated_msr()`: the MTRRs, MCE banks,
///   x2APIC registers and the rest are not modelled, and fail here);
/// * #VE.RequestMMIO (KVM `tdx_emulate_mmio()`): size (R12 bits 31:0, KVM's `int`) ∉
///   {1, 2, 4, 8}, direction (R13 bits 31:0) ∉ {0, 1}, or first/last byte without the shared
///   bit → `INVALID_OPERAND`; read: R11 = [`mmio_read_value`] truncated; write: `SUCCESS`. With
///   [`Self::set_ghci_rules`], whole registers and a last byte within the GPA width;
/// * ReportFatalError: records R12 and the 64-byte message (R14, R15, RBX, RDI, RSI, R8, R9,
///   RDX, little-endian) and "terminates" the TD ([`Self::fatal_report`]); returns `SUCCESS`
///   (a real VMM never resumes the TD);
/// * R10 ≠ 0 (KVM hypercall, `tdx_emulate_vmcall()` → `____kvm_emulate_hypercall()`, a0–a3 =
///   R11–R14): `KVM_HC_VAPIC_POLL_IRQ`, `KVM_HC_KICK_CPU`, `KVM_HC_SCHED_YIELD` → R10 = 0;
///   `KVM_HC_MAP_GPA_RANGE` (gpa, npages, attrs): gpa not 4 KiB aligned, npages 0 or the range
///   wrapping → −KVM_EINVAL, else QEMU converts the pages of the accept region (private with
///   `KVM_MAP_GPA_RANGE_ENCRYPTED`, shared without) → 0; anything else → −KVM_ENOSYS.
///   `KVM_HC_SEND_IPI` and `KVM_HC_CLOCK_PAIRING`, which KVM also answers, are not modelled
///   (−KVM_ENOSYS here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HonestVmm {
    shared_bit: u64,
    gpaw: u32,
    region_base: u64,
    /// Per 4 KiB page of the accept region: `true` = shared.
    region_shared: Vec<bool>,
    map_gpa_chunk_limit: u64,
    map_gpa_stalls: u32,
    apic_base: u64,
    pat: u64,
    notify_vector: Option<u8>,
    fatal: Option<(u64, [u8; 64])>,
    ghci_rules: bool,
}

impl HonestVmm {
    /// An honest VMM for a TD with `config`: every page of the accept region private, MapGPA
    /// chunk limit 1, IA32_APIC_BASE = [`APIC_BASE_INITIAL`], no notify vector, no fatal
    /// report. Allocates the page table.
    pub fn new(config: &TdConfig) -> HonestVmm {
        let (shared_bit, gpaw) = if config.gpaw_52 {
            (1u64 << 51, 52)
        } else {
            (1u64 << 47, 48)
        };
        HonestVmm {
            shared_bit,
            gpaw,
            region_base: config.accept_region_base,
            region_shared: vec![false; (config.accept_region_size / PAGE_4K) as usize],
            map_gpa_chunk_limit: 1,
            map_gpa_stalls: 0,
            apic_base: APIC_BASE_INITIAL,
            pat: PAT_DEFAULT,
            notify_vector: None,
            fatal: None,
            ghci_rules: false,
        }
    }

    /// Answer Service and #VE.RequestMMIO by the GHCI's input rules instead of as KVM does
    /// (KVM has no Service handler, and its MMIO emulation reads 32 bits of R12/R13 and checks
    /// no GPA width). Off by default; a judge of a wrapper's input refusal asks with it on,
    /// because whether an input is invalid is the GHCI's to say, not one VMM's.
    pub fn set_ghci_rules(&mut self, on: bool) {
        self.ghci_rules = on;
    }

    /// How many 2 MiB chunks one MapGPA exit converts before returning `RETRY` when more
    /// remains (KVM checks for a pending event after each chunk: 1 = an event is always
    /// pending, the default; 0 = never, the whole range is converted in one call).
    pub fn set_map_gpa_chunk_limit(&mut self, chunks: u32) {
        self.map_gpa_chunk_limit = chunks as u64;
    }

    /// The next `n` valid MapGPA requests convert nothing and answer `RETRY` with R11 = the
    /// start (no progress). KVM always converts a chunk first; the GHCI lets a VMM answer
    /// `RETRY` with R11 = any GPA of the range still to convert, the start included.
    pub fn stall_map_gpa(&mut self, n: u32) {
        self.map_gpa_stalls = n;
    }

    /// MapGPA stalls still to answer ([`Self::stall_map_gpa`]).
    pub fn map_gpa_stalls(&self) -> u32 {
        self.map_gpa_stalls
    }

    /// Whether the page holding `gpa` (shared bit ignored) is shared, for pages of the accept
    /// region; `None` outside it.
    pub fn gpa_shared(&self, gpa: u64) -> Option<bool> {
        self.page_index(gpa & !self.shared_bit)
            .map(|i| self.region_shared[i])
    }

    /// The value RDMSR of `index` would return now (`None` = `INVALID_OPERAND`).
    pub fn msr(&self, index: u32) -> Option<u64> {
        match index {
            MSR_IA32_APIC_BASE => Some(self.apic_base),
            MSR_EFER => Some(EFER_TD),
            MSR_IA32_CR_PAT => Some(self.pat),
            _ => None,
        }
    }

    /// The vector registered by SetupEventNotifyInterrupt.
    pub fn notify_vector(&self) -> Option<u8> {
        self.notify_vector
    }

    /// The last ReportFatalError: `(R12 error code, 64-byte message)`.
    pub fn fatal_report(&self) -> Option<(u64, [u8; 64])> {
        self.fatal
    }

    fn page_index(&self, addr: u64) -> Option<usize> {
        let off = addr.checked_sub(self.region_base)?;
        let i = (off / PAGE_4K) as usize;
        (i < self.region_shared.len()).then_some(i)
    }

    fn is_shared(&self, gpa: u64) -> bool {
        gpa & self.shared_bit != 0
    }

    /// `KVM_HC_MAP_GPA_RANGE` (a0 = R11 gpa, a1 = R12 pages, a2 = R13 attributes): KVM's
    /// checks, then QEMU's conversion.
    fn map_gpa_range(&mut self, regs: &Regs) -> u64 {
        let (gpa, pages, attrs) = (regs[Gpr::R11], regs[Gpr::R12], regs[Gpr::R13]);
        let gfn = gpa >> 12;
        if gpa % PAGE_4K != 0 || pages == 0 || gfn.wrapping_add(pages) <= gfn {
            return RESULT_EINVAL;
        }
        let start = gpa & !self.shared_bit;
        let end = start.saturating_add(pages.saturating_mul(PAGE_4K));
        if end > start {
            self.convert(start, end, attrs & KVM_MAP_GPA_RANGE_ENCRYPTED == 0);
        }
        0
    }

    fn legal_gpa(&self, gpa: u64) -> bool {
        gpa >> self.gpaw == 0
    }

    /// Mark `[start, end)` (shared bit stripped; `end > start`, both ends on the same side of
    /// the shared bit) shared or private where it meets the region.
    fn convert(&mut self, start: u64, end: u64, shared: bool) {
        let start = start & !self.shared_bit;
        let end = ((end - 1) & !self.shared_bit) + 1;
        let region_end = self.region_base + self.region_shared.len() as u64 * PAGE_4K;
        let lo = start.max(self.region_base);
        let hi = end.min(region_end);
        if lo >= hi {
            return;
        }
        let a = ((lo - self.region_base) / PAGE_4K) as usize;
        let b = (hi - self.region_base).div_ceil(PAGE_4K) as usize;
        for p in &mut self.region_shared[a..b] {
            *p = shared;
        }
    }

    fn map_gpa(&mut self, out: &mut Regs) -> u64 {
        let gpa = out[Gpr::R12];
        let size = out[Gpr::R13];
        let end = gpa.wrapping_add(size);
        if end <= gpa
            || !self.legal_gpa(gpa)
            || !self.legal_gpa(end - 1)
            || self.is_shared(gpa) != self.is_shared(end - 1)
        {
            out[Gpr::R11] = gpa;
            return status::INVALID_OPERAND;
        }
        if gpa % PAGE_4K != 0 || size % PAGE_4K != 0 {
            out[Gpr::R11] = gpa;
            return status::ALIGN_ERROR;
        }
        if self.map_gpa_stalls > 0 {
            self.map_gpa_stalls -= 1;
            out[Gpr::R11] = gpa;
            return status::RETRY;
        }
        let stop = if self.map_gpa_chunk_limit == 0 {
            end
        } else {
            gpa.saturating_add(self.map_gpa_chunk_limit.saturating_mul(PAGE_2M))
                .min(end)
        };
        self.convert(gpa, stop, self.is_shared(gpa));
        if stop < end {
            out[Gpr::R11] = stop;
            status::RETRY
        } else {
            status::SUCCESS
        }
    }

    fn get_quote(&mut self, out: &mut Regs, mem: &mut dyn GuestMemory) -> u64 {
        let gpa = out[Gpr::R12];
        let len = out[Gpr::R13];
        if !self.is_shared(gpa) || len == 0 {
            return status::INVALID_OPERAND;
        }
        if gpa % PAGE_4K != 0 || len % PAGE_4K != 0 {
            return status::ALIGN_ERROR;
        }
        let addr = gpa & !self.shared_bit;
        let mut hdr = [0u8; get_quote::HEADER_SIZE];
        if !mem.read(addr, &mut hdr) {
            return status::INVALID_OPERAND;
        }
        let version = u64::from_le_bytes(hdr[0..8].try_into().unwrap_or([0; 8]));
        let in_len = u32::from_le_bytes(hdr[16..20].try_into().unwrap_or([0; 4])) as u64;
        if version != get_quote::VERSION
            || len > get_quote::MAX_BUF_LEN
            || in_len > len - get_quote::HEADER_SIZE as u64
        {
            return status::INVALID_OPERAND;
        }
        let ok = mem.write(
            addr + get_quote::STATUS_OFFSET as u64,
            &get_quote::STATUS_SUCCESS.to_le_bytes(),
        ) && mem.write(addr + get_quote::OUT_LEN_OFFSET as u64, &0u32.to_le_bytes());
        if ok {
            status::SUCCESS
        } else {
            status::INVALID_OPERAND
        }
    }

    fn standard(&mut self, sf: u64, out: &mut Regs, mem: &mut dyn GuestMemory) -> u64 {
        use subfunction as sfn;
        match sf {
            sfn::GET_TD_VM_CALL_INFO => match out[Gpr::R12] {
                leaf @ (0 | 1) => {
                    out[Gpr::R11] = if leaf == 1 {
                        TDVMCALL_INFO_LEAF1_R11
                    } else {
                        0
                    };
                    out[Gpr::R12] = 0;
                    out[Gpr::R13] = 0;
                    out[Gpr::R14] = 0;
                    status::SUCCESS
                }
                _ => status::INVALID_OPERAND,
            },
            sfn::MAP_GPA => self.map_gpa(out),
            sfn::GET_QUOTE => self.get_quote(out, mem),
            sfn::REPORT_FATAL_ERROR => {
                let mut msg = [0u8; 64];
                let order = [
                    Gpr::R14,
                    Gpr::R15,
                    Gpr::Rbx,
                    Gpr::Rdi,
                    Gpr::Rsi,
                    Gpr::R8,
                    Gpr::R9,
                    Gpr::Rdx,
                ];
                for (chunk, r) in msg.chunks_exact_mut(8).zip(order) {
                    chunk.copy_from_slice(&out[r].to_le_bytes());
                }
                self.fatal = Some((out[Gpr::R12], msg));
                status::SUCCESS
            }
            sfn::SETUP_EVENT_NOTIFY_INTERRUPT => {
                let v = out[Gpr::R12];
                if (32..=255).contains(&v) {
                    self.notify_vector = Some(v as u8);
                    status::SUCCESS
                } else {
                    status::INVALID_OPERAND
                }
            }
            // KVM v6.16 `handle_tdvmcall()` has no Service case.
            sfn::SERVICE if !self.ghci_rules => status::SUBFUNC_UNSUPPORTED,
            sfn::SERVICE => {
                let v = out[Gpr::R14];
                // GHCI 1.5: shared GPAs within the TD's GPA width, 4 KiB aligned; a
                // misaligned buffer is ALIGN_ERROR, as for GetQuote (td-shim's
                // `tdvmcall_service` answers the same before calling).
                let (cmd, resp) = (out[Gpr::R12], out[Gpr::R13]);
                let shared_ok = |g: u64| self.is_shared(g) && self.legal_gpa(g);
                if !shared_ok(cmd) || !shared_ok(resp) {
                    status::INVALID_OPERAND
                } else if (cmd | resp) % PAGE_4K != 0 {
                    status::ALIGN_ERROR
                } else if (1..32).contains(&v) || v > 255 {
                    status::INVALID_OPERAND
                } else {
                    status::SUCCESS
                }
            }
            sfn::INSTRUCTION_CPUID => {
                let leaf = out[Gpr::R12] as u32;
                let vals = CPUID_TABLE
                    .iter()
                    .find(|(l, _)| *l == leaf)
                    .map(|(_, v)| *v)
                    .unwrap_or([0; 4]);
                for (r, v) in [Gpr::R12, Gpr::R13, Gpr::R14, Gpr::R15]
                    .into_iter()
                    .zip(vals)
                {
                    out[r] = v as u64;
                }
                status::SUCCESS
            }
            sfn::INSTRUCTION_HLT => status::SUCCESS,
            sfn::INSTRUCTION_IO => {
                let size = out[Gpr::R12];
                let dir = out[Gpr::R13];
                if !matches!(size, 1 | 2 | 4) || dir > 1 {
                    return status::INVALID_OPERAND;
                }
                if dir == 0 {
                    out[Gpr::R11] = truncate(io_read_value(out[Gpr::R14] as u16), size);
                }
                status::SUCCESS
            }
            sfn::INSTRUCTION_RDMSR => {
                let idx = out[Gpr::R12] as u32;
                match self.msr(idx) {
                    Some(v) => {
                        out[Gpr::R11] = v;
                        status::SUCCESS
                    }
                    None => status::INVALID_OPERAND,
                }
            }
            sfn::INSTRUCTION_WRMSR => {
                let value = out[Gpr::R13];
                if out[Gpr::R12] as u32 == MSR_IA32_CR_PAT && pat_valid(value) {
                    self.pat = value;
                    status::SUCCESS
                } else {
                    status::INVALID_OPERAND
                }
            }
            sfn::VE_REQUEST_MMIO => {
                // KVM `tdx_emulate_mmio()`: `int size, write` (bits 31:0), a shared first and
                // last byte, no GPA width check. The GHCI rules take whole registers and the
                // GPA width.
                let (size, dir, gpa) = if self.ghci_rules {
                    (out[Gpr::R12], out[Gpr::R13], out[Gpr::R14])
                } else {
                    let low = |r: Gpr| u64::from(out[r] as u32);
                    (low(Gpr::R12), low(Gpr::R13), out[Gpr::R14])
                };
                let last = gpa.wrapping_add(size.wrapping_sub(1));
                if !matches!(size, 1 | 2 | 4 | 8)
                    || dir > 1
                    || !self.is_shared(gpa)
                    || !self.is_shared(last)
                    || (self.ghci_rules && !self.legal_gpa(last))
                {
                    return status::INVALID_OPERAND;
                }
                if dir == 0 {
                    out[Gpr::R11] = truncate(mmio_read_value(gpa & !self.shared_bit), size);
                }
                status::SUCCESS
            }
            _ => status::SUBFUNC_UNSUPPORTED,
        }
    }
}

impl Vmm for HonestVmm {
    fn handle(&mut self, view: &VmmView, mem: &mut dyn GuestMemory) -> Regs {
        let mut out = view.regs;
        let r10 = view.r10();
        if r10 != 0 {
            out[Gpr::R10] = match r10 {
                kvm::KVM_HC_VAPIC_POLL_IRQ | KVM_HC_KICK_CPU | KVM_HC_SCHED_YIELD => 0,
                KVM_HC_MAP_GPA_RANGE => self.map_gpa_range(&out),
                _ => kvm::RESULT_ENOSYS,
            };
            return out;
        }
        out[Gpr::R10] = self.standard(view.r11(), &mut out, mem);
        out
    }
}

// ---------------------------------------------------------------------------- hostile VMM

/// splitmix64 step.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A deterministic adversarial VMM (splitmix64 seeded with `seed`). Per exit:
///
/// * with probability 1/8 it leaves every register untouched (the guest gets its own values
///   back, R10 included);
/// * otherwise it writes each selected register (except R10) with probability 3/4, with a value
///   drawn from {0, 1, −1, 2^63, 2^32 + small, a random 64-bit value, the register's value with
///   one bit flipped};
/// * R10 (when selected) comes from a RETRY storm if one is running; otherwise 3/8 start a
///   storm of 2–9 RETRYs, the rest pick a known status (uniform) or a random value;
/// * for MapGPA (R10 = 0, R11 = 0x10001 in the view) R11 is a bogus resume address with
///   probability 3/4: below the start, at or past the end, the start itself (no progress), the
///   start with the shared bit flipped, or random.
///
/// Its draws run on from one TDVMCALL to the next; [`HostileVmm::begin_call`] restarts them
/// from the seed and a value naming one call of the guest (the oracle does so before every
/// call), so a call is answered the same whatever calls came before it. It never panics and
/// never allocates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostileVmm {
    seed: u64,
    state: u64,
    retry_run: u32,
}

impl HostileVmm {
    /// A hostile VMM with `seed`.
    pub fn new(seed: u64) -> HostileVmm {
        HostileVmm {
            seed,
            state: seed,
            retry_run: 0,
        }
    }

    /// The seed it was created with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Starts the answers to one call of the guest afresh: from here on they depend on the
    /// seed and `salt` (what identifies the call) only, not on the TDVMCALLs answered before,
    /// so a call answers the same wherever it stands in a program.
    pub fn begin_call(&mut self, salt: u64) {
        let mut s = self.seed ^ salt.rotate_left(17);
        self.state = splitmix64(&mut s);
        self.retry_run = 0;
    }

    fn next(&mut self) -> u64 {
        splitmix64(&mut self.state)
    }

    fn junk(&mut self, current: u64) -> u64 {
        let r = self.next();
        match r % 8 {
            0 => 0,
            1 => 1,
            2 => u64::MAX,
            3 => 1 << 63,
            4 => (1 << 32) | (r >> 59),
            5 => current ^ (1 << (r >> 58)),
            _ => self.next(),
        }
    }

    fn status(&mut self) -> u64 {
        if self.retry_run > 0 {
            self.retry_run -= 1;
            return status::RETRY;
        }
        let r = self.next();
        match r % 8 {
            0..=2 => {
                // Storm: this RETRY plus 1..=8 more.
                self.retry_run = 1 + ((r >> 8) % 8) as u32;
                status::RETRY
            }
            3..=6 => status::KNOWN[((r >> 8) % status::KNOWN.len() as u64) as usize].1,
            _ => self.next(),
        }
    }

    fn bogus_resume(&mut self, start: u64, size: u64) -> u64 {
        let end = start.wrapping_add(size);
        let r = self.next();
        match r % 7 {
            0 => start.wrapping_sub(PAGE_4K * (1 + (r >> 60))),
            1 => end,
            2 => end.wrapping_add(PAGE_4K * (1 + (r >> 60))),
            3 => start,
            4 => start ^ (1 << 47) ^ (1 << 51),
            // Inside the range but not page aligned.
            5 => start.wrapping_add(1 + (r >> 52) % size.max(1)) | 1,
            _ => self.next(),
        }
    }
}

impl Vmm for HostileVmm {
    fn handle(&mut self, view: &VmmView, _mem: &mut dyn GuestMemory) -> Regs {
        let mut out = view.regs;
        if self.next() % 8 == 0 {
            return out;
        }
        let sel = view.selected();
        for r in Gpr::ALL {
            if r.index() < 2 || r == Gpr::R10 || !sel.contains(r) {
                continue;
            }
            if self.next() % 4 != 0 {
                out[r] = self.junk(out[r]);
            }
        }
        if sel.contains(Gpr::R10) {
            out[Gpr::R10] = self.status();
        }
        let is_map_gpa = view.r10() == 0 && view.r11() == subfunction::MAP_GPA;
        if is_map_gpa && sel.contains(Gpr::R11) && self.next() % 4 != 0 {
            out[Gpr::R11] = self.bogus_resume(view.regs[Gpr::R12], view.regs[Gpr::R13]);
        }
        out
    }
}

// ---------------------------------------------------------------------------- module storage

/// The VMM stored inline in [`crate::TdxModule`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum VmmState {
    Honest(HonestVmm),
    Hostile(HostileVmm),
}

impl VmmState {
    pub(crate) fn new(mode: VmmMode, config: &TdConfig) -> VmmState {
        match mode {
            VmmMode::Honest => VmmState::Honest(HonestVmm::new(config)),
            VmmMode::Hostile { seed } => VmmState::Hostile(HostileVmm::new(seed)),
        }
    }

    pub(crate) fn mode(&self) -> VmmMode {
        match self {
            VmmState::Honest(_) => VmmMode::Honest,
            VmmState::Hostile(h) => VmmMode::Hostile { seed: h.seed },
        }
    }
}

impl Vmm for VmmState {
    fn handle(&mut self, view: &VmmView, mem: &mut dyn GuestMemory) -> Regs {
        match self {
            VmmState::Honest(v) => v.handle(view, mem),
            VmmState::Hostile(v) => v.handle(view, mem),
        }
    }
}
