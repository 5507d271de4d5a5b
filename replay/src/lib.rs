//! Replays a trace of the in-TD self-test (`docs/selftest.md`, "Trace") on a Linux host, no TD
//! needed:
//!
//! - **through the model**: a fresh `TdxModule`, configured as the trace's `td` line says, gets
//!   the inputs of every call the self-test predicted, in order, with the guest memory the trace
//!   records; each traced output must be what the contract allows (registers outside the
//!   may-modify set unchanged, RSP kept) and, in the may-modify set, what the model answers.
//!   A call the self-test did not predict (a raw call) is checked against the contract only.
//! - **through the wrappers**: every traced call a `tdcall` wrapper makes with the same inputs
//!   is made again by that wrapper, its TDCALL answered by the trap with the traced outputs
//!   (`tdx_trap::Session::answer_next_with`); the wrapper's TDCALL must carry the traced
//!   inputs, and its typed result must be the model's decoding of the traced outputs
//!   (`tdx-expect`).
//!
//! Every divergence is printed with its register table and a pasteable test: the trace cut to
//! the fewest calls that still diverge, replayed by [`replay`].

pub mod trace;

use std::fmt;

use tdcall::vmcall::{VmcallError, VmcallStatus};
use tdcall::{AcceptPage, AlignedGpa, CpuidVe, FieldId, Gpa, PageLevel, RtmrIndex, TdxStatus};
use tdx_expect as expect;
use tdx_model::contract::{lookup, LeafContract};
use tdx_model::vmcall::{ghci_fixed, subfunction as sfn, vmcall_lookup, VmcallContract};
use tdx_model::{leaf, status as st, Completion, Gpr, GuestMemory, RegSet, Regs, TdxModule};
use tdx_oracle::call::Kind;
use tdx_oracle::{Production, Wrappers};

pub use trace::{parse, CallRecord, Entry, Mode, Trace, TraceError};

/// What is replayed, and with which planted error.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// A planted model error: the model's TDG.VP.INFO answer has bit 0 of R8 (NUM_VCPUS)
    /// flipped. A replay that does not then fail checks nothing.
    pub plant_model_bug: bool,
}

/// Which side of the seam a divergence is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The module's answer differs from the model's, or breaks the contract.
    Model,
    /// The wrapper's TDCALL or typed result differs from what the traced call and the model's
    /// decoding say.
    Wrapper,
}

/// One divergence.
#[derive(Clone, Debug)]
pub struct Divergence {
    /// The side.
    pub side: Side,
    /// The self-test's sequence number of the call.
    pub seq: u32,
    /// The call's line in the log.
    pub line: usize,
    /// What differed.
    pub what: String,
    /// The register table.
    pub table: String,
    /// A test that replays the fewest traced calls that still diverge.
    pub test: String,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "DIVERGENCE ({:?}) call {:#x}, log line {}: {}",
            self.side, self.seq, self.line, self.what
        )?;
        write!(f, "{}", self.table)?;
        writeln!(f, "pasteable test:")?;
        write!(f, "{}", self.test)
    }
}

/// What a replay did and found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Calls replayed through the model (the self-test predicted them).
    pub predicted: usize,
    /// Calls checked against the contract only.
    pub contract_only: usize,
    /// TDG.VP.VMCALLs checked against their sub-function's contract and the GHCI.
    pub vmcalls: usize,
    /// Calls whose traced prediction differs from the model's now (the model changed since
    /// the trace was made; not a divergence by itself).
    pub model_changed: usize,
    /// Calls replayed through a wrapper.
    pub wrappers: usize,
    /// Calls no wrapper makes with those inputs, by leaf name.
    pub no_wrapper: Vec<(&'static str, usize)>,
    /// Everything that differed.
    pub divergences: Vec<Divergence>,
}

/// Guest memory as the trace records it: the self-test's buffers read as the latest `mem`
/// lines say (zero elsewhere), writes kept nowhere (as the self-test's prediction model's).
struct TracedMemory {
    base: u64,
    len: u64,
    bytes: Vec<(u64, Vec<u8>)>,
}

