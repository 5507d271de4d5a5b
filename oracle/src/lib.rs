//! The oracle: every call of an implementation of the TDCALL wrappers checked against the
//! model's contract, each check counted only when it ran.
//!
//! The implementation's real inline asm executes TDCALL and `tdx_trap`'s signal handler answers
//! from the model. [`call`] is the one call type (with its byte codec) shared by the fuzz
//! targets, the property tests, the committed corpora ([`seeds`]) and the campaign;
//! [`wrappers`] is the trait an implementation under test provides; [`pressure`] calls it with
//! canaries and register pressure; [`asm_contract`] checks the `asm!` blocks' declared
//! registers statically. The verdicts:
//!
//! * **encoding** — the registers at the TDCALL equal the model contract's encoding of the
//!   call's typed inputs (RAX included);
//! * **refusal** — an input the implementation refused before any TDCALL: right only if the
//!   model, given the same raw registers, answers with the error the refusal names; an input check
//!   the implementation declares must be made;
//! * **leakage** (TDG.VP.VMCALL) — the VMM saw exactly the call's registers, holding its inputs
//!   or zero, and none of the caller's live values;
//! * **clobbers** — values live across the call (register pressure, see [`crate::pressure`])
//!   survive whatever the module wrote into the registers it may change;
//! * **hygiene** (TDG.VP.VMCALL) — after the TDCALL, every exposed register that carries no
//!   output is cleared before control leaves the straight-line code that follows;
//! * **decoding** — the typed result equals the model's decoding of the raw outputs, for every
//!   status including unknown ones;
//! * **semantics** — the simulated TD after the call agrees with what the implementation
//!   reported, against state the oracle derives without the implementation's help.
//!
//! Each call records the checks that ran on it ([`Checks`]); reports count only those.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]
#![deny(unsafe_op_in_unsafe_fn, missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod asm_contract;
pub mod call;
pub mod forced;
pub mod fuzzing;
pub mod pressure;
pub mod reach;
pub mod seeds;
pub mod wrappers;

pub use call::{Call, Program, Target};
/// The module versions a TD can run (re-exported so that a reproducer needs this crate only).
pub use tdx_model::ModuleVersion;
pub use tdx_trap::FlightRecord;
pub use wrappers::{Production, Wrappers};

use core::fmt::{self, Write as _};

use sha2::{Digest, Sha384};
use tdcall::accept::{AcceptError, AcceptOptions, AcceptStats};
use tdcall::{
    AcceptPage, Accepted, AlignedGpa, CpuidVe, FieldId, Gpa, OperandId, PageLevel, ReportRequestor,
    RtmrIndex, StatusCode, TdxStatus, VeInfo, VeInfoExt,
};
use tdx_expect as expect;
use tdx_model::contract::{lookup, LeafContract};
use tdx_model::module::{PageState, VeInfo as ModelVeInfo};
use tdx_model::{leaf, status, Completion, Gpr, Regs, TdConfig, TdxModule};

use crate::call::{FieldRef, Kind, MemRef, PageRef, StatusRef};
use crate::pressure::{describe_lost, under_canaries};
use tdx_trap::{Record, RecordKind, Session, ARENA_SIZE};

mod leaves15;
mod mr_key;
mod vmcall;

pub use leaves15::servtd_field;
pub use vmcall::{CONVERT as CONVERT_RANGE, WIDER_MASK};

/// The checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// Inputs reached the TDCALL as the model encodes them.
    Encoding,
    /// An input refused before any TDCALL is one the model refuses with the same error; a
    /// declared input check was made.
    Refusal,
    /// TDG.VP.VMCALL only: the VMM saw exactly the call's registers, holding its inputs or
    /// zero, and none of the caller's live values.
    Leakage,
    /// Live values survived the call.
    Clobbers,
    /// TDG.VP.VMCALL only: exposed registers that carry no output were cleared after the call.
    Hygiene,
    /// The typed result is the model's decoding of the outputs.
    Decoding,
    /// The simulated state agrees with the result.
    Semantics,
    /// The call returned: the process did not die in it (checked only where calls run in a
    /// child process, as in the campaign).
    Crash,
}

impl Verdict {
    /// All of them, in the order they are checked.
    pub const ALL: [Verdict; 8] = [
        Verdict::Encoding,
        Verdict::Refusal,
        Verdict::Leakage,
        Verdict::Clobbers,
        Verdict::Hygiene,
        Verdict::Decoding,
        Verdict::Semantics,
        Verdict::Crash,
    ];

    /// Short name for tables.
    pub const fn name(self) -> &'static str {
        match self {
            Verdict::Encoding => "encoding",
            Verdict::Refusal => "refusal",
            Verdict::Leakage => "leakage",
            Verdict::Clobbers => "clobbers",
            Verdict::Hygiene => "hygiene",
            Verdict::Decoding => "decoding",
            Verdict::Semantics => "semantics",
            Verdict::Crash => "crash",
        }
    }
}

/// The checks that ran on one call and could have failed: a set of [`Verdict`]s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Checks(u8);

impl Checks {
    /// No check.
    pub const NONE: Checks = Checks(0);

    /// The set as bits (bit `v as u8` for each check).
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// The set of `bits` ([`Self::bits`]); bits of no check are dropped.
    pub const fn from_bits(bits: u8) -> Checks {
        Checks(bits & Checks::ALL.0)
    }

    /// Adds a check that ran.
    pub fn insert(&mut self, v: Verdict) {
        self.0 |= 1 << v as u8;
    }

    /// Whether the check ran.
    pub const fn contains(self, v: Verdict) -> bool {
        self.0 & (1 << v as u8) != 0
    }

    /// Whether no check ran.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The checks that ran, in [`Verdict::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Verdict> {
        Verdict::ALL.into_iter().filter(move |v| self.contains(*v))
    }

    /// The checks in both sets.
    pub const fn intersection(self, o: Checks) -> Checks {
        Checks(self.0 & o.0)
    }

    /// Every check, as a set.
    pub const ALL: Checks = Checks(((1u16 << Verdict::ALL.len()) - 1) as u8);

    /// The short names of the checks, joined by `+` ("none" for no check).
    pub fn names(self) -> String {
        let v: Vec<&str> = self.iter().map(Verdict::name).collect();
        if v.is_empty() {
            "none".into()
        } else {
            v.join("+")
        }
    }
}

/// A failed check, with everything needed to reproduce and read it.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Which check failed.
    pub verdict: Verdict,
    /// Spec name of the leaf (or helper).
    pub leaf: &'static str,
    /// The call, as a pasteable value.
    pub call: String,
    /// What differed.
    pub detail: String,
    /// Register table of the TDCALL involved (empty if none).
    pub table: String,
    /// The module version the simulated TD ran.
    pub module: ModuleVersion,
    /// What differed, by name (empty where the check names no single value: a decoded result
    /// that differs as a whole, a crash). A policy is declared against these ([`Policy`]).
    pub differs: Vec<Difference>,
}

impl Failure {
    /// The same failure, naming what differed.
    pub fn differing(self, differs: Vec<Difference>) -> Self {
        Failure { differs, ..self }
    }
}

/// One value a failed check found different, named as the contract names it: a register
/// (`"RCX"`), an input field (`"interrupts_blocked"`), or a call-level quantity
/// ([`quantity`]); `got` is what the implementation did, `want` what the contract asks
/// (`None` where it is not one value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The register, field or quantity.
    pub field: &'static str,
    /// What the implementation did.
    pub got: Option<u64>,
    /// What the contract asks.
    pub want: Option<u64>,
}

impl Difference {
    /// `field` with both values.
    pub const fn of(field: &'static str, got: u64, want: u64) -> Self {
        Difference {
            field,
            got: Some(got),
            want: Some(want),
        }
    }
}

/// Names of the call-level quantities a [`Difference`] names besides registers and fields.
pub mod quantity {
    /// The TDCALLs a single call completed (`want`: 1; re-executions after an interruption or
    /// a TD exit do not count).
    pub const TDCALLS: &str = "TDCALLs";
    /// TDCALL executions (re-executions included) beyond what the trap's log holds (`want`: its
    /// capacity): the call's order can no longer be checked.
    pub const TDCALLS_BEYOND_THE_LOG: &str = "TDCALLs beyond the log";
    /// A TDCALL made after the one that completed.
    pub const TDCALL_AFTER_COMPLETION: &str = "TDCALL after the completed one";
    /// A re-execution that did not start from the registers the interrupted TDCALL left.
    pub const REEXECUTION_NOT_RESUMED: &str = "re-execution not resumed";
    /// A range helper's call that reached outside the range (`got`: its first address).
    pub const OUTSIDE_RANGE: &str = "address outside the range";
    /// A range helper's call whose end is not the range's (`got`: its end, `want`: the range's).
    pub const RANGE_END: &str = "end of the range";
    /// The calls a range helper made over a range it cannot express (`want`: 0).
    pub const CALLS_ON_INVALID_RANGE: &str = "calls over an invalid range";
    /// A range helper's answer other than an input refusal, without a call, over a range it
    /// cannot express.
    pub const INVALID_RANGE_NOT_REFUSED: &str = "invalid range not refused";
    /// A range helper's error against the honest VMM within its stall bound, not right after a
    /// stall.
    pub const ERROR_AGAINST_THE_HONEST_VMM: &str = "error against the honest VMM";
    /// The stalls (RETRY without progress) after which a range helper gave up within its bound
    /// (its error came right after the VMM's RETRY without progress).
    pub const GAVE_UP_AFTER_STALLS: &str = "gave up after stalls";
    /// The calls a range helper made before giving up beyond its stall bound (`want`: bound + 1).
    pub const CALLS_BEFORE_GIVING_UP: &str = "calls before giving up";
    /// A page a range helper left unconverted when it reported success.
    pub const UNCONVERTED_PAGE: &str = "unconverted page";
    /// A MapGPA resume address outside the request, returned as progress.
    pub const RESUME_OUTSIDE_REQUEST: &str = "resume address outside the request";
    /// A MapGPA resume address not page-aligned, returned as progress.
    pub const RESUME_UNALIGNED: &str = "resume address not page-aligned";
    /// The calls a range helper made, beyond any bound on its retries.
    pub const UNBOUNDED_CALLS: &str = "unbounded calls";
}

/// A difference an implementation declares its policy (its choice, written up), not a bug:
/// the verdict, the leaf (`Failure::leaf`), the field that differs ([`Difference::field`]),
/// and the values (any, unless [`Policy::when`] narrows them).
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// The check.
    pub verdict: Verdict,
    /// The leaf or helper.
    pub leaf: &'static str,
    /// The register, field or quantity.
    pub field: &'static str,
    /// Which values (got, want) the policy covers.
    pub values: fn(Option<u64>, Option<u64>) -> bool,
    /// The policy, in a few words.
    pub what: &'static str,
}

impl Policy {
    /// A policy over any values of `field`.
    pub const fn new(
        verdict: Verdict,
        leaf: &'static str,
        field: &'static str,
        what: &'static str,
    ) -> Self {
        Policy {
            verdict,
            leaf,
            field,
            values: |_, _| true,
            what,
        }
    }

    /// The same policy over the values `values` accepts only.
    pub const fn when(self, values: fn(Option<u64>, Option<u64>) -> bool) -> Self {
        Policy { values, ..self }
    }

    /// Whether the policy covers `d` of a failure of `verdict` on `leaf`.
    pub fn covers(&self, verdict: Verdict, leaf: &str, d: &Difference) -> bool {
        self.verdict == verdict
            && self.leaf == leaf
            && self.field == d.field
            && (self.values)(d.got, d.want)
    }

    /// The policy of `f` under `rules`: the first difference's, when every difference of `f`
    /// is covered by one of them; `None` for a failure that names no difference.
    pub fn judge(rules: &[Policy], f: &Failure) -> Option<&'static str> {
        let rule = |d: &Difference| rules.iter().find(|r| r.covers(f.verdict, f.leaf, d));
        let first = rule(f.differs.first()?)?;
        f.differs
            .iter()
            .all(|d| rule(d).is_some())
            .then_some(first.what)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:?} check failed for {}", self.verdict, self.leaf)?;
        writeln!(f, "  call:   {}", self.call)?;
        writeln!(f, "  module: {}", self.module)?;
        writeln!(f, "  detail: {}", self.detail)?;
        if !self.table.is_empty() {
            write!(f, "{}", self.table)?;
        }
        Ok(())
    }
}

/// What one passing call did.
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    /// Spec name of the leaf (or helper).
    pub leaf: &'static str,
    /// The status of the last completed TDCALL, if any was made.
    pub status: Option<u64>,
    /// TDCALL executions (including re-executions).
    pub tdcalls: usize,
    /// Why no TDCALL was made, when none was.
    pub not_run: Option<&'static str>,
    /// Whether the call is a TDG.VP.VMCALL (its status is the GHCI status in R10).
    pub vmcall: bool,
    /// A difference from this workspace's design that is policy, not a bug (reported, not a
    /// failure), e.g. a TDVMCALL exposing more registers than its contract, all zero.
    pub policy: Option<&'static str>,
    /// The checks that ran on this call (and passed: a failed one ends the call as a
    /// [`Failure`]).
    pub checks: Checks,
    /// The branches of a range helper this call took, as the model's answers show them (bit
    /// `i` = [`reach::HELPER_BRANCHES`] entry `i`); 0 for other calls.
    pub branches: u16,
}

impl Outcome {
    /// The checks this call passed: exactly those that ran on it.
    pub fn verdicts(&self) -> impl Iterator<Item = Verdict> {
        self.checks.iter()
    }
}

