//! TDG.VP.VMCALL through the oracle: encoding, leakage, clobbers, decoding and semantics.
//!
//! Leakage, on top of the four checks of every leaf: at the TDCALL the RCX GPR_SELECT equals the
//! sub-function's contract and selects no XMM register and no RBP; every exposed register holds
//! a contract input or zero; and none of the values the caller keeps live across the call (the
//! register-pressure values, the caller's secrets) is in a register the VMM sees.

use core::hint::black_box;

use tdcall::vmcall::{
    AccessSize, CpuidResult, MapGpaProgress, SharedGpa, VmcallError, VmcallStatus,
};
use tdcall::{Gpa, InputError, TdxStatus};
use tdx_model::vmcall::{status as ghci, subfunction as sfn, vmcall_lookup, VmcallContract};
use tdx_model::vmm::VmmMode;
use tdx_model::{Gpr, RegSet};

use super::{call_text, quantity, Difference, Failure, Oracle, Outcome, Verdict};
use crate::call::{Call, Kind, MemRef, PageRef};
use crate::pressure::{describe_lost, secrets, under_canaries, under_pressure};
use crate::wrappers::{InputCheck, Wrappers};
use crate::CONVERT_MAX_STALLS;
use tdx_trap::{Record, RecordKind};

/// Policy label: a TDVMCALL exposing more registers than its sub-function uses, all zero.
pub const WIDER_MASK: &str = "exposes more registers than the contract, zero-filled";

/// Report name of `convert_range` (`Failure::leaf`).
pub const CONVERT: &str = "convert_range (TDG.VP.VMCALL<MapGPA>)";

fn contract_of(r10: u64, subfunction: u64) -> &'static VmcallContract {
    vmcall_lookup(r10, subfunction).expect("the model has a contract for every sub-function")
}

/// The model's decoding of the GHCI status: RAX ≠ 0 is the module's refusal, a non-zero
/// `status` output the VMM's.
fn status_of(c: &VmcallContract, rec: &Record) -> Result<(), VmcallError> {
    let rax = rec.output[Gpr::Rax];
    if rax != 0 {
        return Err(VmcallError::Module(TdxStatus::from_raw(rax)));
    }
    match output(c, rec, "status") {
        0 => Ok(()),
        s => Err(VmcallError::Vmm(VmcallStatus(s))),
    }
}

fn mask_of(size: u8) -> u64 {
    match size {
        8 => u64::MAX,
        n => (1u64 << (8 * n as u32)) - 1,
    }
}

impl<W: Wrappers> Oracle<W> {
    pub(crate) fn shared_bit(&mut self) -> u64 {
        1u64 << if self.model().config().gpaw_52 {
            51
        } else {
            47
        }
    }

    fn gpa_width(&mut self) -> u8 {
        if self.model().config().gpaw_52 {
            52
        } else {
            48
        }
    }

    fn honest(&mut self) -> bool {
        matches!(self.model().vmm_mode(), VmmMode::Honest)
    }

    /// The one TDVMCALL of a call, checked for encoding, leakage and clobbers.
    ///
    /// `inputs` are the expected input fields; callers build them before the call and pass
    /// their address to `black_box`, so they live in memory and a missing clobber cannot
    /// rewrite the expectation along with the value.
    fn vmcall_record(
        &mut self,
        c: &'static VmcallContract,
        call: &Call,
        inputs: &[(&str, u64)],
        live: &[(&str, u64)],
        seed: u64,
        lost: Option<u32>,
    ) -> Result<Record, Failure> {
        let log = self.log().to_vec();
        let fail = |verdict, detail: String, rec: Option<&Record>| Failure {
            verdict,
            leaf: c.name,
            call: call_text(call),
            detail,
            table: rec.map_or(String::new(), |r| vmcall_table(r, c)),
            module: tdx_model::ModuleVersion::NEWEST,
            differs: Vec::new(),
        };
        let [rec] = log[..] else {
            return Err(fail(
                Verdict::Encoding,
                format!("expected one TDCALL, saw {}", log.len()),
                log.last(),
            )
            .differing(vec![Difference::of(quantity::TDCALLS, log.len() as u64, 1)]));
        };
        let rcx = rec.input[Gpr::Rcx];
        let selected = RegSet(rcx as u16);
        // Leakage first: what the VMM was shown. A mask wider than the contract whose extra
        // registers are all zero leaks nothing: policy, for implementations that choose it.
        let extra = selected.minus(c.exposed);
        let zero_filled = extra.iter().all(|r| rec.input[r] == 0);
        // A register of the contract left unexposed leaks nothing when the call's input
        // there is zero (a missing output is the decoding check's business).
        let missing = c.exposed.minus(selected);
        let mut contract_inputs = tdx_model::Regs::default();
        c.prepare(&mut contract_inputs);
        for (n, v) in inputs {
            c.set_input_field(&mut contract_inputs, n, *v);
        }
        let narrower_ok = missing.iter().all(|r| contract_inputs[r] == 0);
        let wider_by_policy = !W::EXACT_MASK && !extra.is_empty() && zero_filled;
        if rcx >> 16 != 0
            || (!extra.is_empty() && !wider_by_policy)
            || !narrower_ok
            || selected.contains(Gpr::Rbp)
        {
            return Err(fail(
                Verdict::Leakage,
                format!(
                    "RCX {rcx:#x} exposes {:?} (XMM_SELECT {:#x}); the contract exposes {:?}",
                    names(selected),
                    (rcx >> 16) as u16,
                    names(c.exposed)
                ),
                Some(&rec),
            ));
        }
        self.policy = wider_by_policy.then_some(WIDER_MASK);
        let carries_input = c.input_regs();
        for r in selected.iter() {
            if !carries_input.contains(r) && rec.input[r] != 0 {
                return Err(fail(
                    Verdict::Leakage,
                    format!(
                        "{} is exposed to the VMM holding {:#x}, which is no input of the call",
                        r.name(),
                        rec.input[r]
                    ),
                    Some(&rec),
                ));
            }
            if secrets(seed).contains(&rec.input[r]) {
                return Err(fail(
                    Verdict::Leakage,
                    format!(
                        "{} shows the VMM a value the caller keeps live ({:#x})",
                        r.name(),
                        rec.input[r]
                    ),
                    Some(&rec),
                ));
            }
        }
        // Encoding: RAX, R10/R11 and each input field.
        let mut wrong = Vec::new();
        let mut differs = Vec::new();
        if rec.input[Gpr::Rax] != 0 {
            wrong.push("RAX".to_string());
            differs.push(Difference::of("RAX", rec.input[Gpr::Rax], 0));
        }
        // What the contract's `prepare` sets besides the mask: RAX and, for a standard call,
        // R10 = 0 and R11 = the sub-function.
        let mut prepared = rec.input;
        c.prepare(&mut prepared);
        prepared[Gpr::Rcx] = rec.input[Gpr::Rcx];
        for r in prepared.diff(&rec.input).iter() {
            wrong.push(format!(
                "{}: {:#x} != {:#x}",
                r.name(),
                rec.input[r],
                prepared[r]
            ));
            differs.push(Difference::of(r.name(), rec.input[r], prepared[r]));
        }
        for (name, want) in inputs {
            let got = c.input_field(&rec.input, name);
            if got != Some(*want) {
                wrong.push(format!("{name}: {got:x?} != {want:#x}"));
                differs.push(Difference {
                    field: c.input_field_name(name).unwrap_or("?"),
                    got,
                    want: Some(*want),
                });
            }
        }
        if !wrong.is_empty() {
            return Err(fail(
                Verdict::Encoding,
                format!("inputs differ from the contract's: {wrong:?}"),
                Some(&rec),
            )
            .differing(differs));
        }
        self.ran.insert(Verdict::Encoding);
        // The caller's own copies of its inputs (`live`, read from wherever the compiler kept
        // them) must equal the copies kept in memory: an exposed input register declared
        // input-only is one the compiler believes unchanged.
        // A call that does not return (ReportFatalError, `lost` = None) has no "after".
        if let Some((name, v)) = lost.and(
            live.iter()
                .zip(inputs)
                .find_map(|(l, i)| (l != i).then_some(l)),
        ) {
            return Err(fail(
                Verdict::Clobbers,
                format!(
                    "the caller's copy of input {name} changed across the call (now {v:#x}): an \
                     exposed input register is missing from the asm's outputs/clobbers"
                ),
                Some(&rec),
            ));
        }
        if let Some(lost) = lost {
            if lost != 0 {
                return Err(fail(
                    Verdict::Clobbers,
                    format!(
                        "values live across the call were overwritten ({}): a register the VMM \
                         may write is missing from the asm's outputs/clobbers",
                        describe_lost(lost)
                    ),
                    Some(&rec),
                ));
            }
            self.ran.insert(Verdict::Clobbers);
        }
        if !rec.outside_contract.is_empty() {
            return Err(fail(
                Verdict::Semantics,
                format!(
                    "the model changed registers the call does not expose: {:?}",
                    names(rec.outside_contract)
                ),
                Some(&rec),
            ));
        }
        // The model's own record of the exit agrees: the VMM saw only the exposed registers.
        if let Some(view) = self.model().last_vmm_view() {
            let seen_nonzero = RegSet(
                Gpr::ALL
                    .iter()
                    .filter(|r| view.regs[**r] != 0)
                    .fold(0u16, |m, r| m | 1 << r.index()),
            );
            if !seen_nonzero.minus(selected.with(Gpr::Rcx)).is_empty() {
                return Err(fail(
                    Verdict::Leakage,
                    format!("the VMM saw unexposed registers: {:?}", names(seen_nonzero)),
                    Some(&rec),
                ));
            }
        }
        self.ran.insert(Verdict::Leakage);
        // Hygiene: the VMM's values in exposed registers that carry no output were cleared
        // before control left the straight-line code after the TDCALL. Counted only when a
        // watched register held a non-zero VMM value (otherwise nothing could have failed).
        if let Some(h) = self.session.hygiene().filter(|h| !h.watched.is_empty()) {
            if !h.not_cleared().is_empty() {
                return Err(fail(
                    Verdict::Hygiene,
                    format!(
                        "{:?} (exposed, no output) not cleared when the watch ended after {} \
                         instructions (a call, a ret, or the step limit): {:?} still held the \
                         VMM's value, {:?} another one",
                        names(h.not_cleared()),
                        h.steps,
                        names(h.left()),
                        names(h.overwritten)
                    ),
                    Some(&rec),
                ));
            }
            self.ran.insert(Verdict::Hygiene);
        }
        Ok(rec)
    }

