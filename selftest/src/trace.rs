//! The trace: every TDCALL the self-test makes through its probe, one line each on the console,
//! in a stable line-oriented format that `tdx-replay` reads back on a host
//! (`docs/selftest.md`, "Trace"). Numbers are hexadecimal without `0x`; registers are in
//! `Gpr::ALL` order (RAX RCX RDX RBX RSP RBP RSI RDI R8-R15), comma-separated.

use alloc::string::String;
use core::fmt::Write;

use tdx_model::contract::LeafContract;
use tdx_model::{Regs, TdConfig};

/// The first word of every trace line and the format's version.
pub const PREFIX: &str = "trace v1";

fn regs(r: &Regs) -> String {
    let mut s = String::new();
    for (i, v) in r.gpr.iter().enumerate() {
        if i != 0 {
            s.push(',');
        }
        let _ = write!(s, "{v:x}");
    }
    s
}

/// Where the calls ran: `td` (the TDX module answered) or `rehearsal` (a simulated TD).
pub fn mode(in_td: bool) {
    uefi::println!("{PREFIX} mode {}", if in_td { "td" } else { "rehearsal" });
}

/// The TD configuration the prediction model was built from, and the model's module version.
pub fn td(cfg: &TdConfig) {
    uefi::println!(
        "{PREFIX} td model {} gpaw {} attributes {:x} vcpus {:x} {:x} index {:x}",
        cfg.module_version,
        if cfg.gpaw_52 { 52 } else { 48 },
        cfg.attributes,
        cfg.num_vcpus,
        cfg.max_vcpus,
        cfg.vcpu_index
    );
}

/// Where the self-test's buffers are: the only guest memory any traced call names.
pub fn buffers(base: u64, len: u64) {
    uefi::println!("{PREFIX} buffers {base:x} {len:x}");
}

/// The bytes at `gpa` as the next call finds them (an input the module reads from memory).
pub fn mem(gpa: u64, bytes: &[u8]) {
    let mut s = String::new();
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    uefi::println!("{PREFIX} mem {gpa:x} {s}");
}

/// One TDCALL: the contract it was judged by (leaf and version), its inputs, outputs and RFLAGS
/// after it, the prediction model's outputs (`-`: not predicted, a raw call checked against the
/// contract only) and the self-test's verdict.
pub fn call(
    seq: u32,
    c: &LeafContract,
    input: &Regs,
    out: &Regs,
    rflags: u64,
    pred: Option<&Regs>,
    ok: bool,
) {
    uefi::println!(
        "{PREFIX} call {seq:x} contract {:x} {:x} in {} out {} rflags {rflags:x} pred {} {}",
        c.leaf,
        c.version,
        regs(input),
        regs(out),
        pred.map_or(String::from("-"), regs),
        if ok { "ok" } else { "FAIL" }
    );
}

/// One TDG.VP.VMCALL (RAX = 0 in): its registers, RFLAGS after it and the self-test's verdict.
/// The contract is the sub-function's (R10, R11); nothing is predicted beyond what the GHCI
/// fixes.
pub fn vmcall(seq: u32, input: &Regs, out: &Regs, rflags: u64, ok: bool) {
    uefi::println!(
        "{PREFIX} vmcall {seq:x} in {} out {} rflags {rflags:x} {}",
        regs(input),
        regs(out),
        if ok { "ok" } else { "FAIL" }
    );
}

/// The number of calls traced: a trace without this line was cut short.
pub fn end(calls: u32) {
    uefi::println!("{PREFIX} end {calls:x}");
}