/// The verdict on a call during which the process died (`how`: the signal, or the time
/// limit), with `rec` the last TDCALL it made, if any. A TDG.VP.VMCALL that showed the VMM a
/// register outside its contract holding anything but zero (RBP, whatever it held) is
/// `Leakage`, whatever else it broke; anything else is `Crash`.
pub fn crash_failure(
    call: &Call,
    how: &str,
    rec: Option<&Record>,
    module: ModuleVersion,
) -> Failure {
    let leaf = kind_name(call.kind());
    let mut failure = Failure {
        verdict: Verdict::Crash,
        leaf,
        call: call_text(call),
        detail: match rec {
            Some(_) => format!("the process died in the call ({how}); its last TDCALL:"),
            None => format!("the process died in the call ({how}) before any TDCALL"),
        },
        table: String::new(),
        module,
        differs: Vec::new(),
    };
    let Some(rec) = rec else {
        return failure;
    };
    if rec.input[Gpr::Rax] != 0 {
        let c = lookup(
            rec.input[Gpr::Rax] as u16,
            (rec.input[Gpr::Rax] >> 16) as u8,
        );
        failure.table = register_table(rec, c, &rec.input);
        return failure;
    }
    // What the TDVMCALL returned, the likeliest cause of a death after it.
    let (rax, r10) = (rec.output[Gpr::Rax], rec.output[Gpr::R10]);
    if rec.kind == RecordKind::Completed && rax != 0 {
        failure.detail = format!(
            "the process died in the call ({how}) after the TDX module refused its TDVMCALL \
             (RAX = {rax:#x}); the TDCALL:"
        );
    } else if rec.kind == RecordKind::Completed && r10 != 0 {
        failure.detail = format!(
            "the process died in the call ({how}) after the VMM answered its TDVMCALL with an \
             error (R10 = {r10:#x}); the TDCALL:"
        );
    }
    let Some(c) = tdx_model::vmcall::vmcall_lookup(rec.input[Gpr::R10], rec.input[Gpr::R11]) else {
        failure.table = register_table(rec, None, &rec.input);
        return failure;
    };
    failure.table = vmcall::vmcall_table(rec, c);
    let selected = tdx_model::RegSet(rec.input[Gpr::Rcx] as u16);
    let leaked: Vec<String> = selected
        .iter()
        .filter(|r| *r == Gpr::Rbp || (!c.input_regs().contains(*r) && rec.input[*r] != 0))
        .map(|r| format!("{} = {:#x}", r.name(), rec.input[r]))
        .collect();
    if !leaked.is_empty() {
        failure.verdict = Verdict::Leakage;
        failure.detail = format!(
            "the VMM was shown registers outside the contract ({}), and then the process died \
             in the call ({how}); the TDCALL:",
            leaked.join(", ")
        );
    }
    failure
}

/// Renders the register table of one TDCALL: seen at the TDCALL, the model's encoding,
/// and what the module wrote back.
pub fn register_table(rec: &Record, contract: Option<&LeafContract>, expected: &Regs) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "  {:<4} {:>18} {:>18} {:>18}  role",
        "reg", "at TDCALL", "model encoding", "written back"
    );
    for r in Gpr::ALL {
        let role = match contract {
            Some(_) if r == Gpr::Rax => "leaf/status",
            Some(c) if c.inputs.iter().any(|i| i.reg == r) => {
                if c.may_modify.contains(r) {
                    "input+output"
                } else {
                    "input"
                }
            }
            Some(c) if c.may_modify.contains(r) => {
                if rec.randomized.contains(r) {
                    "output (randomized)"
                } else {
                    "output"
                }
            }
            Some(_) => "preserved",
            None => "",
        };
        let exp = if contract.is_some_and(|c| r == Gpr::Rax || c.inputs.iter().any(|i| i.reg == r))
        {
            format!("{:#018x}", expected[r])
        } else {
            "-".into()
        };
        let mark = if exp != "-" && expected[r] != rec.input[r] {
            " <<"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "  {:<4} {:#018x} {:>18} {:#018x}  {}{}",
            r.name(),
            rec.input[r],
            exp,
            rec.output[r],
            role,
            mark
        );
    }
    let _ = writeln!(
        s,
        "  RFLAGS {:#x} -> {:#x}; {:?}",
        rec.rflags_in, rec.rflags_out, rec.kind
    );
    s
}

/// The simulated TD every program starts from: two L2 VMs, a bound service-TD target, and an
/// accept region laid out so that every ACCEPT path is reachable (pending and accepted 2 MiB leaves, 4 KiB pages pending, accepted
/// and mixed, and unmapped memory the honest VMM adds on an EPT violation).
pub fn world_config() -> TdConfig {
    world_config_on(ModuleVersion::NEWEST)
}

/// [`world_config`] on module `version`.
pub fn world_config_on(version: ModuleVersion) -> TdConfig {
    let mut config = TdConfig {
        module_version: version,
        ..TdConfig::default()
    };
    // Two L2 VMs (TD partitioning) and a bound service-TD target, so that the 1.5 leaves reach
    // their success paths.
    config.num_l2_vms = 2;
    config.servtd_target = Some(tdx_model::module::ServtdTarget::bound_to(config.td_uuid));
    config
}

fn lay_out_region(session: &mut Session) {
    // SAFETY: no TDCALL runs while the layout is written.
    let s = unsafe { session.module() };
    let cfg = s.config().clone();
    let blocks = cfg.accept_region_size / (2 << 20);
    for b in 0..blocks {
        let base = cfg.accept_region_base + b * (2 << 20);
        match b % 8 {
            0 | 6 => s.set_page(base, 1, PageState::Pending),
            1 => s.set_page(base, 1, PageState::Accepted),
            2 => {
                for p in 0..512 {
                    s.set_page(base + p * 4096, 0, PageState::Pending);
                }
            }
            3 => {
                for p in 0..512 {
                    let st = if p % 2 == 0 {
                        PageState::Accepted
                    } else {
                        PageState::Pending
                    };
                    s.set_page(base + p * 4096, 0, st);
                }
            }
            4 => {
                for p in 0..512 {
                    s.set_page(base + p * 4096, 0, PageState::Unmapped);
                }
            }
            _ => {
                for p in 0..512 {
                    s.set_page(base + p * 4096, 0, PageState::Accepted);
                }
            }
        }
    }
}

/// Runs calls through an implementation under test and checks each one.
pub struct Oracle<W: Wrappers> {
    /// The simulated TD.
    pub session: Session,
    /// The implementation under test.
    pub wrappers: W,
    seed: u64,
    /// The laid-out TD every program starts from (cloned: laying it out is the costly part).
    template: TdxModule,
    /// A policy difference noticed during the current call.
    policy: Option<&'static str>,
    /// The checks that ran on the current call.
    ran: Checks,
    /// Templates of the other module versions this oracle has run (see [`Oracle::set_version`]).
    other_templates: Vec<TdxModule>,
    /// The copy of the simulated module a dry run changes (kept: its buffers are reused).
    scratch: TdxModule,
    /// The implementation answered the current call without a TDCALL: its result is judged
    /// as a refusal against the model's answer to the same inputs.
    refused_without_tdcall: bool,
    /// The current call runs under a forced status ([`forced`]): its semantics are undefined,
    /// so they are neither checked nor credited.
    forced: bool,
    /// The current call's first TDVMCALL is refused by a forced status.
    refusing: bool,
    /// How a ReportFatalError under a forced refusal stopped without calling again, if it did
    /// (set by `run_fatal`, taken by `run_forced_call`).
    fatal_stopped: Option<String>,
    /// Per TDVMCALL kind, how the implementation stopped on a forced refusal in a child
    /// process (`None`: it returned). Asked once per kind: a fork per call would cost more
    /// than the call.
    stops_on_refusal: Vec<(Kind, Option<String>)>,
}

/// Does `raw` carry the model's name `name` (bits 63:32)?
fn is_named(raw: u64, name: &str) -> bool {
    tdx_model::status::name(raw) == Some(name)
}

impl<W: Wrappers> Oracle<W> {
    /// A fresh simulated TD on this thread.
    pub fn new(wrappers: W, seed: u64) -> Self {
        Self::new_on(wrappers, seed, ModuleVersion::NEWEST)
    }

    /// As [`Oracle::new`], the simulated TD running module `version`.
    pub fn new_on(wrappers: W, seed: u64, version: ModuleVersion) -> Self {
        let mut session = Session::new(world_config_on(version), seed);
        lay_out_region(&mut session);
        // SAFETY: no TDCALL runs during the copy.
        let template = unsafe { session.module() }.clone();
        Oracle {
            session,
            wrappers,
            seed,
            scratch: template.clone(),
            template,
            policy: None,
            ran: Checks::NONE,
            other_templates: Vec::new(),
            refused_without_tdcall: false,
            forced: false,
            refusing: false,
            fatal_stopped: None,
            stops_on_refusal: Vec::new(),
        }
    }

    /// Makes the programs from the next [`Oracle::run_program`] (or [`Oracle::reset`]) on run
    /// on module `version`, a fresh simulated TD each, as always. The laid-out TD of every
    /// version used is kept, so switching back is cheap.
    pub fn set_version(&mut self, version: ModuleVersion) {
        if self.template.config().module_version == version {
            return;
        }
        let cached = self
            .other_templates
            .iter()
            .position(|t| t.config().module_version == version);
        let next = match cached {
            Some(i) => self.other_templates.swap_remove(i),
            None => {
                self.session.reset(world_config_on(version), self.seed);
                lay_out_region(&mut self.session);
                // SAFETY: no TDCALL runs during the copy.
                unsafe { self.session.module() }.clone()
            }
        };
        let previous = core::mem::replace(&mut self.template, next);
        self.other_templates.push(previous);
    }

    /// Starts over with a fresh simulated TD.
    pub fn reset(&mut self, seed: u64) {
        self.session.reset_from(&self.template, seed);
        self.seed = seed;
    }

    /// The simulated module. Borrowing the whole oracle mutably, it cannot be alive while a
    /// wrapper (reached through `self.wrappers`) executes a TDCALL.
    fn model(&mut self) -> &mut TdxModule {
        // SAFETY: see above: the exclusive borrow of `self` keeps TDCALLs out of its lifetime.
        unsafe { self.session.module() }
    }

    /// The TDCALL log, under the same exclusive borrow as [`Self::model`].
    fn log(&mut self) -> &[Record] {
        // SAFETY: as in `model`.
        unsafe { self.session.log() }
    }

    /// The arena, under the same exclusive borrow as [`Self::model`].
    fn arena(&mut self) -> &mut [u8; ARENA_SIZE] {
        // SAFETY: as in `model`.
        unsafe { self.session.arena() }
    }