    fn vmcall_decoding<T: PartialEq + core::fmt::Debug>(
        &mut self,
        c: &'static VmcallContract,
        call: &Call,
        rec: &Record,
        got: &T,
        want: &T,
    ) -> Result<(), Failure> {
        if got == want {
            self.ran.insert(Verdict::Decoding);
            return Ok(());
        }
        Err(Failure {
            verdict: Verdict::Decoding,
            leaf: c.name,
            call: call_text(call),
            detail: format!("wrapper returned {got:?}; the model decodes the outputs as {want:?}"),
            table: vmcall_table(rec, c),
            module: tdx_model::ModuleVersion::NEWEST,
            differs: Vec::new(),
        })
    }

    fn vmcall_semantics(
        &mut self,
        c: &'static VmcallContract,
        call: &Call,
        rec: &Record,
        ok: bool,
        detail: impl FnOnce() -> String,
    ) -> Result<(), Failure> {
        if self.forced {
            return Ok(());
        }
        if ok {
            self.ran.insert(Verdict::Semantics);
            return Ok(());
        }
        Err(Failure {
            verdict: Verdict::Semantics,
            leaf: c.name,
            call: call_text(call),
            detail: detail(),
            table: vmcall_table(rec, c),
            module: tdx_model::ModuleVersion::NEWEST,
            differs: Vec::new(),
        })
    }

    /// A TDVMCALL the oracle does not make, and why (no check ran).
    fn vmcall_not_made(&self, c: &'static VmcallContract, why: &'static str) -> Outcome {
        Outcome {
            leaf: c.name,
            status: None,
            tdcalls: 0,
            not_run: Some(why),
            vmcall: true,
            checks: self.ran,
            branches: 0,
            policy: None,
        }
    }

    fn vmcall_outcome(&self, c: &'static VmcallContract, rec: &Record) -> Outcome {
        Outcome {
            leaf: c.name,
            // The module's refusal (RAX), else the first output, R10's: the GHCI status (the KVM
            // hypercall's result).
            status: match rec.output[Gpr::Rax] {
                0 => c.output_field(&rec.output, c.outputs[0].fields[0].name),
                refused => Some(refused),
            },
            tdcalls: self.session.tdcall_count(),
            not_run: None,
            vmcall: true,
            checks: self.ran,
            branches: 0,
            policy: self.policy,
        }
    }