impl TracedMemory {
    fn inside(&self, gpa: u64, n: usize) -> bool {
        gpa >= self.base
            && (gpa - self.base)
                .checked_add(n as u64)
                .is_some_and(|e| e <= self.len)
    }
}

impl GuestMemory for TracedMemory {
    fn read(&mut self, gpa: u64, buf: &mut [u8]) -> bool {
        if !self.inside(gpa, buf.len()) {
            return false;
        }
        for (k, b) in buf.iter_mut().enumerate() {
            let a = gpa + k as u64;
            *b = self
                .bytes
                .iter()
                .rev()
                .find_map(|(g, v)| a.checked_sub(*g).and_then(|o| v.get(o as usize)))
                .copied()
                .unwrap_or(0);
        }
        true
    }

    fn write(&mut self, gpa: u64, data: &[u8]) -> bool {
        self.inside(gpa, data.len())
    }
}

fn table(c: Option<&LeafContract>, rec: &CallRecord, model: Option<&Regs>) -> String {
    let mut t = format!(
        "{} (RAX in {:#x}), log line {}\nreg  contract    input               traced output       model\n",
        c.map_or("no contract", |c| c.name),
        rec.input[Gpr::Rax],
        rec.line
    );
    for r in Gpr::ALL {
        let may = c.is_some_and(|c| c.may_modify.contains(r));
        let want = if may {
            model.map(|m| m[r])
        } else {
            Some(rec.input[r])
        };
        let (shown, mark) = match want {
            Some(w) => (
                format!("{w:#018x}"),
                if r != Gpr::Rsp && w != rec.out[r] {
                    "  <--"
                } else {
                    ""
                },
            ),
            None => ("(not predicted)   ".into(), ""),
        };
        t.push_str(&format!(
            "{:<4} {:<11} {:#018x}  {:#018x}  {}{}\n",
            r.name(),
            if may { "may change" } else { "preserved" },
            rec.input[r],
            rec.out[r],
            shown,
            mark
        ));
    }
    t
}

/// A finding of the model pass: the entry, what, and the table.
struct Finding {
    entry: usize,
    what: String,
    table: String,
}