    /// The seed the next program's TD starts from (with [`Self::set_seed`], a process that
    /// ran programs in a child goes on where the child left off).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Sets the seed [`Self::seed`] reports.
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }

    fn next_seed(&mut self) -> u64 {
        self.seed = self
            .seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.seed
    }

    /// Runs a program against a fresh TD, stopping at the first failure.
    pub fn run_program(
        &mut self,
        program: &Program,
        mut each: impl FnMut(&Call, &Outcome),
    ) -> Result<(), Failure> {
        let seed = self.next_seed();
        self.reset(seed);
        for call in &program.0 {
            let out = self.run_call(call)?;
            each(call, &out);
        }
        Ok(())
    }

    /// [`Self::run_program`] once per modelled module version ([`ModuleVersion::ALL`]), each
    /// time against a fresh simulated TD, as the fuzz targets run their inputs; the first
    /// failure (which names its version).
    pub fn run_program_on_every_version(
        &mut self,
        program: &Program,
        mut each: impl FnMut(&Call, &Outcome),
    ) -> Result<(), Failure> {
        ModuleVersion::ALL.iter().try_for_each(|v| {
            self.set_version(*v);
            self.run_program(program, &mut each)
        })
    }

    fn fail(&self, verdict: Verdict, leaf: &'static str, call: &Call, detail: String) -> Failure {
        Failure {
            verdict,
            leaf,
            call: call_text(call),
            detail,
            table: String::new(),
            module: ModuleVersion::NEWEST,
            differs: Vec::new(),
        }
    }

    fn fail_at(
        &self,
        verdict: Verdict,
        c: &'static LeafContract,
        call: &Call,
        rec: &Record,
        expected: &Regs,
        detail: String,
    ) -> Failure {
        Failure {
            verdict,
            leaf: c.name,
            call: call_text(call),
            detail,
            table: register_table(rec, Some(c), expected),
            module: ModuleVersion::NEWEST,
            differs: Vec::new(),
        }
    }

    /// The one completed TDCALL of a single-leaf call, checked for encoding and clobbers.
    fn checked_record(
        &mut self,
        c: &'static LeafContract,
        call: &Call,
        fields: &[(&str, u64)],
        lost: u32,
    ) -> Result<Record, Failure> {
        let log = self.log().to_vec();
        let Some(last) = log.last() else {
            return self.refusal_record(c, call, fields, lost);
        };
        let first = log[0];
        let mut expected = first.input;
        expected[Gpr::Rax] = c.rax();
        let enc = c.encode(fields);
        if let Ok(enc) = &enc {
            enc.apply(&mut expected);
        }
        // One completed TDCALL, after any number of executions that did not complete; each
        // re-execution starts from the registers the previous one left (its inputs, or the
        // progress an interruptible leaf wrote).
        let chained = log
            .windows(2)
            .all(|p| p[0].kind == RecordKind::Completed || p[1].input == p[0].output);
        if self.session.tdcall_count() != log.len()
            || last.kind != RecordKind::Completed
            || log[..log.len() - 1]
                .iter()
                .any(|r| r.kind == RecordKind::Completed)
            || !chained
        {
            return Err(self.fail_at(
                Verdict::Encoding,
                c,
                call,
                last,
                &expected,
                format!(
                    "expected one TDCALL (re-executed only after interruptions or TD exits), saw {:?}",
                    log.iter().map(|r| r.kind).collect::<Vec<_>>()
                ),
            )
            .differing({
                // Which rule broke: the completed TDCALLs (the log may have overflowed: then
                // the session's count), their order, the chaining of re-executions.
                let overflowed = self.session.tdcall_count() > log.len();
                let completed = self.session.completed_count();
                let mut d = Vec::new();
                if completed != 1 {
                    d.push(Difference::of(quantity::TDCALLS, completed as u64, 1));
                } else if !overflowed && last.kind != RecordKind::Completed {
                    d.push(Difference {
                        field: quantity::TDCALL_AFTER_COMPLETION,
                        got: None,
                        want: None,
                    });
                }
                if !chained {
                    d.push(Difference {
                        field: quantity::REEXECUTION_NOT_RESUMED,
                        got: None,
                        want: None,
                    });
                }
                if overflowed {
                    d.push(Difference::of(
                        quantity::TDCALLS_BEYOND_THE_LOG,
                        self.session.tdcall_count() as u64,
                        log.len() as u64,
                    ));
                }
                d
            }));
        }
        let rec = *last;
        let first_in = first.input;
        let enc = enc.map_err(|e| {
            self.fail_at(
                Verdict::Encoding,
                c,
                call,
                &rec,
                &expected,
                format!("the model cannot encode the typed inputs {fields:?}: {e:?}"),
            )
        })?;
        let mut wrong: Vec<Difference> = Vec::new();
        if first_in[Gpr::Rax] != c.rax() {
            wrong.push(Difference::of("RAX", first_in[Gpr::Rax], c.rax()));
        }
        for (r, v) in enc.as_slice() {
            if first_in[*r] != *v {
                wrong.push(Difference::of(r.name(), first_in[*r], *v));
            }
        }
        if !wrong.is_empty() {
            let names: Vec<&str> = wrong.iter().map(|d| d.field).collect();
            return Err(self
                .fail_at(
                    Verdict::Encoding,
                    c,
                    call,
                    &rec,
                    &expected,
                    format!("input registers differ from the model's encoding: {names:?}"),
                )
                .differing(wrong));
        }
        self.ran.insert(Verdict::Encoding);
        if lost != 0 {
            return Err(self.fail_at(
                Verdict::Clobbers,
                c,
                call,
                &rec,
                &expected,
                format!(
                    "values live across the call were overwritten ({}): a register the module \
                     writes is missing from the asm's outputs/clobbers",
                    describe_lost(lost)
                ),
            ));
        }
        self.ran.insert(Verdict::Clobbers);
        if !rec.outside_contract.is_empty() {
            let regs: Vec<&str> = rec.outside_contract.iter().map(|r| r.name()).collect();
            return Err(self.fail_at(
                Verdict::Semantics,
                c,
                call,
                &rec,
                &expected,
                format!("the model changed registers its contract preserves: {regs:?}"),
            ));
        }
        Ok(rec)
    }

    /// The implementation made no TDCALL: a refusal of its own, right only if the module
    /// refuses the same inputs too and the implementation returns exactly the module's answer.
    /// Gives the model's answer (run on a copy: the simulated TD is not changed) as the record
    /// the decoding check then compares the result with, judged as a refusal
    /// (`refused_without_tdcall`). An input the model accepts, or never completes, is a
    /// failure: the call was wrongly skipped.
    fn refusal_record(
        &mut self,
        c: &'static LeafContract,
        call: &Call,
        fields: &[(&str, u64)],
        lost: u32,
    ) -> Result<Record, Failure> {
        let input = contract_regs(c, fields);
        // The module sees the guest memory the implementation saw (a copy of the arena).
        let mut memory = self.arena_copy();
        let answer = input.and_then(|input| {
            self.dry_run_in(&input, &mut memory)
                .ok()
                .map(|o| (input, o))
        });
        if lost != 0 {
            return Err(self.fail(
                Verdict::Clobbers,
                c.name,
                call,
                format!(
                    "the implementation made no TDCALL and still lost live values ({})",
                    describe_lost(lost)
                ),
            ));
        }
        match answer {
            // A refusal only where the module's answer is an error (bit 63): a success-class
            // status (information, warnings, L2 exits) answered without a TDCALL is not one.
            Some((input, output)) if output[Gpr::Rax] >> 63 == 1 => {
                self.refused_without_tdcall = true;
                Ok(Record {
                    input,
                    rflags_in: 0,
                    output,
                    rflags_out: 0,
                    kind: RecordKind::Completed,
                    randomized: tdx_model::RegSet::EMPTY,
                    outside_contract: tdx_model::RegSet::EMPTY,
                })
            }
            Some((_, output)) => Err(self.fail(
                Verdict::Refusal,
                c.name,
                call,
                format!(
                    "the wrapper made no TDCALL, but the module accepts these inputs ({fields:?}) \
                     with {:#x}",
                    output[Gpr::Rax]
                ),
            )),
            None => Err(self.fail(
                Verdict::Encoding,
                c.name,
                call,
                "the wrapper made no TDCALL (the model cannot encode or complete these inputs)"
                    .into(),
            )),
        }
    }

    /// A typed constructor rejected the input: right only if the model, given the same raw
    /// registers, answers with `want` and, as its operand id, the register that holds
    /// `operand` (a field name of the contract; `None`: no operand id). The check counts only
    /// when the model's answer was compared; an input the contract cannot encode, or one the
    /// model never completes, is reported as not compared.
    fn check_rejection(
        &mut self,
        c: &'static LeafContract,
        call: &Call,
        fields: &[(&str, u64)],
        why: tdcall::InputError,
        want: &str,
        operand: Option<&str>,
    ) -> Result<Outcome, Failure> {
        // Reads that return a next field id take the null id as "the first field": the typed
        // API asks for that with a `*_first` function, not with a `FieldId`.
        let iterates = c
            .outputs
            .iter()
            .any(|o| o.fields.iter().any(|f| f.name == "next_field_id"));
        let null_field = iterates
            && fields
                .iter()
                .any(|(n, v)| *n == "field_id" && v | CONTEXT_CODE == u64::MAX);
        let want_details = operand.map_or(0, |f| operand_id(c, f));
        let enc = match c.encode(fields) {
            Err(_) => return Ok(self.not_run(c, UNENCODABLE)),
            Ok(_) if null_field => return Ok(self.not_run(c, "null field id (the *_first read)")),
            Ok(enc) => enc,
        };
        let mut regs = Regs::default();
        regs[Gpr::Rax] = c.rax();
        enc.apply(&mut regs);
        // The module would hang on an earlier operand: nothing to compare the refusal with.
        let Some(out) = self.dry_run(&regs) else {
            return Ok(self.not_run(c, NO_COMPLETION));
        };
        // The rejection must be the model's own answer to the same input: the same status and
        // operand, not just any error.
        let raw = out[Gpr::Rax];
        if !(is_named(raw, want) && raw & 0xffff_ffff == want_details) {
            return Err(self.fail(
                Verdict::Refusal,
                c.name,
                call,
                format!(
                    "the typed constructor rejected {fields:?} ({why}); the model answers \
                     {raw:#x} where {want} + {want_details} was expected"
                ),
            ));
        }
        if !W::TYPED_INPUTS {
            return Ok(self.not_run(c, REFUSED_BY_TYPES));
        }
        self.ran.insert(Verdict::Refusal);
        Ok(self.not_run(c, REFUSED))
    }

    /// A copy of the arena as guest memory, for runs on a copy of the model.
    fn arena_copy(&mut self) -> ArenaCopy {
        let shared = self.shared_bit();
        let bytes: &[u8] = self.arena();
        let bytes = bytes.to_vec();
        ArenaCopy::new(self.session.arena_gpa(), shared, bytes)
    }

    /// The scratch module, made a copy of the simulated one.
    fn scratch_copy(&mut self) -> &mut TdxModule {
        // SAFETY: as in `model`.
        self.scratch.clone_from(unsafe { self.session.module() });
        &mut self.scratch
    }

    /// Runs the leaf on a copy of the model, as the honest VMM would see it through: `None` if
    /// it never completes (an EPT violation on a private page that is not accepted: on real
    /// hardware the TD gets a #VE or hangs, and the wrapper never returns).
    fn dry_run(&mut self, regs: &Regs) -> Option<Regs> {
        self.dry_run_in(regs, &mut ZeroMemory).ok()
    }

    /// [`Self::dry_run`] reading and writing `memory` (a copy of the arena where the
    /// implementation's view of guest memory matters); a call that does not complete gives why
    /// it is not made ([`NO_COMPLETION`], or [`MODULE_STOPS`] when it would stop the module).
    fn dry_run_in(
        &mut self,
        regs: &Regs,
        memory: &mut dyn tdx_model::GuestMemory,
    ) -> Result<Regs, &'static str> {
        let scratch = self.scratch_copy();
        let mut regs = *regs;
        for _ in 0..1024 {
            match scratch.tdcall(&regs, memory) {
                Completion::Completed(out) => return Ok(out),
                Completion::Interrupted => {}
                Completion::InterruptedWithProgress(progress) => {
                    regs = Regs {
                        gpr: core::array::from_fn(|i| {
                            if i == Gpr::Rax.index() {
                                regs.gpr[i]
                            } else {
                                progress.gpr[i]
                            }
                        }),
                    }
                }
                Completion::TdExit(e) => scratch.vmm_handle_exit(e),
                // The TD's #VE handler would run instead, or nothing would ever run again:
                // the wrapper does not return here.
                Completion::VeInjected | Completion::DoubleFault => return Err(NO_COMPLETION),
                Completion::ModuleFatal => return Err(MODULE_STOPS),
            }
        }
        Err(NO_COMPLETION)
    }

    /// Whether the leaf completes, asked of the model only when a memory operand lies in the
    /// accept region (the only memory whose pages can be other than accepted). A call that does
    /// not complete is not made: the wrapper would never return.
    fn completes(
        &mut self,
        c: &'static LeafContract,
        fields: &[(&str, u64)],
        gpas: &[u64],
    ) -> bool {
        let cfg = self.model().config();
        let shared = 1u64 << if cfg.gpaw_52 { 51 } else { 47 };
        let (base, size) = (cfg.accept_region_base, cfg.accept_region_size);
        if !gpas.iter().any(|g| (g & !shared).wrapping_sub(base) < size) {
            return true;
        }
        self.completes_at(c, fields)
    }

    /// Whether the model completes the leaf with `fields` (an input the contract cannot encode
    /// is left to the call to judge). A call that does not complete is not made: the wrapper
    /// would never return (a page that is not accepted).
    fn completes_at(&mut self, c: &'static LeafContract, fields: &[(&str, u64)]) -> bool {
        self.completion_at(c, fields).is_ok()
    }

    /// As [`Self::completes_at`], with why a call that does not complete is not made.
    fn completion_at(
        &mut self,
        c: &'static LeafContract,
        fields: &[(&str, u64)],
    ) -> Result<(), &'static str> {
        match contract_regs(c, fields) {
            None => Ok(()),
            Some(regs) => self.dry_run_in(&regs, &mut ZeroMemory).map(|_| ()),
        }
    }

    fn decoding<T: PartialEq + fmt::Debug>(
        &mut self,
        c: &'static LeafContract,
        call: &Call,
        rec: &Record,
        got: &T,
        want: &T,
    ) -> Result<(), Failure> {
        // A refusal without a TDCALL: `rec` is the model's answer to the same inputs.
        let (verdict, what) = if self.refused_without_tdcall {
            (Verdict::Refusal, "the model answers the same inputs with")
        } else {
            (Verdict::Decoding, "the model decodes the outputs as")
        };
        if got == want {
            self.ran.insert(verdict);
            return Ok(());
        }
        Err(self.fail_at(
            verdict,
            c,
            call,
            rec,
            &rec.input,
            format!("wrapper returned {got:?}; {what} {want:?}"),
        ))
    }

    fn semantics(
        &mut self,
        c: &'static LeafContract,
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
        Err(self.fail_at(Verdict::Semantics, c, call, rec, &rec.input, detail()))
    }

    fn not_run(&self, c: &'static LeafContract, why: &'static str) -> Outcome {
        Outcome {
            leaf: c.name,
            status: None,
            tdcalls: 0,
            not_run: Some(why),
            vmcall: false,
            checks: self.ran,
            branches: 0,
            policy: None,
        }
    }

    fn outcome(&self, c: &'static LeafContract, rec: &Record) -> Outcome {
        Outcome {
            leaf: c.name,
            status: Some(rec.output[Gpr::Rax]),
            tdcalls: self.session.tdcall_count(),
            not_run: None,
            vmcall: false,
            checks: self.ran,
            branches: 0,
            policy: None,
        }
    }

    fn mem_gpa(&mut self, m: MemRef, len: usize) -> u64 {
        let base = self.session.arena_gpa();
        let shared = 1u64
            << if self.model().config().gpaw_52 {
                51
            } else {
                47
            };
        let room = ARENA_SIZE as u64 - 1024;
        let slot = |s: u16| {
            let unit = if s < 1 << 15 { 1024 } else { 64 };
            base + (s as u64 * unit) % room
        };
        debug_assert!(len <= 1024);
        match m {
            MemRef::Slot(s) => slot(s),
            MemRef::SharedSlot(s) => slot(s) | shared,
            MemRef::Raw(x) => x,
        }
    }

    /// Offset in the arena of `len` bytes at `gpa` (shared bit ignored, as the module does).
    fn arena_offset(&mut self, gpa: u64, len: usize) -> Option<usize> {
        let off = (gpa & !self.shared_bit()).wrapping_sub(self.session.arena_gpa());
        (off <= (ARENA_SIZE - len) as u64).then_some(off as usize)
    }

    /// Whether `len` bytes at `gpa` lie in the arena, memory a reference may be made to
    /// ([`Wrappers::takes_memory_by_reference`]): at `gpa` itself, the arena's address, or with
    /// `alias` (an operand the API always makes shared) at its private alias.
    fn in_arena(&mut self, gpa: u64, len: u64, alias: bool) -> bool {
        let exact = alias || gpa & self.shared_bit() == 0;
        let n = usize::try_from(len).ok().filter(|&n| n <= ARENA_SIZE);
        exact && n.is_some_and(|n| self.arena_offset(gpa, n).is_some())
    }

    /// The bytes the module sees at a GPA: the arena's, zeros elsewhere.
    fn arena_bytes<const N: usize>(&mut self, gpa: u64) -> [u8; N] {
        let mut b = [0u8; N];
        if let Some(off) = self.arena_offset(gpa, N) {
            b.copy_from_slice(&self.arena()[off..off + N]);
        }
        b
    }

    fn write_arena(&mut self, gpa: u64, data: &[u8]) {
        if let Some(off) = self.arena_offset(gpa, data.len()) {
            self.arena()[off..off + data.len()].copy_from_slice(data);
        }
    }

    fn region_gpa(&mut self, page: PageRef) -> u64 {
        let cfg = self.model().config();
        match page {
            PageRef::Region(x) if x < 1 << 31 => {
                let blocks = cfg.accept_region_size >> 21;
                cfg.accept_region_base + (x as u64 % blocks) * (2 << 20)
            }
            PageRef::Region(x) => {
                let pages = cfg.accept_region_size / 4096;
                cfg.accept_region_base + (x as u64 % pages) * 4096
            }
            PageRef::Raw(x) => x,
        }
    }

    fn field_id(&mut self, f: FieldRef) -> u64 {
        match f {
            FieldRef::Known(i) => {
                let ids = guest_td_element_ids();
                ids[i as usize % ids.len()]
            }
            FieldRef::Raw(x) => x,
        }
    }

    /// The module version the live simulated TD runs (read from it, so it is right between a
    /// [`Oracle::set_version`] and the next reset too).
    pub fn version(&mut self) -> ModuleVersion {
        self.model().config().module_version
    }

    /// Runs one call through the wrappers and checks it; in a child process if the
    /// implementation may not survive it ([`Wrappers::may_end_process`]).
    pub fn run_call(&mut self, call: &Call) -> Result<Outcome, Failure> {
        let version = self.version();
        let kind = call.kind();
        let result = if self.wrappers.provides(kind) && self.wrappers.may_end_process(kind) {
            self.run_call_in_child(call)
        } else {
            self.run_call_here(call)
        };
        result.map_err(|f| Failure {
            module: version,
            ..f
        })
    }

    /// [`Oracle::run_call`] in this process.
    fn run_call_here(&mut self, call: &Call) -> Result<Outcome, Failure> {
        wrappers::take_tdcall_default();
        let result = self.check_call(call);
        // A status forced for this call never outlives it, whether the call made its TDCALL,
        // failed before it, or was not provided.
        self.session.force_status_clear();
        if !W::TDCALL_DEFAULTS && wrappers::take_tdcall_default() {
            // A method the implementation does not define: its default returned before any
            // TDCALL, and the check's verdict on that (pass or fail) is no one's.
            return Ok(Outcome {
                leaf: kind_name(call.kind()),
                status: None,
                tdcalls: 0,
                not_run: Some(NOT_PROVIDED),
                vmcall: call.is_vmcall(),
                checks: Checks::NONE,
                branches: 0,
                policy: None,
            });
        }
        result
    }

    /// [`Oracle::run_call_here`] in a child process, for a call the implementation may not
    /// survive: its result comes back through a pipe, and a death is a [`Verdict::Crash`]
    /// (signal, or a panic, with the last TDCALL from a shared flight record). The simulated
    /// TD of this process is left as it was.
    fn run_call_in_child(&mut self, call: &Call) -> Result<Outcome, Failure> {
        let size = core::mem::size_of::<FlightRecord>();
        // SAFETY: mmap(2) of a fresh anonymous shared mapping (zero-filled: count 0, nothing
        // recorded), unmapped below after the child is gone.
        let page = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert!(page != libc::MAP_FAILED, "mmap failed");
        let flight = page.cast::<FlightRecord>();
        let mut fds = [0; 2];
        // SAFETY: pipe(2) with a valid two-int array.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe failed");
        // SAFETY: fork(2). The child runs this thread's check of one call (the wrapper, the
        // trap handler, allocation: glibc's malloc is reset for a forked child), writes the
        // result to the pipe and leaves with _exit; a lock another thread held at the fork
        // could still block it, and the alarm ends such a child (the name table's is held
        // across the fork: `wire::fork`).
        let pid = unsafe { wire::fork() };
        if pid == 0 {
            // SAFETY: this is the child just forked; close(2) of the read end, owned here.
            unsafe {
                quiet_child();
                libc::close(fds[0]);
            }
            // SAFETY: the mapping is valid for volatile reads and writes of a FlightRecord
            // until the child ends, and no reference to it is held.
            unsafe { self.session.set_flight_recorder(flight) };
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run_call_here(call)));
            let code = match result {
                Ok(r) => {
                    let bytes = wire::encode(&r);
                    let mut sent = 0;
                    while sent < bytes.len() {
                        // SAFETY: writes from a live buffer to the pipe's write end.
                        let n = unsafe {
                            libc::write(fds[1], bytes[sent..].as_ptr().cast(), bytes.len() - sent)
                        };
                        if n > 0 {
                            sent += n as usize;
                        } else if std::io::Error::last_os_error().kind()
                            != std::io::ErrorKind::Interrupted
                        {
                            break;
                        }
                    }
                    if sent == bytes.len() {
                        0
                    } else {
                        CHILD_WRITE_FAILED
                    }
                }
                Err(_) => CHILD_PANICKED,
            };
            // SAFETY: _exit(2) ends the child without running the parent's destructors.
            unsafe { libc::_exit(code) };
        }
        assert!(pid > 0, "fork failed");
        // SAFETY: closes the parent's copy of the write end, so the read below sees EOF when
        // the child is gone.
        unsafe { libc::close(fds[1]) };
        let mut bytes = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            // SAFETY: reads into a live buffer of that length.
            let n = unsafe { libc::read(fds[0], buf.as_mut_ptr().cast(), buf.len()) };
            match n {
                n if n > 0 => bytes.extend_from_slice(&buf[..n as usize]),
                0 => break,
                _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
                _ => break,
            }
        }
        // SAFETY: closes the read end, owned here.
        unsafe { libc::close(fds[0]) };
        let st = wait_child(pid);
        // SAFETY: the child is gone; the mapping holds a FlightRecord (plain data) it wrote.
        let rec = unsafe { core::ptr::read_volatile(flight) }.record();
        // SAFETY: unmaps the mapping made above; nothing refers to it any more.
        unsafe { libc::munmap(page, size) };
        if libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0 {
            if let Some(result) = wire::decode(&bytes) {
                return result;
            }
        }
        if libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == CHILD_WRITE_FAILED {
            panic!("the child checking {call:?} could not send its result");
        }
        let how = if libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0 {
            // The process ended with status 0 in the call, before the oracle could answer
            // (an `exit(0)` in the implementation, or a return to a wrong address that got
            // there).
            "it exited with status 0 inside the call".to_string()
        } else if libc::WIFSIGNALED(st) && libc::WTERMSIG(st) == libc::SIGALRM {
            "no return within 10 s".to_string()
        } else if libc::WIFSIGNALED(st) {
            format!("signal {}", libc::WTERMSIG(st))
        } else if libc::WEXITSTATUS(st) == CHILD_PANICKED {
            "a panic in the implementation".to_string()
        } else {
            format!("exit status {}", libc::WEXITSTATUS(st))
        };
        Err(crash_failure(call, &how, rec.as_ref(), self.version()))
    }

    fn check_call(&mut self, call: &Call) -> Result<Outcome, Failure> {
        self.session.clear_log();
        self.policy = None;
        self.ran = Checks::NONE;
        self.refused_without_tdcall = false;
        let seed = self.next_seed();
        if !self.wrappers.provides(call.kind()) {
            return Ok(Outcome {
                leaf: kind_name(call.kind()),
                status: None,
                tdcalls: 0,
                not_run: Some(NOT_PROVIDED),
                vmcall: false,
                checks: self.ran,
                branches: 0,
                policy: None,
            });
        }
        // The hostile VMM's answers to this call depend on the call alone (and the VMM's
        // seed), not on the calls before it: a shrunk program replays them identically.
        self.model().begin_vmm_call(call_salt(call));
        if call.is_vmcall() {
            return self.run_vmcall(call, seed);
        }
        if let Call::MrKeyGet { .. } = call {
            return self.run_mr_key_get(call, seed);
        }
        if call.is_leaf15() {
            return self.run_leaf15(call, seed);
        }
        match *call {
            Call::VpInfo => {
                let c = contract(leaf::TDG_VP_INFO, 0);
                let (got, lost) = under_canaries(seed, || self.wrappers.vp_info());
                let rec = self.checked_record(c, call, &[], lost)?;
                self.decoding(c, call, &rec, &got, &expect::vp_info(c, &rec.output))?;
                if let Ok(info) = got {
                    let cfg = self.model().config();
                    let ok = info.gpa_width == if cfg.gpaw_52 { 52 } else { 48 }
                        && info.attributes.0 == cfg.attributes
                        && info.num_vcpus == cfg.num_vcpus
                        && info.max_vcpus == cfg.max_vcpus
                        && info.vcpu_index == cfg.vcpu_index;
                    self.semantics(c, call, &rec, ok, || {
                        format!("TD info {info:?} does not describe the simulated TD")
                    })?;
                }
                Ok(self.outcome(c, &rec))
            }
            Call::RtmrExtend {
                data,
                index,
                value,
                busy,
            } => {
                let c = contract(leaf::TDG_MR_RTMR_EXTEND, 0);
                let gpa = self.mem_gpa(data, 48);
                self.write_arena(gpa, &value);
                let index = u64::from(index);
                let fields = [("extend_data_gpa", gpa), ("index", index)];
                // A rejected operand is checked alone, the others made valid (the arena, index
                // 0): the module's check order must not decide which rejection is expected.
                let arena = self.session.arena_gpa();
                let (g, i) = match AlignedGpa::<64>::new(gpa) {
                    Err(e) => {
                        let alone = [("extend_data_gpa", gpa), ("index", 0)];
                        return self.check_rejection(
                            c,
                            call,
                            &alone,
                            e,
                            INVALID,
                            Some("extend_data_gpa"),
                        );
                    }
                    Ok(g) => match RtmrIndex::new(index) {
                        Err(e) => {
                            let alone = [("extend_data_gpa", arena), ("index", index)];
                            return self.check_rejection(
                                c,
                                call,
                                &alone,
                                e,
                                INVALID,
                                Some("index"),
                            );
                        }
                        Ok(i) => (g, i),
                    },
                };
                if !self.completes(c, &fields, &[gpa]) {
                    return Ok(self.not_run(c, NO_COMPLETION));
                }
                if self.wrappers.takes_memory_by_reference(Kind::RtmrExtend)
                    && !self.in_arena(gpa, 48, false)
                {
                    return Ok(self.not_run(c, BY_REFERENCE));
                }
                self.model().set_rtmr_busy(busy);
                let before = self.model().rtmr(i.get() as usize);
                let seen: [u8; 48] = self.arena_bytes(gpa);
                let (got, lost) = under_canaries(seed, || self.wrappers.rtmr_extend(g, i));
                self.model().set_rtmr_busy(false);
                let rec = self.checked_record(c, call, &fields, lost)?;
                self.decoding(c, call, &rec, &got, &expect::status(&rec.output))?;
                let after = self.model().rtmr(i.get() as usize);
                let want = if got.is_ok() {
                    let mut h = Sha384::new();
                    h.update(before);
                    h.update(seen);
                    let d: [u8; 48] = h.finalize().into();
                    d
                } else {
                    before
                };
                self.semantics(c, call, &rec, after == want, || {
                    format!(
                        "RTMR[{}] is {} after {:?}; expected {}",
                        i.get(),
                        hex(&after),
                        got,
                        hex(&want)
                    )
                })?;
                Ok(self.outcome(c, &rec))
            }
            Call::VeinfoGet { info, version } => {
                let Some(c) = lookup(leaf::TDG_VP_VEINFO_GET, version) else {
                    return Ok(self.not_run(contract(leaf::TDG_VP_VEINFO_GET, 0), UNENCODABLE));
                };
                if version > W::VEINFO_GET_MAX_VERSION {
                    return Ok(self.not_run(c, NOT_PROVIDED));
                }
                let planted = info.map(|i| ModelVeInfo {
                    exit_reason: i.exit_reason,
                    exit_qualification: i.exit_qualification,
                    gla: i.gla,
                    gpa: i.gpa,
                    instruction_length: i.instruction_length,
                    instruction_info: i.instruction_info,
                    ve_category: i.ve_category,
                    interruptibility_state: i.interruptibility_state,
                });
                self.model().set_ve_info(planted);
                let want = planted.map(|i| VeInfoExt {
                    info: VeInfo {
                        exit_reason: i.exit_reason,
                        exit_qualification: i.exit_qualification,
                        gla: i.gla,
                        gpa: i.gpa,
                        instruction_length: i.instruction_length,
                        instruction_info: i.instruction_info,
                    },
                    ve_category: i.ve_category,
                    interruptibility_state: (version >= 2).then_some(i.interruptibility_state),
                });
                // Version 0 has no category: what it reports is compared as version 1's
                // information with the category the model holds.
                let (rec, got) = if version == 0 {
                    let (got, lost) = under_canaries(seed, || self.wrappers.veinfo_get());
                    let rec = self.checked_record(c, call, &[], lost)?;
                    self.decoding(c, call, &rec, &got, &expect::veinfo(c, &rec.output))?;
                    let category = want.map_or(0, |w| w.ve_category);
                    let got = got.map(|info| VeInfoExt {
                        info,
                        ve_category: category,
                        interruptibility_state: None,
                    });
                    (rec, got)
                } else {
                    let (got, lost) = under_canaries(seed, || {
                        if version == 1 {
                            self.wrappers.veinfo_get_v1()
                        } else {
                            self.wrappers.veinfo_get_v2()
                        }
                    });
                    let rec = self.checked_record(c, call, &[], lost)?;
                    self.decoding(c, call, &rec, &got, &expect::veinfo_ext(c, &rec.output))?;
                    (rec, got)
                };
                let left = self.model().ve_info();
                // Success: the planted information came back and was consumed. An error (none
                // planted, or a module without this leaf version): nothing was consumed.
                let ok = match got {
                    Ok(g) => Some(g) == want && left.is_none(),
                    Err(_) => left == planted,
                };
                self.semantics(c, call, &rec, ok, || {
                    format!("planted {want:?}, wrapper got {got:?}, module still holds {left:?}")
                })?;
                Ok(self.outcome(c, &rec))
            }
            Call::Report {
                report,
                data,
                subtype,
                requestor,
                report_data,
                interrupts,
            } => {
                let c = contract(leaf::TDG_MR_REPORT, 0);
                let rgpa = self.mem_gpa(report, 1024);
                let dgpa = self.mem_gpa(data, 64);
                self.write_arena(dgpa, &report_data);
                let requestor = requestor % 4;
                let fields = [
                    ("report_gpa", rgpa),
                    ("report_data_gpa", dgpa),
                    ("subtype", subtype as u64),
                    ("requestor_id", u64::from(requestor)),
                ];
                // As for RTMR.EXTEND: each rejected operand alone, the others valid.
                let arena = self.session.arena_gpa();
                let (r, d) = match AlignedGpa::<1024>::new(rgpa) {
                    Err(e) => {
                        let alone = [
                            ("report_gpa", rgpa),
                            ("report_data_gpa", arena),
                            ("subtype", 0),
                            ("requestor_id", 0),
                        ];
                        return self.check_rejection(
                            c,
                            call,
                            &alone,
                            e,
                            INVALID,
                            Some("report_gpa"),
                        );
                    }
                    Ok(r) => match AlignedGpa::<64>::new(dgpa) {
                        Err(e) => {
                            let alone = [
                                ("report_gpa", arena),
                                ("report_data_gpa", dgpa),
                                ("subtype", 0),
                                ("requestor_id", 0),
                            ];
                            return self.check_rejection(
                                c,
                                call,
                                &alone,
                                e,
                                INVALID,
                                Some("report_data_gpa"),
                            );
                        }
                        Ok(d) => (r, d),
                    },
                };
                let saved = self
                    .model()
                    .set_report_v3_enables(interrupts & 0x20 != 0, interrupts & 0x40 != 0);
                if !self.completes(c, &fields, &[rgpa, dgpa]) {
                    self.model().set_report_v3_enables(saved.0, saved.1);
                    return Ok(self.not_run(c, NO_COMPLETION));
                }
                let seen: [u8; 64] = self.arena_bytes(dgpa);
                let before: [u8; 1024] = self.arena_bytes(rgpa);
                self.model()
                    .set_interrupt_pending(u32::from(interrupts % 4));
                self.model().set_rtmr_busy(interrupts & 0x80 != 0);
                let w = &self.wrappers;
                let who = ReportRequestor::new(requestor).expect("requestor is taken mod 4");
                // SAFETY: both addresses are the arena (owned by the session and not borrowed
                // during the call) or memory the simulated module does not write.
                let (got, lost) = under_canaries(seed, || unsafe { w.report(r, d, subtype, who) });
                self.model().set_interrupt_pending(0);
                self.model().set_rtmr_busy(false);
                // The model's report, under this call's enables, before they are restored.
                let modelled = got
                    .is_ok()
                    .then(|| self.model().expected_report_for(&seen, requestor));
                self.model().set_report_v3_enables(saved.0, saved.1);
                let rec = self.checked_record(c, call, &fields, lost)?;
                self.decoding(c, call, &rec, &got, &expect::status(&rec.output))?;
                let after: [u8; 1024] = self.arena_bytes(rgpa);
                let in_arena = self.arena_offset(rgpa, 1024).is_some();
                let want = match modelled {
                    Some(report) if in_arena => report,
                    _ => before,
                };
                // Independently of the model's report: REPORTDATA sits at byte 128.
                let data_in_place = !(got.is_ok() && in_arena) || after[128..192] == seen[..];
                self.semantics(c, call, &rec, after == want && data_in_place, || {
                    let diff = after.iter().zip(want.iter()).position(|(a, b)| a != b);
                    format!(
                        "report buffer after {got:?} differs from the model's from byte {diff:?}"
                    )
                })?;
                Ok(self.outcome(c, &rec))
            }
            Call::CpuidveSet { supervisor, user } => {
                let c = contract(leaf::TDG_VP_CPUIDVE_SET, 0);
                let fields = [("supervisor", supervisor as u64), ("user", user as u64)];
                let cfg = CpuidVe { supervisor, user };
                let (got, lost) = under_canaries(seed, || self.wrappers.cpuidve_set(cfg));
                let rec = self.checked_record(c, call, &fields, lost)?;
                self.decoding(c, call, &rec, &got, &expect::status(&rec.output))?;
                let now = self.model().cpuid_ve();
                self.semantics(
                    c,
                    call,
                    &rec,
                    got.is_err() || now == (supervisor, user),
                    || format!("CPUID #VE setting is {now:?} after {got:?}"),
                )?;
                Ok(self.outcome(c, &rec))
            }
            Call::Accept {
                page,
                level,
                busy,
                interrupts,
            } => {
                let c = contract(leaf::TDG_MEM_PAGE_ACCEPT, 0);
                let gpa = self.region_gpa(page);
                // GPA bits 11:0 have no place in the operand: such a GPA is unencodable, which
                // the all-ones field value (too wide for the field) makes the model say.
                let gpa_field = if gpa & 0xfff == 0 {
                    gpa >> 12
                } else {
                    u64::MAX
                };
                let level = u64::from(level);
                let fields = [("level", level), ("gpa", gpa_field)];
                let typed =
                    Gpa::new(gpa).and_then(|g| AcceptPage::new(g, PageLevel::from_raw(level)?));
                let p = match typed {
                    Ok(p) => p,
                    Err(e) => {
                        return self.check_rejection(c, call, &fields, e, INVALID, Some("gpa"))
                    }
                };
                let pages = p.level().size() / 4096;
                let snapshot = |m: &mut TdxModule| -> Vec<_> {
                    (0..pages.min(512))
                        .map(|k| m.page(gpa + k * 4096))
                        .collect()
                };
                let cfg = self.model().config();
                let in_region = gpa.wrapping_sub(cfg.accept_region_base) < cfg.accept_region_size;
                let busy = busy && in_region;
                if busy {
                    self.model().set_busy(gpa, true);
                }
                self.model()
                    .set_interrupt_pending(u32::from(interrupts % 4));
                let before = snapshot(self.model());
                let w = &self.wrappers;
                // SAFETY: the page is the simulated TD's: accepting it zeroes no real memory.
                let (got, lost) = under_canaries(seed, || unsafe { w.accept(p) });
                self.model().set_interrupt_pending(0);
                let after = snapshot(self.model());
                if busy {
                    self.model().set_busy(gpa, false);
                }
                let rec = self.checked_record(c, call, &fields, lost)?;
                self.decoding(c, call, &rec, &got, &expect::accept(&rec.output))?;
                let ok = match got {
                    Ok(Accepted::Accepted) => {
                        after.iter().all(|i| i.state == PageState::Accepted)
                            && before.iter().all(|i| i.state != PageState::Accepted)
                    }
                    Ok(Accepted::AlreadyAccepted { .. }) => {
                        before.iter().all(|i| i.state == PageState::Accepted)
                            && same_states(&before, &after)
                    }
                    Err(_) => same_states(&before, &after),
                };
                self.semantics(c, call, &rec, ok, || {
                    format!(
                        "page states before {:?} and after {:?} (first pages) do not fit {got:?}",
                        &before[..before.len().min(2)],
                        &after[..after.len().min(2)]
                    )
                })?;
                Ok(self.outcome(c, &rec))
            }
            Call::AcceptRange { .. } => self.run_accept_range(call, seed),
            Call::VmRd { field } | Call::VmRdV1 { field } => {
                let v1 = matches!(call, Call::VmRdV1 { .. });
                let c = contract(leaf::TDG_VM_RD, v1 as u8);
                let id = self.field_id(field);
                let fields = [("vm_index", 0), ("field_id", id)];
                let f = match FieldId::new(id) {
                    Ok(f) => f,
                    Err(e) => {
                        return self.check_rejection(c, call, &fields, e, FIELD_ID_INCORRECT, None)
                    }
                };
                let w = &self.wrappers;
                let (got, lost) = under_canaries(seed, || {
                    if v1 {
                        w.vm_rd_v1(f)
                    } else {
                        w.vm_rd(f).map(|v| (v, None))
                    }
                });
                let rec = self.checked_record(c, call, &fields, lost)?;
                let want = expect::metadata_read(c, &rec.output, v1);
                let got = got.map(|(v, n)| (v, n.map(FieldId::raw)));
                self.decoding(c, call, &rec, &got, &want)?;
                if let Ok((v, _)) = got {
                    let m = self.model().metadata(id);
                    self.semantics(c, call, &rec, m == Some(v), || {
                        format!("read {v:#x} but the model's field holds {m:x?}")
                    })?;
                }
                Ok(self.outcome(c, &rec))
            }
            Call::VmRdFirst => {
                let c = contract(leaf::TDG_VM_RD, 1);
                let fields = [("vm_index", 0), ("field_id", u64::MAX)];
                let (got, lost) = under_canaries(seed, || self.wrappers.vm_rd_first());
                let rec = self.checked_record(c, call, &fields, lost)?;
                let want = expect::first_field_id(c, &rec.output);
                let got_raw = got.map(FieldId::raw);
                self.decoding(c, call, &rec, &got_raw, &want)?;
                if let Ok(first) = got_raw {
                    let model_first = self.model().metadata_fields().next().map(|f| f.0);
                    self.semantics(c, call, &rec, model_first == Some(first), || {
                        format!("first field {first:#x}, model's first is {model_first:x?}")
                    })?;
                }
                Ok(self.outcome(c, &rec))
            }
            Call::VmWr {
                field,
                value,
                mask,
                narrow,
            } => {
                let (value, mask) = if narrow {
                    (value & 0xf, mask & 0xf)
                } else {
                    (value, mask)
                };
                let c = contract(leaf::TDG_VM_WR, 0);
                let id = self.field_id(field);
                let fields = [
                    ("vm_index", 0),
                    ("field_id", id),
                    ("value", value),
                    ("write_mask", mask),
                ];
                let f = match FieldId::new(id) {
                    Ok(f) => f,
                    Err(e) => {
                        return self.check_rejection(c, call, &fields, e, FIELD_ID_INCORRECT, None)
                    }
                };
                let before = self.model().metadata(id);
                let (got, lost) = under_canaries(seed, || self.wrappers.vm_wr(f, value, mask));
                let rec = self.checked_record(c, call, &fields, lost)?;
                let want = expect::old_value(c, &rec.output);
                self.decoding(c, call, &rec, &got, &want)?;
                let after = self.model().metadata(id);
                let expect_after = match got {
                    // TD_CTLS may set bits of its own (REDUCE_VE, 1.5.34 on): the model says.
                    Ok(old) if self.model().metadata_name(id) == Some("TD_CTLS") => {
                        Some(self.model().td_ctls_written((old & !mask) | (value & mask)))
                    }
                    Ok(old) => Some((old & !mask) | (value & mask)),
                    Err(_) => before,
                };
                let ok = after == expect_after && got.map_or(true, |old| Some(old) == before);
                self.semantics(c, call, &rec, ok, || {
                    format!("field was {before:x?}, is {after:x?} after {got:x?}; expected {expect_after:x?}")
                })?;
                Ok(self.outcome(c, &rec))
            }
            Call::ForcedStatus {
                leaf: which,
                status,
            } => {
                let raw = match status {
                    StatusRef::Known { index, details } => {
                        let known = tdx_model::status::KNOWN;
                        known[index as usize % known.len()].1 | u64::from(details)
                    }
                    StatusRef::Raw(x) => x,
                };
                self.run_forced(call, seed, which, raw)
            }
            // TDG.VP.VMCALL calls, routed above.
            _ => self.run_vmcall(call, seed),
        }
    }

    fn run_forced(
        &mut self,
        call: &Call,
        seed: u64,
        which: u8,
        status: u64,
    ) -> Result<Outcome, Failure> {
        check_status_fields(status)?;
        let which = usize::from(which) % (FORCED_CORE + forced::FORCED_CALLS.len());
        if which >= FORCED_CORE {
            return self.run_forced_call(call, which - FORCED_CORE, status);
        }
        let kind = [
            Kind::VpInfo,
            Kind::VeinfoGet,
            Kind::CpuidveSet,
            Kind::VmRd,
            Kind::Accept,
            Kind::VmRdV1,
            Kind::VmRdFirst,
            Kind::VmWr,
            Kind::RtmrExtend,
            Kind::Report,
        ][which];
        if !self.wrappers.provides(kind) {
            return Ok(Outcome {
                leaf: FORCED,
                status: None,
                tdcalls: 0,
                not_run: Some(NOT_PROVIDED),
                vmcall: false,
                checks: self.ran,
                branches: 0,
                policy: None,
            });
        }
        let page = self.region_gpa(PageRef::Region(0));
        let first_field = self.field_id(FieldRef::Known(0));
        self.session.force_status(status);
        let w = &self.wrappers;
        let arena = self.session.arena_gpa();
        let (c, rec) = match which {
            0 => {
                let c = contract(leaf::TDG_VP_INFO, 0);
                let (got, lost) = under_canaries(seed, || w.vp_info());
                let rec = self.checked_record(c, call, &[], lost)?;
                self.decoding(c, call, &rec, &got, &expect::vp_info(c, &rec.output))?;
                (c, rec)
            }
            1 => {
                let c = contract(leaf::TDG_VP_VEINFO_GET, 0);
                let (got, lost) = under_canaries(seed, || w.veinfo_get());
                let rec = self.checked_record(c, call, &[], lost)?;
                self.decoding(c, call, &rec, &got, &expect::veinfo(c, &rec.output))?;
                (c, rec)
            }
            2 => {
                let c = contract(leaf::TDG_VP_CPUIDVE_SET, 0);
                let fields = [("supervisor", 0), ("user", 0)];
                let (got, lost) = under_canaries(seed, || w.cpuidve_set(CpuidVe::default()));
                let rec = self.checked_record(c, call, &fields, lost)?;
                self.decoding(c, call, &rec, &got, &expect::status(&rec.output))?;
                (c, rec)
            }
            3 => {
                let c = contract(leaf::TDG_VM_RD, 0);
                let fields = [("vm_index", 0), ("field_id", first_field)];
                let f = FieldId::new(first_field).expect("model's first field id is well-formed");
                let (got, lost) = under_canaries(seed, || w.vm_rd(f).map(|v| (v, None::<u64>)));
                let rec = self.checked_record(c, call, &fields, lost)?;
                self.decoding(
                    c,
                    call,
                    &rec,
                    &got,
                    &expect::metadata_read(c, &rec.output, false),
                )?;
                (c, rec)
            }
            5 => {
                let c = contract(leaf::TDG_VM_RD, 1);
                let fields = [("vm_index", 0), ("field_id", first_field)];
                let f = FieldId::new(first_field).expect("model's first field id is well-formed");
                let (got, lost) = under_canaries(seed, || w.vm_rd_v1(f));
                let got = got.map(|(v, n)| (v, n.map(FieldId::raw)));
                let rec = self.checked_record(c, call, &fields, lost)?;
                self.decoding(
                    c,
                    call,
                    &rec,
                    &got,
                    &expect::metadata_read(c, &rec.output, true),
                )?;
                (c, rec)
            }
            6 => {
                let c = contract(leaf::TDG_VM_RD, 1);
                let fields = [("vm_index", 0), ("field_id", u64::MAX)];
                let (got, lost) = under_canaries(seed, || w.vm_rd_first());
                let got = got.map(FieldId::raw);
                let rec = self.checked_record(c, call, &fields, lost)?;
                self.decoding(c, call, &rec, &got, &expect::first_field_id(c, &rec.output))?;
                (c, rec)
            }
            7 => {
                let c = contract(leaf::TDG_VM_WR, 0);
                let fields = [
                    ("vm_index", 0),
                    ("field_id", first_field),
                    ("value", 0),
                    ("write_mask", 0),
                ];
                let f = FieldId::new(first_field).expect("model's first field id is well-formed");
                let (got, lost) = under_canaries(seed, || w.vm_wr(f, 0, 0));
                let rec = self.checked_record(c, call, &fields, lost)?;
                self.decoding(c, call, &rec, &got, &expect::old_value(c, &rec.output))?;
                (c, rec)
            }
            8 => {
                let c = contract(leaf::TDG_MR_RTMR_EXTEND, 0);
                let fields = [("extend_data_gpa", arena), ("index", 3)];
                let g = AlignedGpa::<64>::new(arena).expect("the arena is page aligned");
                let i = RtmrIndex::new(3).expect("index 3");
                let (got, lost) = under_canaries(seed, || w.rtmr_extend(g, i));
                let rec = self.checked_record(c, call, &fields, lost)?;
                self.decoding(c, call, &rec, &got, &expect::status(&rec.output))?;
                (c, rec)
            }
            9 => {
                let c = contract(leaf::TDG_MR_REPORT, 0);
                let fields = [
                    ("report_gpa", arena + 1024),
                    ("report_data_gpa", arena),
                    ("subtype", 0),
                    ("requestor_id", 0),
                ];
                let r = AlignedGpa::<1024>::new(arena + 1024).expect("arena slot");
                let d = AlignedGpa::<64>::new(arena).expect("arena slot");
                let who = ReportRequestor::default();
                // SAFETY: both are the arena, which nothing borrows during the call.
                let (got, lost) = under_canaries(seed, || unsafe { w.report(r, d, 0, who) });
                let rec = self.checked_record(c, call, &fields, lost)?;
                self.decoding(c, call, &rec, &got, &expect::status(&rec.output))?;
                (c, rec)
            }
            _ => {
                let c = contract(leaf::TDG_MEM_PAGE_ACCEPT, 0);
                let fields = [("level", 0), ("gpa", page >> 12)];
                let p = AcceptPage::new(Gpa::new(page).expect("region GPA"), PageLevel::Size4K)
                    .expect("4 KiB aligned");
                // SAFETY: the page is the simulated TD's: accepting it zeroes no real memory.
                let (got, lost) = under_canaries(seed, || unsafe { w.accept(p) });
                let rec = self.checked_record(c, call, &fields, lost)?;
                self.decoding(c, call, &rec, &got, &expect::accept(&rec.output))?;
                (c, rec)
            }
        };
        self.session.force_status_clear();
        Ok(Outcome {
            leaf: FORCED,
            ..self.outcome(c, &rec)
        })
    }

    /// Entry `index` of [`forced::FORCED_CALLS`] with `status` forced on its first completed
    /// TDCALL (a TDG.VP.VMCALL: refused by the module).
    fn run_forced_call(
        &mut self,
        call: &Call,
        index: usize,
        status: u64,
    ) -> Result<Outcome, Failure> {
        let inner = forced::FORCED_CALLS[index].clone();
        let refusal = inner.is_vmcall() && status != 0 && self.wrappers.provides(inner.kind());
        let stops = refusal
            .then(|| {
                let known = self
                    .stops_on_refusal
                    .iter()
                    .find(|(k, _)| *k == inner.kind());
                match known {
                    Some((_, how)) => how.clone(),
                    // ReportFatalError never returns: its check runs in a child anyway, which
                    // tells whether it stopped (`Oracle::fatal_stopped`).
                    None if inner.kind() == Kind::VmcallFatal => None,
                    None => {
                        let how = self.stops_in_child(&inner, status);
                        self.stops_on_refusal.push((inner.kind(), how.clone()));
                        how
                    }
                }
            })
            .flatten();
        if let Some(how) = stops {
            return self.stopped_on_refusal(call, &inner, status, &how);
        }
        self.session.force_status(status);
        self.forced = true;
        self.refusing = refusal;
        let result = self.check_call(&inner);
        self.forced = false;
        self.refusing = false;
        self.session.force_status_clear();
        if let Some(how) = self.fatal_stopped.take() {
            self.stops_on_refusal
                .push((inner.kind(), Some(how.clone())));
            return self.stopped_on_refusal(call, &inner, status, &how);
        }
        let outcome = result.map_err(|f| Failure {
            call: format!("{} on {}", call_text(call), f.call),
            ..f
        })?;
        Ok(Outcome {
            leaf: FORCED,
            ..outcome
        })
    }

    /// The verdict on an implementation that stopped (`how`) when the module refused `inner`'s
    /// TDVMCALL with `status`: policy if it declares that fail-stop, a decoding failure if not.
    fn stopped_on_refusal(
        &mut self,
        call: &Call,
        inner: &Call,
        status: u64,
        how: &str,
    ) -> Result<Outcome, Failure> {
        if !W::HALTS_ON_MODULE_REFUSAL {
            return Err(Failure {
                verdict: Verdict::Decoding,
                leaf: kind_name(inner.kind()),
                call: format!("{} on {}", call_text(call), call_text(inner)),
                detail: format!(
                    "the implementation stopped ({how}) when the TDX module refused the \
                     TDVMCALL with {status:#x}, and declares no fail-stop \
                     (Wrappers::HALTS_ON_MODULE_REFUSAL)"
                ),
                table: String::new(),
                module: self.version(),
                differs: Vec::new(),
            });
        }
        Ok(Outcome {
            leaf: FORCED,
            status: Some(status),
            tdcalls: 0,
            not_run: Some(HALTS_ON_REFUSAL),
            vmcall: true,
            checks: Checks::NONE,
            branches: 0,
            policy: Some(HALTS_ON_REFUSAL),
        })
    }

    /// Makes the trap write every TDCALL into `recorder` as well (null: stop), for a parent
    /// process to read if this one dies ([`crash_failure`]).
    ///
    /// # Safety
    ///
    /// As [`tdx_trap::Session::set_flight_recorder`].
    pub unsafe fn set_flight_recorder(&mut self, recorder: *mut tdx_trap::FlightRecord) {
        // SAFETY: forwarded from the caller.
        unsafe { self.session.set_flight_recorder(recorder) }
    }

    /// Runs `inner` with `status` forced in a child process: how the child stopped if the
    /// implementation did not return (killed by a fault signal: `ud2`, a wild access, an
    /// abort), `None` if it returned. Anything else (the oracle panicking in the child, a child
    /// that does not finish within 10 s) is an error of the harness and panics here.
    fn stops_in_child(&mut self, inner: &Call, status: u64) -> Option<String> {
        // SAFETY: fork(2). The child runs this thread's check of one call: the wrapper, the
        // trap handler, allocation (glibc's malloc is reset for a forked child) and no output
        // (stderr goes to /dev/null). A lock another thread held at the fork could still block
        // it: the alarm ends such a child, and the parent reports it as a harness error.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: this is the child just forked.
            unsafe { quiet_child() };
            // SAFETY: null stops the recording: the parent's record stays its own.
            unsafe { self.session.set_flight_recorder(core::ptr::null_mut()) };
            self.session.force_status(status);
            self.forced = true;
            let returned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _ = self.check_call(inner);
            }));
            // SAFETY: _exit(2) ends the child without running the parent's destructors.
            unsafe { libc::_exit(if returned.is_ok() { 0 } else { CHILD_PANICKED }) };
        }
        assert!(pid > 0, "fork failed");
        let st = wait_child(pid);
        if libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0 {
            None
        } else if libc::WIFSIGNALED(st) && FAULT_SIGNALS.contains(&libc::WTERMSIG(st)) {
            Some(format!("signal {}", libc::WTERMSIG(st)))
        } else {
            panic!(
                "the child process checking {inner:?} under a forced refusal ended with wait \
                 status {st:#x} (exit {CHILD_PANICKED}: the oracle panicked; SIGALRM: no end \
                 within 10 s)"
            )
        }
    }

    fn run_accept_range(&mut self, call: &Call, seed: u64) -> Result<Outcome, Failure> {
        const NAME: &str = "accept_range (TDG.MEM.PAGE.ACCEPT)";
        const GIB: u64 = 1 << 30;
        let Call::AcceptRange {
            first_page,
            pages,
            max_level,
            busy_page,
            busy_for,
            window,
        } = *call
        else {
            unreachable!("run_accept_range on {call:?}")
        };
        let c = contract(leaf::TDG_MEM_PAGE_ACCEPT, 0);
        let cfg = self.model().config().clone();
        let (base, size) = (cfg.accept_region_base, cfg.accept_region_size);
        let window_start = base & !(GIB - 1);
        let window = window == u8::MAX && base + size <= window_start + GIB;
        let (start, n, max_level) = if window {
            (window_start, GIB / 4096, PageLevel::Size1G)
        } else {
            let first = first_page as u64 % (size / 4096);
            let n = (1 + pages as u64 % 1100).min(size / 4096 - first);
            let level = match max_level % 3 {
                0 => PageLevel::Size4K,
                1 => PageLevel::Size2M,
                _ => PageLevel::Size1G,
            };
            (base + first * 4096, n, level)
        };
        let end = start + n * 4096;
        let opts = AcceptOptions {
            max_level,
            busy_retries: ACCEPT_BUSY_RETRIES,
        };
        // The part of the range inside the region, and up to 2 MiB around it: inside the range
        // it must end accepted, outside unchanged. Memory outside the region has no state.
        let (in_lo, in_hi) = (start.max(base), end.min(base + size));
        let lo = in_lo.saturating_sub(2 << 20).max(base);
        let hi = (in_hi + (2 << 20)).min(base + size);
        // Host choices for this call: a page lock held for `busy_for` accepts, 2 MiB leaves
        // outside the region in the window.
        let busy_gpa = (busy_for != 0 && in_lo < in_hi)
            .then(|| in_lo + (busy_page as u64 % ((in_hi - in_lo) / 4096)) * 4096);
        if let Some(g) = busy_gpa {
            self.model().hold_busy(g, u32::from(busy_for));
        }
        self.model().map_outside_2m(window);
        let snapshot = |m: &mut TdxModule| -> Vec<_> {
            (lo..hi).step_by(4096).map(|g| (g, m.page(g))).collect()
        };
        let before = snapshot(self.model());
        let w = &self.wrappers;
        let (got, lost) = under_canaries(seed, || {
            // SAFETY: the range is the simulated TD's: accepting it zeroes no real memory.
            unsafe { w.accept_range(start, n * 4096, opts) }
        });
        let hold = self.model().release_busy_hold();
        self.model().map_outside_2m(false);
        let after = snapshot(self.model());
        // Every TDCALL (as many as the log keeps) must be the contract's encoding of a page of
        // the range.
        let log = self.log().to_vec();
        let mut branches = 0u16;
        for rec in log.iter().filter(|r| r.kind == RecordKind::Completed) {
            let level = c.input_field(&rec.input, "level").unwrap_or(u64::MAX);
            let gpa = c.input_field(&rec.input, "gpa").unwrap_or(0) << 12;
            let page_size = 4096u64 << (9 * level.min(2));
            let same = c
                .encode(&[("level", level), ("gpa", gpa >> 12)])
                .is_ok_and(|e| e.as_slice().iter().all(|(r, v)| rec.input[*r] == *v));
            if rec.input[Gpr::Rax] != c.rax()
                || !same
                || level > 2
                || gpa & (page_size - 1) != 0
                || gpa < start
                || gpa + page_size > end
            {
                return Err(Failure {
                    verdict: Verdict::Encoding,
                    leaf: NAME,
                    call: call_text(call),
                    detail: format!(
                        "a TDCALL that is not the contract's encoding of a page of \
                         [{start:#x}, {end:#x})"
                    ),
                    table: register_table(rec, Some(c), &rec.input),
                    module: ModuleVersion::NEWEST,
                    differs: Vec::new(),
                });
            }
            let st = rec.output[Gpr::Rax];
            let is = |code: u64| st >> 32 == code >> 32;
            if is(status::TDX_PAGE_SIZE_MISMATCH) {
                branches |= reach::branch(NAME, "fallback on PAGE_SIZE_MISMATCH");
            }
            if level == 2 && st == status::TDX_OPERAND_INVALID + status::operand::RCX {
                branches |= reach::branch(NAME, "fallback from 1 GiB on OPERAND_INVALID(RCX)");
            }
            if is(status::TDX_PAGE_ALREADY_ACCEPTED) {
                branches |= reach::branch(NAME, "skip on PAGE_ALREADY_ACCEPTED");
            }
        }
        self.ran.insert(Verdict::Encoding);
        if lost != 0 {
            return Err(self.fail(
                Verdict::Clobbers,
                NAME,
                call,
                format!(
                    "values live across accept_range were overwritten ({})",
                    describe_lost(lost)
                ),
            ));
        }
        self.ran.insert(Verdict::Clobbers);
        if self.forced {
            return self.forced_accept_range(call, &log, start, got);
        }
        // Inside the accept region the honest VMM resolves every TD exit and only the host's
        // lock makes a page busy: the helper must succeed, unless the lock answered
        // OPERAND_BUSY more often than the helper's bound allows in a row; then it must stop
        // at the locked entry, with everything below it accepted and nothing above touched.
        let answered = hold.map_or(0, |h| h.answered);
        let beyond = answered > opts.busy_retries;
        branches |= match answered {
            0 => 0,
            _ if beyond => reach::branch(NAME, "OPERAND_BUSY beyond the bound"),
            _ => reach::branch(NAME, "OPERAND_BUSY retried within the bound"),
        };
        let (stop, stats) = match (got, hold) {
            (Ok(stats), _) if !beyond => (end, stats),
            // The locked entry (the 2 MiB leaf, or the 4 KiB page), asked for at its own
            // level, exactly bound + 1 times.
            (
                Err(AcceptError::Busy {
                    gpa,
                    level,
                    attempts,
                }),
                Some(h),
            ) if beyond
                && level as u8 == h.level
                && gpa.raw() == h.gpa & !(level.size() - 1)
                && attempts == answered
                && answered == opts.busy_retries + 1 =>
            {
                (gpa.raw(), AcceptStats::default())
            }
            (got, _) => {
                let want = if beyond {
                    format!(
                        "a Busy error at the locked entry ({hold:?}) after {} attempts",
                        opts.busy_retries + 1
                    )
                } else {
                    "success".to_string()
                };
                return Err(self.fail(
                    Verdict::Semantics,
                    NAME,
                    call,
                    format!(
                        "accept_range returned {got:?}; the host's lock answered OPERAND_BUSY \
                         {answered} times (bound {}): expected {want}",
                        opts.busy_retries
                    ),
                ));
            }
        };
        let mut newly = 0u64;
        for ((g, b), (_, a)) in before.iter().zip(&after) {
            let ok = if (start..stop).contains(g) {
                a.state == PageState::Accepted
            } else {
                // The honest VMM may split a pending 2 MiB leaf the range only partly covers:
                // the level of a page outside may change, its state may not.
                a.state == b.state
            };
            if !ok {
                return Err(self.fail(
                    Verdict::Semantics,
                    NAME,
                    call,
                    format!(
                        "page {g:#x} went from {b:?} to {a:?} (range [{start:#x}, {end:#x}), \
                         accepted up to {stop:#x})"
                    ),
                ));
            }
            newly += u64::from((start..stop).contains(g) && b.state != PageState::Accepted);
        }
        let reported: u64 = (0..3).map(|l| stats.accepted[l] << (9 * l)).sum();
        if stop == end && (reported != newly || stats.busy_retries != u64::from(answered)) {
            return Err(self.fail(
                Verdict::Semantics,
                NAME,
                call,
                format!(
                    "accept_range reports {stats:?} ({reported} pages); {newly} were accepted \
                     and the host's lock answered OPERAND_BUSY {answered} times"
                ),
            ));
        }
        self.ran.insert(Verdict::Semantics);
        Ok(Outcome {
            leaf: NAME,
            status: self.session.last_record().map(|r| r.output[Gpr::Rax]),
            tdcalls: self.session.tdcall_count(),
            not_run: None,
            vmcall: false,
            checks: self.ran,
            branches,
            policy: None,
        })
    }
}