    /// The honest VMM's answer to the call's input fields, on a copy of the simulated TD whose
    /// memory is a copy of the arena with `writes` applied: R10, or `u64::MAX` when the module
    /// itself refuses (RAX ≠ 0); `None` if a field does not fit the contract or the call does
    /// not complete.
    fn honest_answer(
        &mut self,
        c: &'static VmcallContract,
        fields: &[(&'static str, u64)],
        writes: &[(u64, &[u8])],
    ) -> Option<u64> {
        let mut regs = tdx_model::Regs::default();
        c.prepare(&mut regs);
        for (n, v) in fields {
            if !c.set_input_field(&mut regs, n, *v) {
                return None;
            }
        }
        let mut memory = self.arena_copy();
        for (gpa, data) in writes {
            tdx_model::GuestMemory::write(&mut memory, *gpa, data);
        }
        let scratch = self.scratch_copy();
        scratch.set_vmm(VmmMode::Honest);
        // Whether an input is invalid is the GHCI's to say, also where KVM answers otherwise.
        if let Some(vmm) = scratch.honest_vmm_mut() {
            vmm.set_ghci_rules(true);
        }
        match scratch.tdcall(&regs, &mut memory) {
            tdx_model::Completion::Completed(out) if out[Gpr::Rax] != 0 => Some(u64::MAX),
            tdx_model::Completion::Completed(out) => Some(out[Gpr::R10]),
            _ => None,
        }
    }

    /// Judges a refusal made before any TDCALL, by a typed constructor or the implementation:
    /// the error must name input fields of the call by their values, and the honest VMM, given
    /// the call with only those fields as the call has them and every other field valid
    /// (`valid`), must answer with an error. The same call with every field valid is the
    /// control: the model must accept it, so the comparison could have failed.
    #[allow(clippy::too_many_arguments)]
    fn judge_refusal(
        &mut self,
        c: &'static VmcallContract,
        call: &Call,
        fields: &[(&'static str, u64)],
        valid: &[(&'static str, u64)],
        writes: &[(u64, &[u8])],
        e: InputError,
        by_implementation: bool,
    ) -> Result<Outcome, Failure> {
        let fail = |detail: String| Failure {
            verdict: Verdict::Refusal,
            leaf: c.name,
            call: call_text(call),
            detail,
            table: String::new(),
            module: tdx_model::ModuleVersion::NEWEST,
            differs: Vec::new(),
        };
        let values = rejected_values(e);
        let named: Vec<&str> = fields
            .iter()
            .filter(|(_, v)| values.contains(v))
            .map(|(n, _)| *n)
            .collect();
        if named.is_empty() {
            return Err(fail(format!(
                "the refusal ({e}) names none of the call's input fields {fields:x?}"
            )));
        }
        let control = self.honest_answer(c, valid, writes);
        if control != Some(0) {
            return Err(fail(format!(
                "oracle error: the model refuses the valid control inputs {valid:x?} \
                 ({control:x?})"
            )));
        }
        let alone: Vec<(&'static str, u64)> = valid
            .iter()
            .map(|&(n, v)| match fields.iter().find(|(m, _)| *m == n) {
                Some(&(_, x)) if named.contains(&n) => (n, x),
                _ => (n, v),
            })
            .collect();
        let answer = self.honest_answer(c, &alone, writes);
        // An operand error: INVALID_OPERAND or ALIGN_ERROR (a value invalid for several
        // reasons may be refused for either, depending on the order of the checks), not a
        // retry, an unsupported call or the module's own refusal.
        let allowed: &[u64] = &[ghci::INVALID_OPERAND, ghci::ALIGN_ERROR];
        if answer.is_none_or(|s| !allowed.contains(&s)) {
            return Err(fail(format!(
                "refused {named:?} ({e}); the model, given {alone:x?}, answers {answer:x?}, \
                 not one of {allowed:x?}"
            )));
        }
        if by_implementation {
            self.ran.insert(Verdict::Refusal);
        }
        Ok(Outcome {
            leaf: c.name,
            status: None,
            tdcalls: 0,
            not_run: Some(if by_implementation {
                super::REFUSED
            } else {
                super::REFUSED_BY_TYPES
            }),
            vmcall: true,
            checks: self.ran,
            branches: 0,
            policy: None,
        })
    }

    /// A refusal by `tdcall`'s typed input constructors, before the implementation is called:
    /// judged as any refusal, counted as the implementation's only if those types are its own
    /// (`Wrappers::TYPED_INPUTS`).
    fn typed_refusal(
        &mut self,
        c: &'static VmcallContract,
        call: &Call,
        fields: &[(&'static str, u64)],
        valid: &[(&'static str, u64)],
        writes: &[(u64, &[u8])],
        e: InputError,
    ) -> Result<Outcome, Failure> {
        self.judge_refusal(c, call, fields, valid, writes, e, W::TYPED_INPUTS)
    }

    /// After the implementation ran: `Some` when it made no TDCALL (its refusal judged), `None`
    /// when it made the call, which is then checked as any other. An input failing a check the
    /// implementation declares must have been refused.
    #[allow(clippy::too_many_arguments)]
    fn refusal_or_call<T: core::fmt::Debug>(
        &mut self,
        c: &'static VmcallContract,
        call: &Call,
        fields: &[(&'static str, u64)],
        valid: &[(&'static str, u64)],
        writes: &[(u64, &[u8])],
        got: &Result<T, VmcallError>,
        violated: Option<InputCheck>,
    ) -> Result<Option<Outcome>, Failure> {
        if self.session.tdcall_count() == 0 {
            return match got {
                Err(VmcallError::Input(e)) => self
                    .judge_refusal(c, call, fields, valid, writes, *e, true)
                    .map(Some),
                // A refusal that gives the status the VMM would: right only if the model,
                // given the same registers, answers exactly that status.
                Err(VmcallError::Vmm(VmcallStatus(st))) => {
                    let answer = self.honest_answer(c, fields, writes);
                    if answer != Some(*st) || st >> 63 == 0 {
                        return Err(Failure {
                            verdict: Verdict::Refusal,
                            leaf: c.name,
                            call: call_text(call),
                            detail: format!(
                                "refused with {:?} before any TDCALL; the model, given \
                                 {fields:x?}, answers {answer:x?}",
                                VmcallStatus(*st)
                            ),
                            table: String::new(),
                            module: tdx_model::ModuleVersion::NEWEST,
                            differs: Vec::new(),
                        });
                    }
                    self.ran.insert(Verdict::Refusal);
                    Ok(Some(Outcome {
                        leaf: c.name,
                        status: None,
                        tdcalls: 0,
                        not_run: Some(super::REFUSED),
                        vmcall: true,
                        checks: self.ran,
                        branches: 0,
                        policy: None,
                    }))
                }
                other => Err(Failure {
                    verdict: Verdict::Encoding,
                    leaf: c.name,
                    call: call_text(call),
                    detail: format!("no TDCALL was made and no input refused: returned {other:?}"),
                    table: String::new(),
                    module: tdx_model::ModuleVersion::NEWEST,
                    differs: Vec::new(),
                }),
            };
        }
        if let Some(check) = violated.filter(|k| self.wrappers.declares(*k)) {
            return Err(Failure {
                verdict: Verdict::Refusal,
                leaf: c.name,
                call: call_text(call),
                detail: format!(
                    "the implementation declares the input check {check:?} but passed \
                     {fields:x?} to the VMM"
                ),
                table: String::new(),
                module: tdx_model::ModuleVersion::NEWEST,
                differs: Vec::new(),
            });
        }
        // Not declared, or nothing violated: the VMM's answer is checked as any other.
        Ok(None)
    }

    /// A page of the arena for a GHCI buffer: slots below 2^15 are page aligned, the others
    /// 64-byte aligned inside the page (so that alignment checks are reached as often as not).
    fn shared_slot(&mut self, m: MemRef) -> u64 {
        let shared = self.shared_bit();
        let base = self.session.arena_gpa();
        let at = |s: u16| {
            let page = base + (s as u64 % 4) * 4096;
            if s < 1 << 15 {
                page
            } else {
                page + (s as u64 / 4 % 63 + 1) * 64
            }
        };
        match m {
            MemRef::Slot(s) => at(s),
            MemRef::SharedSlot(s) => at(s) | shared,
            MemRef::Raw(x) => x,
        }
    }

    /// Runs one TDG.VP.VMCALL call and checks it.
    pub(super) fn run_vmcall(&mut self, call: &Call, seed: u64) -> Result<Outcome, Failure> {
        match *call {
            Call::SetVmm { hostile, seed } => {
                let mode = if hostile {
                    VmmMode::Hostile { seed }
                } else {
                    VmmMode::Honest
                };
                self.model().set_vmm(mode);
                Ok(Outcome {
                    leaf: "VMM choice",
                    status: None,
                    tdcalls: 0,
                    not_run: Some(if hostile { "hostile" } else { "honest" }),
                    vmcall: false,
                    checks: self.ran,
                    branches: 0,
                    policy: None,
                })
            }
            Call::VmcallInfo { leaf } => {
                let c = contract_of(0, sfn::GET_TD_VM_CALL_INFO);
                let leaf = u64::from(leaf);
                let fields = move || [("leaf", leaf)];
                let inputs = fields();
                black_box(&inputs);
                let (got, lost) = under_canaries(seed, || self.wrappers.vmcall_info(leaf));
                let rec = self.vmcall_record(c, call, &inputs, &fields(), seed, Some(lost))?;
                let want = status_of(c, &rec)
                    .map(|_| ["r11", "r12", "r13", "r14"].map(|n| output(c, &rec, n)));
                self.vmcall_decoding(c, call, &rec, &got, &want)?;
                if self.honest() {
                    // The honest VMM's documented answer (GHCI leaf 0 and 1), not the outputs.
                    let expect = match leaf {
                        0 => Ok([0; 4]),
                        1 => Ok([tdx_model::vmm::TDVMCALL_INFO_LEAF1_R11, 0, 0, 0]),
                        _ => Err(VmcallError::Vmm(VmcallStatus::INVALID_OPERAND)),
                    };
                    self.vmcall_semantics(c, call, &rec, got == expect, || {
                        format!("leaf {leaf}: got {got:x?}; the honest VMM answers {expect:x?}")
                    })?;
                }
                Ok(self.vmcall_outcome(c, &rec))
            }
            Call::VmcallMapGpa {
                page,
                pages,
                shared,
            } => {
                let c = contract_of(0, sfn::MAP_GPA);
                let (gpa, len) = self.map_range(page, pages, shared);
                let fields = move || [("gpa", gpa), ("size", len)];
                let sb = if shared { self.shared_bit() } else { 0 };
                let base = self.model().config().accept_region_base;
                let valid = [("gpa", base | sb), ("size", 4096)];
                let inputs = fields();
                black_box(&inputs);
                let (got, lost) = under_canaries(seed, || self.wrappers.map_gpa(gpa, len));
                let bad_range =
                    len == 0 || (gpa | len) & 0xfff != 0 || gpa.checked_add(len).is_none();
                let violated = bad_range.then_some(InputCheck::MapGpaRange);
                if let Some(out) =
                    self.refusal_or_call(c, call, &inputs, &valid, &[], &got, violated)?
                {
                    return Ok(out);
                }
                let rec = self.vmcall_record(c, call, &inputs, &fields(), seed, Some(lost))?;
                let end = gpa.wrapping_add(len);
                let want = match status_of(c, &rec) {
                    Ok(()) => Ok(MapGpaProgress::Done),
                    Err(VmcallError::Vmm(VmcallStatus::RETRY)) => {
                        let resume = output(c, &rec, "resume_gpa");
                        if (gpa..end).contains(&resume) && resume & 0xfff == 0 {
                            Ok(MapGpaProgress::Retry { resume })
                        } else {
                            Err(VmcallError::Untrusted {
                                what: "MapGPA resume address",
                                value: resume,
                            })
                        }
                    }
                    Err(e) => Err(e),
                };
                self.vmcall_decoding(c, call, &rec, &got, &want)
                    .map_err(|f| match (&got, &want) {
                        // A resume address the model calls untrusted, returned: which of its
                        // two rules (inside the request, page-aligned) it broke.
                        (
                            Ok(MapGpaProgress::Retry { resume }),
                            Err(VmcallError::Untrusted { value, .. }),
                        ) if resume == value => {
                            let resume = *resume;
                            let mut d = Vec::new();
                            if !(gpa..end).contains(&resume) {
                                d.push(Difference {
                                    field: quantity::RESUME_OUTSIDE_REQUEST,
                                    got: Some(resume),
                                    want: None,
                                });
                            }
                            if resume & 0xfff != 0 {
                                d.push(Difference {
                                    field: quantity::RESUME_UNALIGNED,
                                    got: Some(resume),
                                    want: None,
                                });
                            }
                            f.differing(d)
                        }
                        _ => f,
                    })?;
                if self.honest() {
                    let upto = match got {
                        Ok(MapGpaProgress::Done) => end,
                        Ok(MapGpaProgress::Retry { resume }) => resume,
                        Err(_) => gpa,
                    };
                    let bad = self.first_unconverted(gpa, upto, shared);
                    self.vmcall_semantics(c, call, &rec, bad.is_none(), || {
                        format!("MapGPA returned {got:?} but page {bad:#x?} is not converted")
                    })?;
                }
                Ok(self.vmcall_outcome(c, &rec))
            }
            Call::VmcallConvert {
                page,
                pages,
                shared,
                stalls,
            } => {
                let (gpa, len) = self.map_range(page, pages, shared);
                let width = self.gpa_width();
                let in_region = matches!(page, PageRef::Region(_));
                // Host choice: an honest VMM stalls the first `stalls` MapGPAs.
                if let Some(v) = self.model().honest_vmm_mut() {
                    v.stall_map_gpa(u32::from(stalls));
                }
                let (got, lost) = under_canaries(seed, || {
                    self.wrappers
                        .convert_range(gpa, len, shared, width, CONVERT_MAX_STALLS)
                });
                let stalled = match self.model().honest_vmm_mut() {
                    Some(v) => {
                        let left = v.map_gpa_stalls();
                        v.stall_map_gpa(0);
                        u32::from(stalls) - left
                    }
                    None => 0,
                };
                let calls = self.session.completed_count();
                let fail = |verdict, detail: String| Failure {
                    verdict,
                    leaf: CONVERT,
                    call: call_text(call),
                    detail,
                    table: String::new(),
                    module: tdx_model::ModuleVersion::NEWEST,
                    differs: Vec::new(),
                };
                let c = contract_of(0, sfn::MAP_GPA);
                let mut branches = 0u16;
                let log = self.log().to_vec();
                for (i, rec) in log.iter().enumerate() {
                    // What the VMM answered, and whether the next call resumed where it said.
                    let st = rec.output[Gpr::R10];
                    let (g0, r11) = (c.input_field(&rec.input, "gpa"), rec.output[Gpr::R11]);
                    if rec.output[Gpr::Rax] == 0 && st == VmcallStatus::RETRY.0 {
                        let next = log.get(i + 1).and_then(|n| c.input_field(&n.input, "gpa"));
                        if Some(r11) != g0 && next == Some(r11) {
                            branches |= crate::reach::branch(CONVERT, "RETRY with progress");
                        }
                        // The VMM's resume address outside what the call asked for (the
                        // helper must refuse it).
                        let size = c.input_field(&rec.input, "size").unwrap_or(0);
                        let g = g0.unwrap_or(0);
                        if !(g..g.wrapping_add(size)).contains(&r11) || r11 & 0xfff != 0 {
                            branches |= crate::reach::branch(
                                CONVERT,
                                "RETRY with a resume address outside the request",
                            );
                        }
                    }
                }
                branches |= match stalled {
                    0 => 0,
                    s if s > CONVERT_MAX_STALLS => crate::reach::branch(
                        CONVERT,
                        "RETRY without progress, beyond the stall bound",
                    ),
                    _ => crate::reach::branch(
                        CONVERT,
                        "RETRY without progress, within the stall bound",
                    ),
                };
                for rec in log {
                    let rcx = rec.input[Gpr::Rcx];
                    let field = |n| c.input_field(&rec.input, n).expect("MapGPA input");
                    let (g, l) = (field("gpa"), field("size"));
                    // A wider, zero-filled mask is policy for implementations that choose it.
                    let extra = RegSet(rcx as u16).minus(c.exposed);
                    let wider = !W::EXACT_MASK
                        && rcx >> 16 == 0
                        && RegSet(rcx as u16).union(c.exposed) == RegSet(rcx as u16)
                        && extra.iter().all(|r| rec.input[r] == 0);
                    if wider {
                        self.policy = Some(WIDER_MASK);
                    }
                    let mut differs = Vec::new();
                    if rcx != c.rcx() && !wider {
                        differs.push(Difference::of("RCX", rcx, c.rcx()));
                    }
                    if g < gpa {
                        differs.push(Difference::of(quantity::OUTSIDE_RANGE, g, gpa));
                    }
                    if g.wrapping_add(l) != gpa.wrapping_add(len) {
                        differs.push(Difference::of(
                            quantity::RANGE_END,
                            g.wrapping_add(l),
                            gpa.wrapping_add(len),
                        ));
                    }
                    let mut prepared = rec.input;
                    c.prepare(&mut prepared);
                    prepared[Gpr::Rcx] = rec.input[Gpr::Rcx];
                    for r in prepared.diff(&rec.input).iter() {
                        differs.push(Difference::of(r.name(), rec.input[r], prepared[r]));
                    }
                    if !differs.is_empty() {
                        return Err(Failure {
                            table: vmcall_table(&rec, c),
                            ..fail(
                                Verdict::Encoding,
                                format!(
                                    "a MapGPA outside [{gpa:#x}, {:#x}) or malformed",
                                    gpa.wrapping_add(len)
                                ),
                            )
                        }
                        .differing(differs));
                    }
                }
                self.ran.insert(Verdict::Encoding);
                if lost != 0 {
                    return Err(fail(
                        Verdict::Clobbers,
                        format!(
                            "values live across the call overwritten ({})",
                            describe_lost(lost)
                        ),
                    ));
                }
                self.ran.insert(Verdict::Clobbers);
                if self.forced {
                    // The module refused the first MapGPA (forced): the helper must return
                    // that refusal whole after that one call. A forced 0 is no refusal: the
                    // call went to the VMM, whose answers decide; a hostile one may make the
                    // helper fail, which this probe does not judge.
                    let first = self.log().first().copied();
                    let st = first.map_or(0, |r| r.output[Gpr::Rax]);
                    if st == 0 && got.is_err() {
                        return Ok(self.convert_outcome(branches));
                    }
                    let ok = match &got {
                        Err(VmcallError::Module(m)) => st != 0 && m.raw() == st && calls == 1,
                        Ok(()) => st == 0,
                        Err(_) => false,
                    };
                    if !ok {
                        return Err(Failure {
                            table: first.map_or(String::new(), |r| vmcall_table(&r, c)),
                            ..fail(
                                Verdict::Decoding,
                                format!(
                                    "convert_range returned {got:?} after {calls} calls when the \
                                     module answered its first MapGPA with {st:#x}"
                                ),
                            )
                        });
                    }
                    self.ran.insert(Verdict::Decoding);
                    return Ok(self.convert_outcome(branches));
                }
                let last = gpa.checked_add(len - 1).map(|e| e & !self.shared_bit());
                if gpa & 0xfff != 0 || last.is_none_or(|e| e >> width != 0) {
                    // The helper refuses a range it cannot express, before any TDCALL.
                    if calls != 0 || !matches!(got, Err(VmcallError::Input(_))) {
                        return Err(fail(
                            Verdict::Refusal,
                            format!("convert_range over an invalid range returned {got:?} after {calls} calls"),
                        )
                        .differing(vec![if calls != 0 {
                            Difference::of(quantity::CALLS_ON_INVALID_RANGE, calls as u64, 0)
                        } else {
                            Difference {
                                field: quantity::INVALID_RANGE_NOT_REFUSED,
                                got: None,
                                want: None,
                            }
                        }]));
                    }
                    // The helper is tdcall's: its refusal is this implementation's only if
                    // tdcall's typed inputs are.
                    if W::TYPED_INPUTS {
                        self.ran.insert(Verdict::Refusal);
                    }
                } else if self.honest() && in_region && stalled > CONVERT_MAX_STALLS {
                    // The VMM stalled more often than the helper's bound: it must give up
                    // after exactly bound + 1 calls (all of them stalled: nothing converted).
                    let exhausted = matches!(got, Err(VmcallError::RetriesExhausted { .. }));
                    if !exhausted || calls != CONVERT_MAX_STALLS as usize + 1 {
                        return Err(fail(
                            Verdict::Semantics,
                            format!(
                                "convert_range returned {got:?} after {calls} MapGPA calls; the \
                                 VMM stalled {stalled} times (bound {CONVERT_MAX_STALLS}): \
                                 expected RetriesExhausted after {} calls",
                                CONVERT_MAX_STALLS + 1
                            ),
                        )
                        .differing(vec![Difference {
                            field: quantity::CALLS_BEFORE_GIVING_UP,
                            got: exhausted.then_some(calls as u64),
                            want: Some(u64::from(CONVERT_MAX_STALLS) + 1),
                        }]));
                    }
                    self.ran.insert(Verdict::Semantics);
                } else if self.honest() && in_region {
                    let bad = self.first_unconverted(gpa, gpa + len, shared);
                    // Whether the helper stopped right after the VMM's RETRY without progress
                    // (giving up on a stall), rather than on another answer.
                    let stopped_on_stall = stalled > 0
                        && self.log().last().is_some_and(|r| {
                            r.output[Gpr::Rax] == 0
                                && r.output[Gpr::R10] == VmcallStatus::RETRY.0
                                && Some(r.output[Gpr::R11]) == c.input_field(&r.input, "gpa")
                        });
                    if got.is_err() || bad.is_some() {
                        return Err(fail(
                            Verdict::Semantics,
                            format!("convert_range returned {got:?} against the honest VMM (stalled {stalled} times, bound {CONVERT_MAX_STALLS}); first unconverted page {bad:#x?}"),
                        )
                        .differing(match bad {
                            Some(page) if got.is_ok() => vec![Difference {
                                field: quantity::UNCONVERTED_PAGE,
                                got: Some(page),
                                want: None,
                            }],
                            _ if stopped_on_stall => vec![Difference {
                                field: quantity::GAVE_UP_AFTER_STALLS,
                                got: Some(u64::from(stalled)),
                                want: None,
                            }],
                            _ => vec![Difference {
                                field: quantity::ERROR_AGAINST_THE_HONEST_VMM,
                                got: None,
                                want: None,
                            }],
                        }));
                    }
                    self.ran.insert(Verdict::Semantics);
                } else if calls > (len / 4096) as usize * 4 + 16 {
                    return Err(fail(
                        Verdict::Semantics,
                        format!(
                            "{calls} MapGPA calls for {} pages: retries are not bounded",
                            len / 4096
                        ),
                    )
                    .differing(vec![Difference::of(
                        quantity::UNBOUNDED_CALLS,
                        calls as u64,
                        (len / 4096) * 4 + 16,
                    )]));
                } else {
                    self.ran.insert(Verdict::Semantics);
                }
                Ok(self.convert_outcome(branches))
            }
            Call::VmcallGetQuote { buffer, len } => {
                let c = contract_of(0, sfn::GET_QUOTE);
                let gpa = self.shared_slot(buffer);
                let len = u64::from(len);
                // A well-formed request header where the buffer is the arena's.
                let mut header = [0u8; 24];
                header[..8].copy_from_slice(&1u64.to_le_bytes());
                header[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
                header[16..20].copy_from_slice(&1024u32.to_le_bytes());
                self.write_arena(gpa, &header);
                let width = self.gpa_width();
                let fields = move || [("buffer_gpa", gpa), ("length", len)];
                let valid_gpa = self.shared_slot(MemRef::SharedSlot(0));
                let valid = [("buffer_gpa", valid_gpa), ("length", 4096)];
                let writes: [(u64, &[u8]); 1] = [(valid_gpa, &header)];
                let buf = match SharedGpa::new(gpa, width) {
                    Ok(b) => b,
                    Err(e) => return self.typed_refusal(c, call, &fields(), &valid, &writes, e),
                };
                if self
                    .wrappers
                    .takes_memory_by_reference(Kind::VmcallGetQuote)
                    && !self.in_arena(gpa, len, true)
                {
                    return Ok(self.vmcall_not_made(c, super::BY_REFERENCE));
                }
                let inputs = fields();
                black_box(&inputs);
                let (got, lost) = under_canaries(seed, || self.wrappers.get_quote(buf, len));
                let violated = (gpa & 0xfff != 0).then_some(InputCheck::QuoteAlignment);
                if let Some(out) =
                    self.refusal_or_call(c, call, &inputs, &valid, &writes, &got, violated)?
                {
                    return Ok(out);
                }
                let rec = self.vmcall_record(c, call, &inputs, &fields(), seed, Some(lost))?;
                self.vmcall_decoding(c, call, &rec, &got, &status_of(c, &rec))?;
                if self.honest() && got.is_ok() {
                    let st: [u8; 24] = self.arena_bytes(gpa);
                    let done = u64::from_le_bytes(st[8..16].try_into().expect("8 bytes")) == 0;
                    self.vmcall_semantics(c, call, &rec, done, || {
                        "GetQuote succeeded but the buffer header's status is not success".into()
                    })?;
                }
                Ok(self.vmcall_outcome(c, &rec))
            }
            Call::VmcallNotify { vector } => {
                let c = contract_of(0, sfn::SETUP_EVENT_NOTIFY_INTERRUPT);
                let fields = move || [("vector", u64::from(vector))];
                let valid = [("vector", 32)];
                let inputs = fields();
                black_box(&inputs);
                let (got, lost) = under_canaries(seed, || self.wrappers.setup_event_notify(vector));
                let violated = (vector < 32).then_some(InputCheck::NotifyVector);
                if let Some(out) =
                    self.refusal_or_call(c, call, &inputs, &valid, &[], &got, violated)?
                {
                    return Ok(out);
                }
                let rec = self.vmcall_record(c, call, &inputs, &fields(), seed, Some(lost))?;
                self.vmcall_decoding(c, call, &rec, &got, &status_of(c, &rec))?;
                if self.honest() && got.is_ok() {
                    let now = self.model().notify_vector();
                    self.vmcall_semantics(c, call, &rec, now == Some(vector), || {
                        format!("notify vector is {now:?} after setting {vector}")
                    })?;
                }
                Ok(self.vmcall_outcome(c, &rec))
            }
            Call::VmcallService {
                command,
                response,
                vector,
                timeout,
            } => {
                let c = contract_of(0, sfn::SERVICE);
                let (cmd, resp) = (self.shared_slot(command), self.shared_slot(response));
                let width = self.gpa_width();
                let fields = move || {
                    [
                        ("command_gpa", cmd),
                        ("response_gpa", resp),
                        ("vector", vector.into()),
                        ("timeout", timeout),
                    ]
                };
                let valid = [
                    ("command_gpa", self.shared_slot(MemRef::SharedSlot(0))),
                    ("response_gpa", self.shared_slot(MemRef::SharedSlot(1))),
                    ("vector", 0),
                    ("timeout", timeout),
                ];
                let typed =
                    SharedGpa::new(cmd, width).and_then(|a| Ok((a, SharedGpa::new(resp, width)?)));
                let (a, b) = match typed {
                    Ok(t) => t,
                    Err(e) => return self.typed_refusal(c, call, &fields(), &valid, &[], e),
                };
                let v = (vector != 0).then_some(vector);
                let inputs = fields();
                black_box(&inputs);
                let (got, lost) = under_canaries(seed, || self.wrappers.service(a, b, v, timeout));
                let violated = if (cmd | resp) & 0xfff != 0 {
                    Some(InputCheck::ServiceAlignment)
                } else {
                    (1..32)
                        .contains(&vector)
                        .then_some(InputCheck::ServiceVector)
                };
                if let Some(out) =
                    self.refusal_or_call(c, call, &inputs, &valid, &[], &got, violated)?
                {
                    return Ok(out);
                }
                let rec = self.vmcall_record(c, call, &inputs, &fields(), seed, Some(lost))?;
                self.vmcall_decoding(c, call, &rec, &got, &status_of(c, &rec))?;
                Ok(self.vmcall_outcome(c, &rec))
            }
            Call::VmcallCpuid { leaf, subleaf } => {
                let c = contract_of(0, sfn::INSTRUCTION_CPUID);
                let fields = move || [("leaf", u64::from(leaf)), ("subleaf", u64::from(subleaf))];
                let inputs = fields();
                black_box(&inputs);
                let (got, lost) = under_canaries(seed, || self.wrappers.cpuid(leaf, subleaf));
                let rec = self.vmcall_record(c, call, &inputs, &fields(), seed, Some(lost))?;
                // Each output is a 32-bit register value: the VMM's upper halves are dropped.
                let want = status_of(c, &rec).map(|_| CpuidResult {
                    eax: output(c, &rec, "eax") as u32,
                    ebx: output(c, &rec, "ebx") as u32,
                    ecx: output(c, &rec, "ecx") as u32,
                    edx: output(c, &rec, "edx") as u32,
                });
                self.vmcall_decoding(c, call, &rec, &got, &want)?;
                if self.honest() {
                    // The honest VMM's CPUID table (unknown leaves read as zeros).
                    let [eax, ebx, ecx, edx] = tdx_model::vmm::CPUID_TABLE
                        .iter()
                        .find(|(l, _)| *l == leaf)
                        .map_or([0; 4], |(_, v)| *v);
                    let expect = CpuidResult { eax, ebx, ecx, edx };
                    self.vmcall_semantics(c, call, &rec, got == Ok(expect), || {
                        format!(
                            "CPUID {leaf:#x}: got {got:x?}; the honest VMM's table has {expect:x?}"
                        )
                    })?;
                }
                Ok(self.vmcall_outcome(c, &rec))
            }
            Call::VmcallHlt { blocked } => {
                let c = contract_of(0, sfn::INSTRUCTION_HLT);
                let fields = move || [("interrupts_blocked", u64::from(blocked))];
                let inputs = fields();
                black_box(&inputs);
                let (got, lost) = under_canaries(seed, || self.wrappers.hlt(blocked));
                let rec = self.vmcall_record(c, call, &inputs, &fields(), seed, Some(lost))?;
                self.vmcall_decoding(c, call, &rec, &got, &status_of(c, &rec))?;
                Ok(self.vmcall_outcome(c, &rec))
            }
            Call::VmcallIo {
                size,
                port,
                write,
                value,
            } => {
                let c = contract_of(0, sfn::INSTRUCTION_IO);
                let mask = mask_of(size);
                let written = if write { u64::from(value) & mask } else { 0 };
                let fields = move || {
                    [
                        ("size", size.into()),
                        ("direction", write.into()),
                        ("port", port.into()),
                        ("data", written),
                    ]
                };
                let valid = [
                    ("size", 4),
                    ("direction", write.into()),
                    ("port", port.into()),
                    ("data", if write { value.into() } else { 0 }),
                ];
                let sz = match AccessSize::from_bytes(size.into()) {
                    Ok(s) => s,
                    Err(e) => return self.typed_refusal(c, call, &fields(), &valid, &[], e),
                };
                let violated = (size == 8).then_some(InputCheck::IoSize);
                let inputs = fields();
                black_box(&inputs);
                if write {
                    let (got, lost) =
                        under_canaries(seed, || self.wrappers.io_write(sz, port, value));
                    if let Some(out) =
                        self.refusal_or_call(c, call, &inputs, &valid, &[], &got, violated)?
                    {
                        return Ok(out);
                    }
                    let rec = self.vmcall_record(c, call, &inputs, &fields(), seed, Some(lost))?;
                    self.vmcall_decoding(c, call, &rec, &got, &status_of(c, &rec))?;
                    Ok(self.vmcall_outcome(c, &rec))
                } else {
                    let (got, lost) = under_canaries(seed, || self.wrappers.io_read(sz, port));
                    if let Some(out) =
                        self.refusal_or_call(c, call, &inputs, &valid, &[], &got, violated)?
                    {
                        return Ok(out);
                    }
                    let rec = self.vmcall_record(c, call, &inputs, &fields(), seed, Some(lost))?;
                    // An IO read of `size` bytes keeps `size` bytes of what the VMM returned.
                    let want = status_of(c, &rec).map(|_| (output(c, &rec, "data") & mask) as u32);
                    self.vmcall_decoding(c, call, &rec, &got, &want)?;
                    if self.honest() && status_of(c, &rec).is_ok() {
                        let expect = tdx_model::vmm::io_read_value(port) & mask;
                        self.vmcall_semantics(c, call, &rec, got == Ok(expect as u32), || {
                            format!(
                                "read {got:x?}; the honest VMM's port {port:#x} reads {expect:#x}"
                            )
                        })?;
                    }
                    Ok(self.vmcall_outcome(c, &rec))
                }
            }
            Call::VmcallRdmsr { msr } => {
                let c = contract_of(0, sfn::INSTRUCTION_RDMSR);
                let fields = move || [("msr", u64::from(msr))];
                let inputs = fields();
                black_box(&inputs);
                // The MSR as the simulated VMM would return it now (the TSC advances with every
                // read); an MSR it does not emulate fails.
                let expect = self
                    .model()
                    .msr(msr)
                    .ok_or(VmcallError::Vmm(VmcallStatus::INVALID_OPERAND));
                let (got, lost) = under_canaries(seed, || self.wrappers.rdmsr(msr));
                let rec = self.vmcall_record(c, call, &inputs, &fields(), seed, Some(lost))?;
                let want = status_of(c, &rec).map(|_| output(c, &rec, "value"));
                self.vmcall_decoding(c, call, &rec, &got, &want)?;
                if self.honest() {
                    self.vmcall_semantics(c, call, &rec, got == expect, || {
                        format!("RDMSR {msr:#x}: got {got:x?}; the honest VMM holds {expect:x?}")
                    })?;
                }
                Ok(self.vmcall_outcome(c, &rec))
            }
            Call::VmcallWrmsr { msr, value } => {
                let c = contract_of(0, sfn::INSTRUCTION_WRMSR);
                let fields = move || [("msr", u64::from(msr)), ("value", value)];
                let inputs = fields();
                black_box(&inputs);
                let (got, lost) = under_canaries(seed, || self.wrappers.wrmsr(msr, value));
                let rec = self.vmcall_record(c, call, &inputs, &fields(), seed, Some(lost))?;
                self.vmcall_decoding(c, call, &rec, &got, &status_of(c, &rec))?;
                if self.honest() && got.is_ok() {
                    let now = self.model().msr(msr);
                    self.vmcall_semantics(c, call, &rec, now == Some(value), || {
                        format!("MSR {msr:#x} is {now:x?} after writing {value:#x}")
                    })?;
                }
                Ok(self.vmcall_outcome(c, &rec))
            }
            Call::VmcallMmio {
                size,
                gpa,
                write,
                value,
            } => {
                let c = contract_of(0, sfn::VE_REQUEST_MMIO);
                let addr = self.mem_gpa(gpa, 8);
                let width = self.gpa_width();
                let mask = mask_of(size.min(8));
                let fields = move || {
                    [
                        ("size", size.into()),
                        ("direction", write.into()),
                        ("gpa", addr),
                        ("data", if write { value & mask } else { 0 }),
                    ]
                };
                let valid = [
                    ("size", 8),
                    ("direction", write.into()),
                    ("gpa", self.shared_slot(MemRef::SharedSlot(0))),
                    ("data", if write { value } else { 0 }),
                ];
                let sz = match AccessSize::from_bytes(size.into()) {
                    Ok(s) => s,
                    Err(e) => return self.typed_refusal(c, call, &fields(), &valid, &[], e),
                };
                let g = match SharedGpa::new(addr, width) {
                    Ok(g) => g,
                    Err(e) => return self.typed_refusal(c, call, &fields(), &valid, &[], e),
                };
                let inputs = fields();
                black_box(&inputs);
                if write {
                    let (got, lost) =
                        under_canaries(seed, || self.wrappers.mmio_write(sz, g, value));
                    if let Some(out) =
                        self.refusal_or_call(c, call, &inputs, &valid, &[], &got, None)?
                    {
                        return Ok(out);
                    }
                    let rec = self.vmcall_record(c, call, &inputs, &fields(), seed, Some(lost))?;
                    self.vmcall_decoding(c, call, &rec, &got, &status_of(c, &rec))?;
                    Ok(self.vmcall_outcome(c, &rec))
                } else {
                    let (got, lost) = under_canaries(seed, || self.wrappers.mmio_read(sz, g));
                    if let Some(out) =
                        self.refusal_or_call(c, call, &inputs, &valid, &[], &got, None)?
                    {
                        return Ok(out);
                    }
                    let rec = self.vmcall_record(c, call, &inputs, &fields(), seed, Some(lost))?;
                    let want = status_of(c, &rec).map(|_| output(c, &rec, "data") & mask);
                    self.vmcall_decoding(c, call, &rec, &got, &want)?;
                    if self.honest() && status_of(c, &rec).is_ok() {
                        let sb = self.shared_bit();
                        let expect = tdx_model::vmm::mmio_read_value(addr & !sb) & mask;
                        self.vmcall_semantics(c, call, &rec, got == Ok(expect), || {
                            format!("MMIO read at {addr:#x}: got {got:x?}; the honest VMM reads {expect:#x}")
                        })?;
                    }
                    Ok(self.vmcall_outcome(c, &rec))
                }
            }
            Call::VmcallWbinvd { no_invalidate } => {
                let c = contract_of(0, sfn::INSTRUCTION_WBINVD);
                let fields = move || [("kind", u64::from(no_invalidate))];
                let inputs = fields();
                black_box(&inputs);
                let (got, lost) = under_canaries(seed, || self.wrappers.wbinvd(no_invalidate));
                let rec = self.vmcall_record(c, call, &inputs, &fields(), seed, Some(lost))?;
                self.vmcall_decoding(c, call, &rec, &got, &status_of(c, &rec))?;
                Ok(self.vmcall_outcome(c, &rec))
            }
            Call::VmcallKvm { nr, args } => {
                let c = contract_of(nr.max(1), 0);
                if nr == 0 {
                    // R10 = 0 would be a GHCI-standard call: the wrapper refuses, no TDCALL.
                    let (got, _) = under_canaries(seed, || self.wrappers.kvm_hypercall(0, args));
                    let made = self.session.tdcall_count();
                    let ok =
                        made == 0 && got == Err(VmcallError::Input(InputError::VendorCallZero));
                    if !ok {
                        return Err(Failure {
                            verdict: Verdict::Refusal,
                            leaf: c.name,
                            call: call_text(call),
                            detail: format!(
                                "R10 = 0: wrapper returned {got:?} after {made} TDCALLs"
                            ),
                            table: String::new(),
                            module: tdx_model::ModuleVersion::NEWEST,
                            differs: Vec::new(),
                        });
                    }
                    self.ran.insert(Verdict::Refusal);
                    return Ok(Outcome {
                        leaf: c.name,
                        status: None,
                        tdcalls: 0,
                        not_run: Some("rejected before TDCALL"),
                        vmcall: true,
                        checks: self.ran,
                        branches: 0,
                        policy: None,
                    });
                }
                let fields = move || {
                    [
                        ("nr", nr),
                        ("p1", args[0]),
                        ("p2", args[1]),
                        ("p3", args[2]),
                        ("p4", args[3]),
                    ]
                };
                let inputs = fields();
                black_box(&inputs);
                let (got, lost) = under_canaries(seed, || self.wrappers.kvm_hypercall(nr, args));
                let rec = self.vmcall_record(c, call, &inputs, &fields(), seed, Some(lost))?;
                let rax = rec.output[Gpr::Rax];
                let want = if rax != 0 {
                    Err(VmcallError::Module(TdxStatus::from_raw(rax)))
                } else {
                    Ok(output(c, &rec, "result"))
                };
                self.vmcall_decoding(c, call, &rec, &got, &want)?;
                Ok(self.vmcall_outcome(c, &rec))
            }
            Call::VmcallFatal {
                code,
                data,
                message,
                len,
                resumes,
            } => self.run_fatal(call, seed, code, data, message, len, resumes),
            _ => unreachable!("run_vmcall is only given TDG.VP.VMCALL calls"),
        }
    }

    /// GPA range of a MapGPA call: pages of the accept region, with the shared bit as asked.
    fn map_range(&mut self, page: PageRef, pages: u16, shared: bool) -> (u64, u64) {
        let cfg = self.model().config().clone();
        let start = self.region_gpa(page);
        let region_end = cfg.accept_region_base + cfg.accept_region_size;
        let n = (1 + u64::from(pages) % 1024)
            .min(region_end.saturating_sub(start) / 4096)
            .max(1);
        let sb = if shared { self.shared_bit() } else { 0 };
        ((start & !self.shared_bit()) | sb, n * 4096)
    }

    /// The first page of `[gpa, end)` in the accept region that the honest VMM does not record
    /// as converted the way asked.
    /// The outcome of a `convert_range` call whose checks passed.
    fn convert_outcome(&self, branches: u16) -> Outcome {
        Outcome {
            leaf: CONVERT,
            status: self.session.last_record().map(|r| r.output[Gpr::R10]),
            tdcalls: self.session.tdcall_count(),
            not_run: None,
            vmcall: true,
            checks: self.ran,
            branches,
            policy: self.policy,
        }
    }

    fn first_unconverted(&mut self, gpa: u64, end: u64, shared: bool) -> Option<u64> {
        let sb = self.shared_bit();
        (gpa..end).step_by(4096).find(|g| {
            self.model()
                .gpa_shared(g & !sb)
                .is_some_and(|s| s != shared)
        })
    }

    /// ReportFatalError in a child process. With `resumes`, the VMM resumes the TD that many
    /// times first, so the call repeats with the VMM's values in every exposed register; the
    /// call after them is checked: its inputs must again be the contract's.
    #[allow(clippy::too_many_arguments)]
    fn run_fatal(
        &mut self,
        call: &Call,
        seed: u64,
        code: u64,
        data: Option<u64>,
        message: [u8; 64],
        len: u8,
        resumes: u8,
    ) -> Result<Outcome, Failure> {
        let c = contract_of(0, sfn::REPORT_FATAL_ERROR);
        let data = match data.map(Gpa::new).transpose() {
            Ok(d) => d,
            // A data GPA wider than 52 bits cannot be typed: nothing to send.
            Err(_) => {
                return Ok(Outcome {
                    leaf: c.name,
                    status: None,
                    tdcalls: 0,
                    not_run: Some("rejected before TDCALL"),
                    vmcall: true,
                    checks: self.ran,
                    branches: 0,
                    policy: None,
                })
            }
        };
        let msg = &message[..usize::from(len).min(64)];
        let mut fds = [0; 2];
        // SAFETY: pipe(2) with a valid two-int array.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            panic!("pipe failed");
        }
        // SAFETY: the child runs only the wrapper and the signal handler, which allocate
        // nothing and take no lock, then leaves with _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: prctl(2) and alarm(2) with constant arguments: no core dump of this copy
            // of the process, and a wrapper that never reaches the VMM is ended after 10 s.
            unsafe {
                libc::prctl(libc::PR_SET_DUMPABLE, 0);
                libc::alarm(10);
            }
            // SAFETY: null stops the recording: the parent's record stays its own.
            unsafe { self.session.set_flight_recorder(core::ptr::null_mut()) };
            self.session.set_fatal_fd(fds[1]);
            self.session.set_fatal_resumes(u32::from(resumes));
            let w = &self.wrappers;
            // A panic must not unwind into the oracle's code in this copy of the process.
            let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                under_pressure(seed, || -> () { w.report_fatal_error(code, data, msg) })
            }));
            let code = if unwound.is_err() {
                crate::CHILD_PANICKED
            } else {
                3
            };
            // SAFETY: _exit is always safe to call; reaching here means the call returned or
            // panicked.
            unsafe { libc::_exit(code) };
        }
        // SAFETY: closes the parent's copy of the write end.
        unsafe { libc::close(fds[1]) };
        let mut rec = core::mem::MaybeUninit::<Record>::uninit();
        let size = core::mem::size_of::<Record>();
        // SAFETY: reads at most `size` bytes into the record's storage.
        let got = unsafe { libc::read(fds[0], rec.as_mut_ptr().cast(), size) };
        let status = crate::wait_child(pid);
        // SAFETY: closes the read end, owned here.
        unsafe { libc::close(fds[0]) };
        let fail = |verdict, detail: String, rec: Option<&Record>| Failure {
            verdict,
            leaf: c.name,
            call: call_text(call),
            detail,
            table: rec.map_or(String::new(), |r| vmcall_table(r, c)),
            module: tdx_model::ModuleVersion::NEWEST,
            differs: Vec::new(),
        };
        if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == crate::NOT_PROVIDED_EXIT {
            // The implementation does not define ReportFatalError: no TDCALL was made.
            return Ok(Outcome {
                leaf: c.name,
                status: None,
                tdcalls: 0,
                not_run: Some(crate::NOT_PROVIDED),
                vmcall: true,
                checks: crate::Checks::NONE,
                branches: 0,
                policy: None,
            });
        }
        if got != size as isize || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
            // After a forced refusal, a stop is a fault signal, or no TDVMCALL again before
            // the alarm; a return, a panic or an exit is not.
            let stop = |s: &i32| *s == libc::SIGALRM || crate::FAULT_SIGNALS.contains(s);
            let sig = libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status));
            if let Some(sig) = sig.filter(|s| self.refusing && got == 0 && stop(s)) {
                // The module refused the first TDVMCALL and no other reached the VMM.
                self.fatal_stopped = Some(match sig {
                    libc::SIGALRM => "no TDVMCALL again within 10 s".into(),
                    sig => format!("signal {sig}"),
                });
                // `run_forced_call` replaces this outcome with its verdict on the stop.
                return Ok(Outcome {
                    leaf: c.name,
                    status: None,
                    tdcalls: 1,
                    not_run: None,
                    vmcall: true,
                    checks: crate::Checks::NONE,
                    branches: 0,
                    policy: None,
                });
            }
            return Err(fail(
                Verdict::Semantics,
                format!("the child read {got} bytes and ended with status {status:#x}: the call did not reach the VMM or returned"),
                None,
            ));
        }
        // SAFETY: the child wrote a whole `Record` of this same binary.
        let rec = unsafe { rec.assume_init() };
        if rec.kind != RecordKind::Completed {
            return Err(fail(
                Verdict::Semantics,
                "the fatal call did not complete".into(),
                Some(&rec),
            ));
        }
        let mut padded = [0u8; 64];
        padded[..msg.len()].copy_from_slice(msg);
        let word = |i: usize| u64::from_le_bytes(padded[i * 8..i * 8 + 8].try_into().expect("8"));
        let (r12, r13) = match data {
            Some(g) => (code | 1 << 63, g.raw()),
            None => (code & !(1 << 63), 0),
        };
        let mut inputs = vec![("error_code", r12), ("data_gpa", r13)];
        let names = [
            "message0", "message1", "message2", "message3", "message4", "message5", "message6",
            "message7",
        ];
        for (i, n) in names.iter().enumerate() {
            inputs.push((n, word(i)));
        }
        // Stand the child's record in the log and check it as any other TDVMCALL; the call
        // never returns, so there is nothing to decode.
        self.session.clear_log();
        self.session.inject_record(rec);
        let rec = self.vmcall_record(c, call, &inputs, &inputs, seed, None)?;
        Ok(self.vmcall_outcome(c, &rec))
    }
}

/// The values a typed input error names (the rejected input, or both ends of a range).
fn rejected_values(e: InputError) -> Vec<u64> {
    match e {
        InputError::GpaTooWide { value }
        | InputError::Misaligned { value, .. }
        | InputError::RtmrIndexOutOfRange { value }
        | InputError::PageLevelOutOfRange { value }
        | InputError::FieldIdInvalid { value }
        | InputError::NotShared { value }
        | InputError::AccessSizeInvalid { value } => vec![value],
        InputError::GpaWidthInvalid { value } => vec![value.into()],
        InputError::VectorOutOfRange { value } => vec![value.into()],
        InputError::L2VmOutOfRange { value } => vec![value.into()],
        InputError::RangeInvalid { start, len } => vec![start, len],
        _ => Vec::new(),
    }
}

/// An output field of the call's contract, by name, from the registers written back.
fn output(c: &VmcallContract, rec: &Record, name: &str) -> u64 {
    c.output_field(&rec.output, name)
        .unwrap_or_else(|| panic!("{} has no output field {name}", c.name))
}

fn names(s: RegSet) -> Vec<&'static str> {
    s.iter().map(|r| r.name()).collect()
}

/// The register table of one TDVMCALL: at the TDCALL, exposed or not, written back.
pub(crate) fn vmcall_table(rec: &Record, c: &VmcallContract) -> String {
    use core::fmt::Write as _;
    let selected = RegSet(rec.input[Gpr::Rcx] as u16);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "  {:<4} {:>18} {:>18}  role",
        "reg", "at TDCALL", "written back"
    );
    for r in Gpr::ALL {
        let role = match (
            selected.contains(r),
            c.exposed.contains(r),
            c.input_regs().contains(r),
        ) {
            (true, true, true) => "exposed input",
            (true, true, false) => "exposed output",
            (true, false, _) => "EXPOSED, not in the contract",
            (false, true, _) => "in the contract, not exposed",
            (false, false, _) => "",
        };
        let _ = writeln!(
            s,
            "  {:<4} {:#018x} {:#018x}  {role}",
            r.name(),
            rec.input[r],
            rec.output[r]
        );
    }
    let _ = writeln!(s, "  contract: {} (RCX {:#x})", c.name, c.rcx());
    s
}