/// The model pass over the entries `keep` (indices into `trace.entries`), in order.
fn model_pass(trace: &Trace, keep: &[usize], opts: &Options, report: &mut Report) -> Vec<Finding> {
    let mut module = TdxModule::new(trace.td.clone());
    let mut mem = TracedMemory {
        base: trace.buffers.0,
        len: trace.buffers.1,
        bytes: Vec::new(),
    };
    let mut found = Vec::new();
    for &k in keep {
        let rec = match &trace.entries[k] {
            Entry::Mem { gpa, bytes, .. } => {
                mem.bytes.push((*gpa, bytes.clone()));
                continue;
            }
            Entry::Call(rec) => rec,
        };
        if rec.vmcall {
            report.vmcalls += 1;
            if let Some(f) = vmcall_problems(k, rec) {
                found.push(f);
            }
            continue;
        }
        let c = lookup(rec.contract.0, rec.contract.1);
        let mut problems = Vec::new();
        if rec.contract.0 != rec.input[Gpr::Rax] as u16 {
            problems.push(format!(
                "the trace judges the call by leaf {:#x}'s contract, but RAX {:#x} names leaf {:#x}",
                rec.contract.0,
                rec.input[Gpr::Rax],
                rec.input[Gpr::Rax] as u16
            ));
        }
        let mut model = None;
        if rec.out[Gpr::Rsp] != rec.input[Gpr::Rsp] {
            problems.push(format!(
                "RSP moved: {:#x} -> {:#x}",
                rec.input[Gpr::Rsp],
                rec.out[Gpr::Rsp]
            ));
        }
        let Some(c) = c else {
            problems.push(format!(
                "no contract for leaf {:#x} version {:#x}",
                rec.contract.0, rec.contract.1
            ));
            found.push(Finding {
                entry: k,
                what: problems.join("; "),
                table: table(None, rec, None),
            });
            continue;
        };
        for r in Gpr::ALL {
            if r != Gpr::Rsp && !c.may_modify.contains(r) && rec.out[r] != rec.input[r] {
                problems.push(format!(
                    "{} changed but the contract says {} preserves it",
                    r.name(),
                    c.name
                ));
            }
        }
        if let Some(traced_pred) = &rec.pred {
            report.predicted += 1;
            match module.tdcall(&rec.input, &mut mem) {
                Completion::Completed(mut p) => {
                    if opts.plant_model_bug
                        && rec.input[Gpr::Rax] == leaf::rax(leaf::TDG_VP_INFO, 0)
                    {
                        p[Gpr::R8] ^= 1;
                    }
                    // A TD may map the page with a 2 MiB leaf (level 1): not predictable.
                    if trace.mode == Mode::Td
                        && c.leaf == leaf::TDG_MEM_PAGE_ACCEPT
                        && p[Gpr::Rax] == st::TDX_PAGE_ALREADY_ACCEPTED
                        && rec.out[Gpr::Rax] == st::TDX_PAGE_ALREADY_ACCEPTED + 1
                    {
                        p[Gpr::Rax] = rec.out[Gpr::Rax];
                    }
                    if c.may_modify.iter().any(|r| p[r] != traced_pred[r]) {
                        report.model_changed += 1;
                    }
                    for r in c.may_modify.iter() {
                        if r != Gpr::Rsp && rec.out[r] != p[r] {
                            problems.push(format!(
                                "{} = {:#x}, the model answers {:#x}",
                                r.name(),
                                rec.out[r],
                                p[r]
                            ));
                        }
                    }
                    model = Some(p);
                }
                other => problems.push(format!("the model does not complete the call: {other:?}")),
            }
        } else {
            report.contract_only += 1;
        }
        if !problems.is_empty() {
            found.push(Finding {
                entry: k,
                what: format!("{}: {}", c.name, problems.join("; ")),
                table: table(Some(c), rec, model.as_ref()),
            });
        }
    }
    found
}

/// A TDG.VP.VMCALL against its sub-function's contract: the module passes it to the VMM (RAX =
/// 0), keeps every register the call does not expose and RSP; of the VMM's answer, what the
/// GHCI fixes (`ghci_fixed`).
fn vmcall_problems(k: usize, rec: &CallRecord) -> Option<Finding> {
    let (input, out) = (&rec.input, &rec.out);
    let Some(c) = vmcall_lookup(input[Gpr::R10], input[Gpr::R11]) else {
        return Some(Finding {
            entry: k,
            what: format!(
                "TDG.VP.VMCALL: no contract for R10 {:#x}, R11 {:#x}",
                input[Gpr::R10],
                input[Gpr::R11]
            ),
            table: vmcall_table(None, rec),
        });
    };
    let mut problems = Vec::new();
    if out[Gpr::Rax] != 0 {
        problems.push(format!(
            "RAX = {:#x}, but the module passes a well-formed call to the VMM (0)",
            out[Gpr::Rax]
        ));
    }
    // RSP and RCX stay whatever RCX selects; the rest unless exposed.
    let exposed = RegSet(input[Gpr::Rcx] as u16).minus(RegSet::of(&[Gpr::Rsp, Gpr::Rcx]));
    for r in Gpr::ALL {
        if r != Gpr::Rax && !exposed.contains(r) && out[r] != input[r] {
            problems.push(format!(
                "{} changed but the call does not expose it",
                r.name()
            ));
        }
    }
    for (r, v) in ghci_fixed(input) {
        if out[*r] != *v {
            problems.push(format!(
                "{} = {:#x}, the GHCI fixes {v:#x}",
                r.name(),
                out[*r]
            ));
        }
    }
    (!problems.is_empty()).then(|| Finding {
        entry: k,
        what: format!("TDG.VP.VMCALL<{}>: {}", c.name, problems.join("; ")),
        table: vmcall_table(Some(c), rec),
    })
}