impl<W: Wrappers> Oracle<W> {
    /// `accept_range` whose first TDCALL answered a forced status: what the helper must do
    /// with it follows from its documented strategy applied to the model's decoding of that
    /// answer (`tdx_expect::accept`): go on (success, already accepted, OPERAND_BUSY retried,
    /// a smaller size after PAGE_SIZE_MISMATCH or OPERAND_INVALID on RCX above 4 KiB), or stop
    /// with `AcceptError::Tdx` carrying that page, its size and the status whole.
    fn forced_accept_range(
        &mut self,
        call: &Call,
        log: &[Record],
        start: u64,
        got: Result<AcceptStats, AcceptError>,
    ) -> Result<Outcome, Failure> {
        const NAME: &str = "accept_range (TDG.MEM.PAGE.ACCEPT)";
        let c = contract(leaf::TDG_MEM_PAGE_ACCEPT, 0);
        let Some(first) = log.iter().find(|r| r.kind == RecordKind::Completed) else {
            return Err(self.fail(
                Verdict::Encoding,
                NAME,
                call,
                format!("no TDCALL completed for a range from {start:#x}"),
            ));
        };
        let level = c.input_field(&first.input, "level").unwrap_or(0);
        let gpa = c.input_field(&first.input, "gpa").unwrap_or(0) << 12;
        let st = first.output[Gpr::Rax];
        let goes_on = match expect::accept(&first.output) {
            Ok(_) => true,
            Err(s) if s.is(StatusCode::OperandBusy) => true,
            Err(s) => {
                level > 0
                    && (s.is(StatusCode::PageSizeMismatch)
                        || (s.is(StatusCode::OperandInvalid)
                            && s.operand() == Some(OperandId::RCX)))
            }
        };
        let ok = match &got {
            Ok(_) => goes_on,
            Err(AcceptError::Tdx {
                gpa: g,
                level: l,
                status,
            }) => !goes_on && g.raw() == gpa && *l as u64 == level && status.raw() == st,
            Err(_) => false,
        };
        if !ok {
            return Err(Failure {
                verdict: Verdict::Decoding,
                leaf: NAME,
                call: call_text(call),
                detail: format!(
                    "accept_range returned {got:?} when its first ACCEPT (level {level}, \
                     {gpa:#x}) answered {st:#x}: expected {}",
                    if goes_on {
                        "it to go on".to_string()
                    } else {
                        format!("Tdx {{ gpa: {gpa:#x}, level {level}, status {st:#x} }}")
                    }
                ),
                table: register_table(first, Some(c), &first.input),
                module: self.version(),
                differs: Vec::new(),
            });
        }
        self.ran.insert(Verdict::Decoding);
        Ok(Outcome {
            leaf: NAME,
            status: Some(st),
            tdcalls: self.session.tdcall_count(),
            not_run: None,
            vmcall: false,
            checks: self.ran,
            branches: 0,
            policy: None,
        })
    }
}