fn vmcall_table(c: Option<&VmcallContract>, rec: &CallRecord) -> String {
    let exposed = RegSet(rec.input[Gpr::Rcx] as u16).minus(RegSet::of(&[Gpr::Rsp, Gpr::Rcx]));
    let fixed = ghci_fixed(&rec.input);
    let mut t = format!(
        "TDG.VP.VMCALL<{}> (RCX {:#x}), log line {}\nreg  exposed  input               traced output       GHCI fixes\n",
        c.map_or("?", |c| c.name),
        rec.input[Gpr::Rcx],
        rec.line
    );
    for r in Gpr::ALL {
        let want = match fixed.iter().find(|(g, _)| *g == r) {
            Some((_, v)) => Some(*v),
            None if r == Gpr::Rax => Some(0),
            None if !exposed.contains(r) => Some(rec.input[r]),
            None => None,
        };
        let (shown, mark) = match want {
            Some(w) => (
                format!("{w:#018x}"),
                if w != rec.out[r] { "  <--" } else { "" },
            ),
            None => ("(the VMM's)       ".into(), ""),
        };
        t.push_str(&format!(
            "{:<4} {:<8} {:#018x}  {:#018x}  {}{}\n",
            r.name(),
            if exposed.contains(r) { "yes" } else { "no" },
            rec.input[r],
            rec.out[r],
            shown,
            mark
        ));
    }
    t
}

/// The entries up to `target` that the divergence at `target` needs: entries before it are
/// dropped one at a time, last first, while the replay of the rest still finds the same
/// divergence there, and the passes repeat until none drops: no single entry left can go.
fn minimize(trace: &Trace, target: usize, what: &str, opts: &Options) -> Vec<usize> {
    let mut keep: Vec<usize> = (0..=target).collect();
    loop {
        let before = keep.len();
        let mut i = keep.len() - 1;
        while i > 0 {
            i -= 1;
            let mut shorter = keep.clone();
            shorter.remove(i);
            let still = model_pass(trace, &shorter, opts, &mut Report::default())
                .iter()
                .any(|f| f.entry == target && f.what == what);
            if still {
                keep = shorter;
            }
        }
        if keep.len() == before {
            return keep;
        }
    }
}

/// A test replaying the entries `keep` through the model and `W` (by its type's path: a unit
/// struct, or this workspace's `tdcall` through [`replay`]).
fn pasteable<W: Wrappers>(
    trace: &Trace,
    keep: &[usize],
    unpredicted: bool,
    seq: u32,
    plant: bool,
) -> String {
    let call = if std::any::type_name::<W>() == std::any::type_name::<Production>() {
        "tdx_replay::replay(&trace, &options)".to_string()
    } else {
        format!(
            "tdx_replay::replay_with(&trace, &options, &{})",
            std::any::type_name::<W>()
        )
    };
    format!(
        "#[test]\nfn traced_call_{seq:x}() {{\n    let trace = tdx_replay::parse(\n        r\"\n{}\",\n    )\n    .expect(\"trace\");\n    let options = tdx_replay::Options {{ plant_model_bug: {plant} }};\n    let report = {call};\n    assert!(report.divergences.is_empty(), \"{{}}\", report.divergences[0]);\n}}\n",
        trace.text_of(keep, unpredicted)
    )
}

/// The wrapper of `w` that makes the traced call, run with the traced outputs as the module's
/// answer: `None` when `w` has no wrapper that makes a call with those inputs.
fn through_wrapper<W: Wrappers>(
    w: &W,
    s: &mut tdx_trap::Session,
    rec: &CallRecord,
) -> Option<(&'static str, Result<String, String>)> {
    if rec.vmcall {
        return through_vmcall_wrapper(w, s, rec);
    }
    let rax = rec.input[Gpr::Rax];
    let (rcx, rdx) = (rec.input[Gpr::Rcx], rec.input[Gpr::Rdx]);
    let c = lookup(rax as u16, (rax >> 16) as u8).filter(|c| c.rax() == rax)?;
    let out = &rec.out;
    let run = |s: &mut tdx_trap::Session, f: &mut dyn FnMut() -> String, want: String| {
        s.clear_log();
        s.answer_next_with(*out, c.may_modify, rec.rflags, rax, None);
        let got = f();
        // SAFETY: no TDCALL runs while the copy is taken.
        let log = unsafe { s.log() }.to_vec();
        s.clear_log();
        let [r] = log[..] else {
            return Err(format!("the wrapper made {} TDCALLs, not 1", log.len()));
        };
        let mut wrong: Vec<&str> = Vec::new();
        if r.input[Gpr::Rax] != rax {
            wrong.push("RAX");
        }
        for i in c.inputs {
            if r.input[i.reg] != rec.input[i.reg] {
                wrong.push(i.reg.name());
            }
        }
        if !wrong.is_empty() {
            return Err(format!(
                "the wrapper's TDCALL differs from the traced one in {wrong:?}"
            ));
        }
        if got != want {
            return Err(format!(
                "the wrapper returned {got}; the model decodes the traced outputs as {want}"
            ));
        }
        Ok(got)
    };
    let provides = |k: Kind| w.provides(k).then_some(());
    let result = match (c.leaf, c.version) {
        (leaf::TDG_VP_INFO, 0) if w.provides(Kind::VpInfo) => run(
            s,
            &mut || format!("{:?}", w.vp_info()),
            format!("{:?}", expect::vp_info(c, out)),
        ),
        (leaf::TDG_VP_VEINFO_GET, 0) if w.provides(Kind::VeinfoGet) => run(
            s,
            &mut || format!("{:?}", w.veinfo_get()),
            format!("{:?}", expect::veinfo(c, out)),
        ),
        (leaf::TDG_VM_RD, 0) if rcx == 0 => {
            provides(Kind::VmRd)?;
            let field = FieldId::new(rdx).ok()?;
            run(
                s,
                &mut || format!("{:?}", w.vm_rd(field)),
                format!("{:?}", expect::metadata_read(c, out, false).map(|(v, _)| v)),
            )
        }
        (leaf::TDG_VM_RD, 1) if rcx == 0 && rdx == u64::MAX && w.provides(Kind::VmRdFirst) => run(
            s,
            &mut || format!("{:?}", w.vm_rd_first().map(|f| f.raw())),
            format!("{:?}", expect::first_field_id(c, out)),
        ),
        (leaf::TDG_VM_RD, 1) if rcx == 0 => {
            provides(Kind::VmRdV1)?;
            let field = FieldId::new(rdx).ok()?;
            run(
                s,
                &mut || {
                    format!(
                        "{:?}",
                        w.vm_rd_v1(field).map(|(v, n)| (v, n.map(|f| f.raw())))
                    )
                },
                format!("{:?}", expect::metadata_read(c, out, true)),
            )
        }
        (leaf::TDG_VP_VEINFO_GET, v @ (1 | 2)) if w.provides(Kind::VeinfoGet) => run(
            s,
            &mut || {
                format!(
                    "{:?}",
                    if v == 1 {
                        w.veinfo_get_v1()
                    } else {
                        w.veinfo_get_v2()
                    }
                )
            },
            format!("{:?}", expect::veinfo_ext(c, out)),
        ),
        (leaf::TDG_VP_RD | leaf::TDG_SYS_RD, 0) if rdx == u64::MAX => {
            let vp = c.leaf == leaf::TDG_VP_RD;
            if (vp && (rcx != 0 || !w.provides(Kind::VpRd))) || (!vp && !w.provides(Kind::SysRd)) {
                return None;
            }
            run(
                s,
                &mut || {
                    let first = if vp {
                        w.vp_rd_first()
                    } else {
                        w.sys_rd_first()
                    };
                    format!("{:?}", first.map(|f| f.raw()))
                },
                format!("{:?}", expect::first_field_id(c, out)),
            )
        }
        (leaf::TDG_VP_RD | leaf::TDG_SYS_RD, 0) => {
            let vp = c.leaf == leaf::TDG_VP_RD;
            if (vp && (rcx != 0 || !w.provides(Kind::VpRd))) || (!vp && !w.provides(Kind::SysRd)) {
                return None;
            }
            let field = FieldId::new(rdx).ok()?;
            run(
                s,
                &mut || {
                    let read = if vp { w.vp_rd(field) } else { w.sys_rd(field) };
                    format!("{:?}", read.map(|(v, n)| (v, n.map(|f| f.raw()))))
                },
                format!("{:?}", expect::metadata_read(c, out, true)),
            )
        }
        (leaf::TDG_VM_WR | leaf::TDG_VP_WR, 0) if rcx == 0 => {
            let vp = c.leaf == leaf::TDG_VP_WR;
            if !w.provides(if vp { Kind::VpWr } else { Kind::VmWr }) {
                return None;
            }
            let field = FieldId::new(rdx).ok()?;
            let (value, mask) = (rec.input[Gpr::R8], rec.input[Gpr::R9]);
            run(
                s,
                &mut || {
                    format!(
                        "{:?}",
                        if vp {
                            w.vp_wr(field, value, mask)
                        } else {
                            w.vm_wr(field, value, mask)
                        }
                    )
                },
                format!("{:?}", expect::old_value(c, out)),
            )
        }
        (leaf::TDG_VP_INVEPT, 0) if w.provides(Kind::Invept) => run(
            s,
            &mut || format!("{:?}", w.invept(rcx)),
            format!("{:?}", expect::status(out)),
        ),
        (leaf::TDG_MR_VERIFYREPORT, 0) if w.provides(Kind::VerifyReport) => {
            let mac = AlignedGpa::<256>::new(rcx).ok()?;
            run(
                s,
                &mut || format!("{:?}", w.verifyreport(mac)),
                format!("{:?}", expect::status(out)),
            )
        }
        (leaf::TDG_VP_CPUIDVE_SET, 0) if rcx >> 2 == 0 && w.provides(Kind::CpuidveSet) => {
            let config = CpuidVe {
                supervisor: rcx & 1 != 0,
                user: rcx & 2 != 0,
            };
            run(
                s,
                &mut || format!("{:?}", w.cpuidve_set(config)),
                format!("{:?}", expect::status(out)),
            )
        }
        (leaf::TDG_MEM_PAGE_ACCEPT, 0) if w.provides(Kind::Accept) => {
            let level = PageLevel::from_raw(rcx & 7).ok()?;
            let page = AcceptPage::new(Gpa::new(rcx & !0xfff).ok()?, level).ok()?;
            if page.to_rcx() != rcx {
                return None;
            }
            run(
                s,
                &mut || {
                    // SAFETY: the TDCALL traps and is answered from the trace: no page at
                    // that address is read, written or accepted.
                    format!("{:?}", unsafe { w.accept(page) })
                },
                format!("{:?}", expect::accept(out)),
            )
        }
        (leaf::TDG_MR_RTMR_EXTEND, 0) if w.provides(Kind::RtmrExtend) => {
            let data = AlignedGpa::<64>::new(rcx).ok()?;
            let index = RtmrIndex::new(rdx).ok()?;
            run(
                s,
                &mut || format!("{:?}", w.rtmr_extend(data, index)),
                format!("{:?}", expect::status(out)),
            )
        }
        _ => return None,
    };
    Some((c.name, result))
}