fn same_states(a: &[tdx_model::module::PageInfo], b: &[tdx_model::module::PageInfo]) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| x.state == y.state && x.level == y.level)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The registers the contract encodes `fields` into, with RAX = the leaf and version; `None`
/// if it cannot encode them.
fn contract_regs(c: &LeafContract, fields: &[(&str, u64)]) -> Option<Regs> {
    let mut regs = Regs::default();
    regs[Gpr::Rax] = c.rax();
    c.encode(fields).ok()?.apply(&mut regs);
    Some(regs)
}

fn contract(leaf: u16, version: u8) -> &'static LeafContract {
    lookup(leaf, version).expect("the model has a contract for every leaf the oracle drives")
}

/// Decodes `raw` with [`TdxStatus`] and with the model, field by field and by name.
pub fn check_status_fields(raw: u64) -> Result<(), Failure> {
    let t = TdxStatus::from_raw(raw);
    let m = tdx_model::status::decode(raw);
    let ours = (
        t.raw(),
        t.is_error(),
        t.is_non_recoverable(),
        t.is_fatal(),
        t.host_recoverability_hint(),
        t.reserved(),
        t.class(),
        t.code(),
        t.details(),
        t.kind().map(|k| k.spec_name()),
    );
    let model = (
        m.raw,
        m.error,
        m.non_recoverable,
        m.fatal,
        m.host_recoverability_hint,
        m.reserved,
        m.class,
        m.code,
        m.details,
        tdx_model::status::name(raw),
    );
    if ours == model && t.is_success() == (raw == 0) {
        return Ok(());
    }
    Err(Failure {
        verdict: Verdict::Decoding,
        leaf: "TdxStatus",
        call: format!("TdxStatus::from_raw({raw:#018x})"),
        detail: format!(
            "(raw, error, non_recoverable, fatal, hint, reserved, class, code, details, name): \
             tdcall {ours:x?}, model {model:x?}"
        ),
        table: String::new(),
        module: ModuleVersion::NEWEST,
        differs: Vec::new(),
    })
}