/// GetTdVmCallInfo through `w`'s wrapper, its TDCALL answered with the traced registers the
/// call exposes: it must carry the traced RCX, R10, R11 and leaf, and return the traced answer
/// (R11–R14 on success, the module's or the VMM's status otherwise). Other sub-functions are
/// not replayed through a wrapper (`None`).
fn through_vmcall_wrapper<W: Wrappers>(
    w: &W,
    s: &mut tdx_trap::Session,
    rec: &CallRecord,
) -> Option<(&'static str, Result<String, String>)> {
    let (input, out) = (&rec.input, &rec.out);
    let c = vmcall_lookup(input[Gpr::R10], input[Gpr::R11])?;
    if c.subfunction != Some(sfn::GET_TD_VM_CALL_INFO)
        || input[Gpr::Rcx] != c.rcx()
        || !w.provides(Kind::VmcallInfo)
    {
        return None;
    }
    let leaf_no = input[Gpr::R12];
    let want = if out[Gpr::Rax] != 0 {
        Err(VmcallError::Module(TdxStatus::from_raw(out[Gpr::Rax])))
    } else if out[Gpr::R10] != 0 {
        Err(VmcallError::Vmm(VmcallStatus(out[Gpr::R10])))
    } else {
        Ok([out[Gpr::R11], out[Gpr::R12], out[Gpr::R13], out[Gpr::R14]])
    };
    s.clear_log();
    s.answer_next_with(
        *out,
        c.exposed.with(Gpr::Rax),
        rec.rflags,
        0,
        Some(input[Gpr::Rcx]),
    );
    let got = w.vmcall_info(leaf_no);
    // SAFETY: no TDCALL runs while the copy is taken.
    let log = unsafe { s.log() }.to_vec();
    s.clear_log();
    let result = match log[..] {
        [r] => {
            let wrong: Vec<&str> = [Gpr::Rax, Gpr::Rcx, Gpr::R10, Gpr::R11, Gpr::R12]
                .into_iter()
                .filter(|g| r.input[*g] != input[*g])
                .map(Gpr::name)
                .collect();
            if !wrong.is_empty() {
                Err(format!(
                    "the wrapper's TDCALL differs from the traced one in {wrong:?}"
                ))
            } else if got != want {
                Err(format!(
                    "the wrapper returned {got:x?}; the traced outputs decode as {want:x?}"
                ))
            } else {
                Ok(format!("{got:x?}"))
            }
        }
        _ => Err(format!("the wrapper made {} TDCALLs, not 1", log.len())),
    };
    Some((c.name, result))
}

/// Replays `trace` through the model and this workspace's wrappers (`tdcall`).
pub fn replay(trace: &Trace, opts: &Options) -> Report {
    replay_with(trace, opts, &Production)
}

/// Replays `trace` through the model and the wrappers of `w` (any implementation the oracle
/// checks: `tdcall`, a planted variant, another project's).
pub fn replay_with<W: Wrappers>(trace: &Trace, opts: &Options, w: &W) -> Report {
    let mut report = Report::default();
    let all: Vec<usize> = (0..trace.entries.len()).collect();
    for f in model_pass(trace, &all, opts, &mut report) {
        let Entry::Call(rec) = &trace.entries[f.entry] else {
            continue;
        };
        let keep = minimize(trace, f.entry, &f.what, opts);
        report.divergences.push(Divergence {
            side: Side::Model,
            seq: rec.seq,
            line: rec.line,
            what: f.what,
            table: f.table,
            test: pasteable::<W>(trace, &keep, false, rec.seq, opts.plant_model_bug),
        });
    }
    let mut session = tdx_trap::Session::new(trace.td.clone(), 1);
    for (k, e) in trace.entries.iter().enumerate() {
        let Entry::Call(rec) = e else {
            continue;
        };
        match through_wrapper(w, &mut session, rec) {
            None => {
                let name = if rec.vmcall {
                    vmcall_lookup(rec.input[Gpr::R10], rec.input[Gpr::R11])
                        .map_or("TDG.VP.VMCALL", |c| c.name)
                } else {
                    lookup(rec.contract.0, rec.contract.1).map_or("no contract", |c| c.name)
                };
                match report.no_wrapper.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, n)) => *n += 1,
                    None => report.no_wrapper.push((name, 1)),
                }
            }
            Some((name, result)) => {
                report.wrappers += 1;
                if let Err(what) = result {
                    let table = if rec.vmcall {
                        vmcall_table(vmcall_lookup(rec.input[Gpr::R10], rec.input[Gpr::R11]), rec)
                    } else {
                        table(lookup(rec.contract.0, rec.contract.1), rec, None)
                    };
                    report.divergences.push(Divergence {
                        side: Side::Wrapper,
                        seq: rec.seq,
                        line: rec.line,
                        what: format!("{name}: {what}"),
                        table,
                        test: pasteable::<W>(trace, &[k], true, rec.seq, opts.plant_model_bug),
                    });
                }
            }
        }
    }
    report
}