/// A call as a failure shows it: its `Debug` form on one line, every number in hex (`0x..`)
/// ([`hex_text`]). To replay a call, use the shrunk program's bytes that the comparison prints.
pub fn call_text(call: &Call) -> String {
    hex_text(call)
}

/// A value's `Debug` text on one line with every number in hex (`{:#x?}`, folded). Rust-like,
/// not pasteable as is (variant names such as `Raw` are not qualified).
pub fn hex_text<T: fmt::Debug + ?Sized>(value: &T) -> String {
    let pretty = format!("{value:#x?}");
    let mut out = String::with_capacity(pretty.len());
    for line in pretty.lines().map(str::trim) {
        if line.starts_with([')', ']', '}']) {
            if out.ends_with(',') {
                out.pop();
            }
            if line.starts_with('}') {
                out.push(' ');
            }
        } else if !out.is_empty() && !out.ends_with(['(', '[']) {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// Outcomes and failures as bytes, for a child process to hand to its parent (the campaign's
/// containment, `Oracle::run_call_in_child`): strings by value, so nothing the child
/// allocated is referred to by the parent; names are interned when read back.
pub mod wire {
    use std::collections::BTreeSet;
    use std::sync::Mutex;

    use super::{Checks, Difference, Failure, Outcome, Verdict};
    use tdx_model::ModuleVersion;

    /// The names interned so far.
    static SEEN: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

    /// The `&'static str` for `s`: names (leaf, policy, reason) are few and fixed, so each is
    /// leaked once and shared after.
    pub fn intern(s: &str) -> &'static str {
        let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = seen.get(s) {
            return k;
        }
        let k: &'static str = Box::leak(s.to_owned().into_boxed_str());
        seen.insert(k);
        k
    }

    /// fork(2) with the name table's lock held across it: a child forked while another thread
    /// of the parent was interning would otherwise start with the lock taken by a thread it
    /// does not have, and block on its first [`intern`]. Returns as fork(2) does.
    ///
    /// # Safety
    ///
    /// As fork(2) in a process that may have other threads: the child runs only this thread
    /// and must not rely on locks other threads held at the fork.
    pub unsafe fn fork() -> libc::pid_t {
        let _seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
        // SAFETY: the caller's contract; the guard is released in both processes on return.
        unsafe { libc::fork() }
    }

    /// Appends `v`, little-endian.
    pub fn put_u64(b: &mut Vec<u8>, v: u64) {
        b.extend_from_slice(&v.to_le_bytes());
    }

    /// Appends `s`, its length first.
    pub fn put_bytes(b: &mut Vec<u8>, s: &[u8]) {
        put_u64(b, s.len() as u64);
        b.extend_from_slice(s);
    }

    /// Appends an optional string.
    pub fn put_str(b: &mut Vec<u8>, s: Option<&str>) {
        match s {
            None => b.push(0),
            Some(s) => {
                b.push(1);
                put_bytes(b, s.as_bytes());
            }
        }
    }

    /// A module version as one byte.
    pub fn version_index(v: ModuleVersion) -> u8 {
        ModuleVersion::ALL.iter().position(|m| *m == v).unwrap_or(0) as u8
    }

    /// Appends every field of `o`.
    pub fn put_outcome(b: &mut Vec<u8>, o: &Outcome) {
        put_str(b, Some(o.leaf));
        b.push(u8::from(o.status.is_some()));
        put_u64(b, o.status.unwrap_or(0));
        put_str(b, o.not_run);
        b.push(u8::from(o.vmcall));
        put_u64(b, o.tdcalls as u64);
        b.push(o.checks.bits());
        put_u64(b, u64::from(o.branches));
        put_str(b, o.policy);
    }

    /// Appends every field of `f`.
    pub fn put_failure(b: &mut Vec<u8>, f: &Failure) {
        b.push(f.verdict as u8);
        put_str(b, Some(f.leaf));
        put_str(b, Some(&f.call));
        put_str(b, Some(&f.detail));
        put_str(b, Some(&f.table));
        b.push(version_index(f.module));
        put_u64(b, f.differs.len() as u64);
        for d in &f.differs {
            put_str(b, Some(d.field));
            put_maybe_u64(b, d.got);
            put_maybe_u64(b, d.want);
        }
    }

    /// Appends an optional number.
    pub fn put_maybe_u64(b: &mut Vec<u8>, v: Option<u64>) {
        b.push(u8::from(v.is_some()));
        put_u64(b, v.unwrap_or(0));
    }

    /// Reads what the `put_` functions wrote: `None` for bytes that do not read back.
    pub struct Reader<'a>(pub &'a [u8]);

    impl Reader<'_> {
        fn take(&mut self, n: usize) -> Option<&[u8]> {
            if self.0.len() < n {
                return None;
            }
            let (h, t) = self.0.split_at(n);
            self.0 = t;
            Some(h)
        }
        /// One byte.
        pub fn u8(&mut self) -> Option<u8> {
            Some(self.take(1)?[0])
        }
        /// A [`put_u64`].
        pub fn u64(&mut self) -> Option<u64> {
            Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
        }
        /// A [`put_bytes`].
        pub fn bytes(&mut self) -> Option<Vec<u8>> {
            let n = usize::try_from(self.u64()?).ok()?;
            Some(self.take(n)?.to_vec())
        }
        /// A [`put_str`].
        pub fn string(&mut self) -> Option<Option<String>> {
            Some(match self.u8()? {
                0 => None,
                _ => Some(String::from_utf8(self.bytes()?).ok()?),
            })
        }
        /// A [`put_str`] of a name, interned.
        pub fn name(&mut self) -> Option<Option<&'static str>> {
            Some(self.string()?.map(|s| intern(&s)))
        }
        /// A [`version_index`].
        pub fn version(&mut self) -> Option<ModuleVersion> {
            ModuleVersion::ALL.get(usize::from(self.u8()?)).copied()
        }
        /// A [`put_outcome`].
        pub fn outcome(&mut self) -> Option<Outcome> {
            let leaf = self.name()??;
            let has_status = self.u8()? != 0;
            let status = self.u64()?;
            Some(Outcome {
                leaf,
                status: has_status.then_some(status),
                not_run: self.name()?,
                vmcall: self.u8()? != 0,
                tdcalls: usize::try_from(self.u64()?).ok()?,
                checks: Checks::from_bits(self.u8()?),
                branches: u16::try_from(self.u64()?).ok()?,
                policy: self.name()?,
            })
        }
        /// A [`put_failure`].
        pub fn failure(&mut self) -> Option<Failure> {
            Some(Failure {
                verdict: *Verdict::ALL.get(usize::from(self.u8()?))?,
                leaf: self.name()??,
                call: self.string()??,
                detail: self.string()??,
                table: self.string()??,
                module: self.version()?,
                differs: {
                    let n = usize::try_from(self.u64()?).ok()?;
                    let mut v = Vec::with_capacity(n.min(64));
                    for _ in 0..n {
                        v.push(Difference {
                            field: self.name()??,
                            got: self.maybe_u64()?,
                            want: self.maybe_u64()?,
                        });
                    }
                    v
                },
            })
        }
        /// A [`put_maybe_u64`].
        pub fn maybe_u64(&mut self) -> Option<Option<u64>> {
            let some = self.u8()? != 0;
            let v = self.u64()?;
            Some(some.then_some(v))
        }
        /// Whether everything was read.
        pub fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
    }

    /// A call's result, as `Oracle::run_call_in_child` sends it.
    pub(crate) fn encode(r: &Result<Outcome, Failure>) -> Vec<u8> {
        let mut b = Vec::new();
        match r {
            Ok(o) => {
                b.push(0);
                put_outcome(&mut b, o);
            }
            Err(f) => {
                b.push(1);
                put_failure(&mut b, f);
            }
        }
        b
    }

    /// [`encode`]'s bytes read back whole, or `None`.
    pub(crate) fn decode(b: &[u8]) -> Option<Result<Outcome, Failure>> {
        let mut r = Reader(b);
        let result = match r.u8()? {
            0 => Ok(r.outcome()?),
            1 => Err(r.failure()?),
            _ => return None,
        };
        r.is_empty().then_some(result)
    }
}

/// What identifies a call to the hostile VMM ([`TdxModule::begin_vmm_call`]): FNV-1a of its
/// text, so equal calls get equal answers wherever they stand.
fn call_salt(call: &Call) -> u64 {
    call_text(call).bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Report label of a call the implementation under test does not provide.
pub const NOT_PROVIDED: &str = "not provided";

/// Why a call that would stop the TDX module is not made (nothing would run again).
pub const MODULE_STOPS: &str = "stops the TDX module (1.5.05: a failed L2 VM entry is fatal)";

/// Why a call with a memory operand on a page that is not accepted is not made.
pub const NO_COMPLETION: &str = "does not complete (EPT violation or #VE on a page not accepted)";

const INVALID: &str = "TDX_OPERAND_INVALID";
/// Exit status of a containment child whose oracle check panicked (a harness error).
const CHILD_PANICKED: i32 = 86;
/// Sets up a child the oracle forked to make one call: no core dump of this copy of the
/// process, a 10 s limit, stderr on /dev/null (the panic message of an implementation that
/// dies there).
///
/// # Safety
///
/// Only in a child just forked, which ends with `_exit`.
unsafe fn quiet_child() {
    // SAFETY: prctl(2), alarm(2), open(2) and dup2(2) with constant arguments.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0);
        libc::alarm(10);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        if null >= 0 {
            libc::dup2(null, 2);
        }
    }
}

/// Waits for the child `pid` this process forked, again if a signal interrupts the wait: its
/// wait status.
fn wait_child(pid: libc::pid_t) -> i32 {
    let mut st = 0;
    // SAFETY: waitpid(2) on our own child, into a live int.
    while unsafe { libc::waitpid(pid, &mut st, 0) } < 0 {
        let e = std::io::Error::last_os_error();
        assert_eq!(e.kind(), std::io::ErrorKind::Interrupted, "waitpid: {e}");
    }
    st
}

/// Exit status of a child of `Oracle::run_call_in_child` that could not send its result.
const CHILD_WRITE_FAILED: i32 = 88;
/// Exit status of the child making a ReportFatalError that reached a default method of an
/// implementation that does not define it ([`Wrappers::TDCALL_DEFAULTS`]): not provided.
pub(crate) const NOT_PROVIDED_EXIT: i32 = 87;
/// The signals that end a child because the implementation under test stopped it (`ud2`, a
/// wild access, an abort), as opposed to the harness.
const FAULT_SIGNALS: [libc::c_int; 6] = [
    libc::SIGILL,
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGTRAP,
    libc::SIGABRT,
];
/// `OPERAND_BUSY` retries the oracle gives `accept_range` per page.
pub const ACCEPT_BUSY_RETRIES: u32 = 4;
/// MapGPA stalls the oracle gives `convert_range`.
pub const CONVERT_MAX_STALLS: u32 = 3;
/// Why a forced TDVMCALL refusal has no verdict: the implementation stops the TD, by design.
pub const HALTS_ON_REFUSAL: &str =
    "stops the TD when the module refuses a TDVMCALL (fail-stop, declared)";
/// The core calls `run_forced` puts a forced status on itself (before [`forced::FORCED_CALLS`]).
const FORCED_CORE: usize = 10;
const FIELD_ID_INCORRECT: &str = "TDX_METADATA_FIELD_ID_INCORRECT";
/// Why a call refused before any TDCALL was not made.
pub const REFUSED: &str = "refused before TDCALL";

/// Why a call was not made: the implementation takes its memory operand by reference
/// ([`Wrappers::takes_memory_by_reference`]) and the operand is not in memory that exists.
pub const BY_REFERENCE: &str = "buffer outside memory, taken by reference (not made)";

/// Why a call was not made for an implementation that does not use `tdcall`'s typed inputs
/// (`Wrappers::TYPED_INPUTS`): their constructor refused it (compared with the model, but not
/// this implementation's check).
pub const REFUSED_BY_TYPES: &str = "refused by tdcall's typed input";

/// Why an input was not compared with the model: the contract cannot encode it.
const UNENCODABLE: &str = "unencodable input (not compared)";

/// The operand id a TDX module status carries for an input field: the index of the register
/// that holds it (TDX module `OPERAND_ID_*`: RAX 0, RCX 1, RDX 2, ..., R15 15).
fn operand_id(c: &LeafContract, field: &str) -> u64 {
    let reg = c
        .inputs
        .iter()
        .find(|i| i.fields.iter().any(|f| f.name == field))
        .unwrap_or_else(|| panic!("{} has no input field {field}", c.name))
        .reg;
    reg.index() as u64
}

/// Bits 54:52 of a field id, ignored by TDG.VM.RD/WR.
const CONTEXT_CODE: u64 = 0x7 << 52;

/// Memory for dry runs of the model that read the arena: a copy of it (at its GPA, private
/// or shared), zeros elsewhere; writes change only the copy.
struct ArenaCopy {
    base: u64,
    shared: u64,
    bytes: Vec<u8>,
}

impl ArenaCopy {
    fn new(base: u64, shared: u64, bytes: Vec<u8>) -> Self {
        ArenaCopy {
            base,
            shared,
            bytes,
        }
    }

    fn offset(&self, gpa: u64, len: usize) -> Option<usize> {
        let off = (gpa & !self.shared).wrapping_sub(self.base);
        (off.checked_add(len as u64)? <= self.bytes.len() as u64).then_some(off as usize)
    }
}

impl tdx_model::GuestMemory for ArenaCopy {
    fn read(&mut self, gpa: u64, buf: &mut [u8]) -> bool {
        match self.offset(gpa, buf.len()) {
            Some(o) => buf.copy_from_slice(&self.bytes[o..o + buf.len()]),
            None => buf.fill(0),
        }
        true
    }
    fn write(&mut self, gpa: u64, data: &[u8]) -> bool {
        if let Some(o) = self.offset(gpa, data.len()) {
            self.bytes[o..o + data.len()].copy_from_slice(data);
        }
        true
    }
}

/// Memory for dry runs of the model: reads zeros, absorbs writes.
struct ZeroMemory;

impl tdx_model::GuestMemory for ZeroMemory {
    fn read(&mut self, _gpa: u64, buf: &mut [u8]) -> bool {
        buf.fill(0);
        true
    }
    fn write(&mut self, _gpa: u64, _data: &[u8]) -> bool {
        true
    }
}

/// The leaves and sub-functions that have no guest-visible effect for the semantics check to
/// compare, with why: their semantics column reads "n/a", not "—".
pub const NO_GUEST_EFFECT: &[(&str, &str)] = &[
    (
        "Instruction.HLT",
        "halts the vCPU until an interrupt: nothing the guest reads back",
    ),
    (
        "Instruction.WBINVD",
        "writes back caches: nothing the guest reads back",
    ),
    (
        "Service",
        "the honest VMM answers without writing the response page (the GHCI leaves the \
         command's meaning to the service)",
    ),
    (
        "KVM hypercall",
        "vendor-specific: the model answers by status, with no state",
    ),
    (
        "ReportFatalError",
        "does not return: the TD ends (checked up to the TDCALL in a child process)",
    ),
    (
        FORCED,
        "a status the module was made to return instead of its own: decoding only",
    ),
];

/// Why `leaf` has no guest-visible effect, if it has none ([`NO_GUEST_EFFECT`]).
pub fn no_guest_effect(leaf: &str) -> Option<&'static str> {
    NO_GUEST_EFFECT
        .iter()
        .find(|(l, _)| *l == leaf)
        .map(|(_, why)| *why)
}

/// Report name of calls whose status the module was made to replace.
pub const FORCED: &str = "forced statuses (all leaves)";

/// Per-leaf tallies for reports.
#[derive(Clone, Debug, Default)]
pub struct LeafStats {
    /// Calls made.
    pub calls: u64,
    /// TDCALL executions.
    pub tdcalls: u64,
    /// Status names seen, with counts.
    pub statuses: std::collections::BTreeMap<String, u64>,
    /// Policy differences seen, with counts.
    pub policy: std::collections::BTreeMap<&'static str, u64>,
}

impl LeafStats {
    /// Adds one passing call.
    pub fn add(&mut self, out: &Outcome) {
        self.calls += 1;
        self.tdcalls += out.tdcalls as u64;
        if let Some(p) = out.policy {
            *self.policy.entry(p).or_default() += 1;
        }
        let name = match out.status {
            None => out.not_run.unwrap_or("not run").to_string(),
            // A TDG.VP.VMCALL's status is the GHCI status in R10.
            Some(raw) if out.vmcall => tdx_model::vmcall::status::name(raw)
                .map_or("unknown GHCI status", |n| {
                    n.trim_start_matches("TDG.VP.VMCALL_")
                })
                .to_string(),
            Some(raw) => match tdx_model::status::name(raw) {
                Some(n) => n.to_string(),
                None => "unknown code".to_string(),
            },
        };
        *self.statuses.entry(name).or_default() += 1;
    }
}

/// Kinds in the same order as [`Kind`], for reports.
pub fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::VpInfo => "TDG.VP.INFO",
        Kind::RtmrExtend => "TDG.MR.RTMR.EXTEND",
        Kind::VeinfoGet => "TDG.VP.VEINFO.GET",
        Kind::Report => "TDG.MR.REPORT",
        Kind::CpuidveSet => "TDG.VP.CPUIDVE.SET",
        Kind::Accept => "TDG.MEM.PAGE.ACCEPT",
        Kind::AcceptRange => "accept_range (TDG.MEM.PAGE.ACCEPT)",
        // As the checked calls report them (the contract's spec name), so that "not provided"
        // lands in the same row.
        Kind::VmRd | Kind::VmRdV1 | Kind::VmRdFirst => "TDG.VM.RD",
        Kind::VmWr => "TDG.VM.WR",
        Kind::ForcedStatus => FORCED,
        Kind::SetVmm => "VMM choice",
        Kind::VpRd => "TDG.VP.RD",
        Kind::VpWr => "TDG.VP.WR",
        Kind::SysRd => "TDG.SYS.RD",
        Kind::SysRdAll => "TDG.SYS.RDALL",
        Kind::ServtdRd => "TDG.SERVTD.RD",
        Kind::ServtdWr => "TDG.SERVTD.WR",
        Kind::VerifyReport => "TDG.MR.VERIFYREPORT",
        Kind::MrKeyGet => "TDG.MR.KEY.GET",
        Kind::AttrRd => "TDG.MEM.PAGE.ATTR.RD",
        Kind::AttrWr => "TDG.MEM.PAGE.ATTR.WR",
        Kind::VpEnter => "TDG.VP.ENTER",
        Kind::Invept => "TDG.VP.INVEPT",
        Kind::Invgla => "TDG.VP.INVGLA",
        Kind::InvglaList => "TDG.VP.INVGLA",
        Kind::VmcallInfo => "GetTdVmCallInfo",
        Kind::VmcallMapGpa => "MapGPA",
        Kind::VmcallConvert => "convert_range (TDG.VP.VMCALL<MapGPA>)",
        Kind::VmcallGetQuote => "GetQuote",
        Kind::VmcallNotify => "SetupEventNotifyInterrupt",
        Kind::VmcallService => "Service",
        Kind::VmcallCpuid => "Instruction.CPUID",
        Kind::VmcallHlt => "Instruction.HLT",
        Kind::VmcallIo => "Instruction.IO",
        Kind::VmcallRdmsr => "Instruction.RDMSR",
        Kind::VmcallWrmsr => "Instruction.WRMSR",
        Kind::VmcallMmio => "#VE.RequestMMIO",
        Kind::VmcallWbinvd => "Instruction.WBINVD",
        Kind::VmcallKvm => "KVM hypercall",
        Kind::VmcallFatal => "ReportFatalError",
    }
}

/// The TD-scope elements a guest may read or write on any modelled module version
/// ([`tdx_model::metadata::element_ids_any_version`]): what `FieldRef::Known` of TDG.VM.RD/WR
/// indexes, the same field on every version.
pub fn guest_td_element_ids() -> &'static [u64] {
    static IDS: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        tdx_model::metadata::element_ids_any_version(tdx_model::metadata::td_fields, |_, e| {
            e.guest_rd_mask != 0 || e.guest_wr_mask != 0
        })
    })
}

#[cfg(test)]
mod call_text_tests {
    use super::*;

    /// A result crosses from a child process whole: every field, both variants, and a
    /// truncated or padded message is refused rather than misread.
    #[test]
    fn child_results_round_trip() {
        let outcome = Outcome {
            leaf: "Instruction.CPUID",
            status: Some(0x8000_0000_0000_0002),
            tdcalls: 1,
            not_run: Some(NOT_PROVIDED),
            vmcall: true,
            checks: Checks(0b1010_0101),
            branches: 0x1234,
            policy: Some("a policy"),
        };
        let b = wire::encode(&Ok(outcome));
        let Some(Ok(o)) = wire::decode(&b) else {
            panic!("outcome not decoded");
        };
        assert_eq!(
            (o.leaf, o.status, o.tdcalls, o.not_run, o.vmcall, o.checks, o.branches, o.policy),
            (
                outcome.leaf,
                outcome.status,
                outcome.tdcalls,
                outcome.not_run,
                outcome.vmcall,
                outcome.checks,
                outcome.branches,
                outcome.policy
            )
        );
        let failure = Failure {
            verdict: Verdict::Hygiene,
            leaf: "GetQuote",
            call: "VmcallGetQuote { .. }".into(),
            detail: "R11 still held the VMM's value".into(),
            table: "RAX 0x0\n".into(),
            module: ModuleVersion::V1_5_34,
            differs: vec![
                Difference::of("R11", 0x1c, 0),
                Difference {
                    field: quantity::UNCONVERTED_PAGE,
                    got: Some(0x3000),
                    want: None,
                },
            ],
        };
        let b = wire::encode(&Err(failure.clone()));
        let Some(Err(f)) = wire::decode(&b) else {
            panic!("failure not decoded");
        };
        assert_eq!(
            (f.verdict, f.leaf, &f.call, &f.detail, &f.table, f.module),
            (
                failure.verdict,
                failure.leaf,
                &failure.call,
                &failure.detail,
                &failure.table,
                failure.module
            )
        );
        assert_eq!(f.differs, failure.differs);
        assert!(wire::decode(&b[..b.len() - 1]).is_none());
        let mut padded = b.clone();
        padded.push(0);
        assert!(wire::decode(&padded).is_none());
        assert!(wire::decode(&[]).is_none());
        assert!(std::ptr::eq(
            wire::intern("GetQuote"),
            wire::intern("GetQuote")
        ));
    }

    #[test]
    fn one_line_in_hex() {
        let call = Call::VmcallMmio {
            size: 2,
            gpa: MemRef::SharedSlot(60103),
            write: true,
            value: 255,
        };
        assert_eq!(
            call_text(&call),
            "VmcallMmio { size: 0x2, gpa: SharedSlot(0xeac7), write: true, value: 0xff }"
        );
        assert_eq!(call_text(&Call::VpInfo), "VpInfo");
    }

    /// A failure is policy only when every difference it names is covered, by a rule of its
    /// verdict and leaf whose values match; one naming nothing never is.
    #[test]
    fn policy_covers_every_difference_or_none() {
        const RULES: &[Policy] = &[
            Policy::new(Verdict::Encoding, "TDG.MR.REPORT", "RCX", "own buffer"),
            Policy::new(Verdict::Encoding, "TDG.MR.REPORT", "R8", "subtype 0 only")
                .when(|got, _| got == Some(0)),
        ];
        let f = |verdict, leaf, differs| Failure {
            verdict,
            leaf,
            call: String::new(),
            detail: String::new(),
            table: String::new(),
            module: ModuleVersion::NEWEST,
            differs,
        };
        let (rcx, r8) = (Difference::of("RCX", 1, 2), Difference::of("R8", 0, 1));
        let report = |d| f(Verdict::Encoding, "TDG.MR.REPORT", d);
        assert_eq!(
            Policy::judge(RULES, &report(vec![rcx, r8])),
            Some("own buffer")
        );
        assert_eq!(
            Policy::judge(RULES, &report(vec![r8])),
            Some("subtype 0 only")
        );
        let r8_nonzero = Difference::of("R8", 3, 1);
        assert_eq!(Policy::judge(RULES, &report(vec![rcx, r8_nonzero])), None);
        let rdx = Difference::of("RDX", 1, 2);
        assert_eq!(Policy::judge(RULES, &report(vec![rcx, rdx])), None);
        assert_eq!(Policy::judge(RULES, &report(Vec::new())), None);
        let decoding = f(Verdict::Decoding, "TDG.MR.REPORT", vec![rcx]);
        assert_eq!(Policy::judge(RULES, &decoding), None);
        let other_leaf = f(Verdict::Encoding, "TDG.VP.INFO", vec![rcx]);
        assert_eq!(Policy::judge(RULES, &other_leaf), None);
    }
}
