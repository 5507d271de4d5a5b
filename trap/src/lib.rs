//! The trap backend: TDCALL executes for real, faults, and a signal handler answers it from the
//! simulated TDX module.
//!
//! In Linux user space TDCALL raises #GP (SIGSEGV, `si_code` = `SI_KERNEL`) on some hosts and #UD
//! (SIGILL) on others. The handler checks for the four opcode bytes `66 0F 01 CC` at RIP; anything
//! else goes on to the disposition that was installed before, so real crashes still crash with
//! their own signal. On a TDCALL it reads all 16 GPRs and RFLAGS from the signal frame, asks the
//! model, writes the outputs back, fills every other register the leaf's contract lets the module
//! change with fresh random values (and the arithmetic flags too), and advances RIP by 4. A leaf
//! the model reports as interrupted, or as a TD exit (which the model's honest VMM then handles),
//! leaves RIP alone, so the TDCALL executes again, as on real hardware.
//!
//! After a TDG.VP.VMCALL the handler also watches what the guest does with the values the
//! VMM left in exposed registers that carry no output (hygiene): it sets the trap flag, so each
//! following instruction raises SIGTRAP, and records, per watched register, how its value last
//! changed (cleared to zero, restored with `pop`, or overwritten: scratch use is allowed if a
//! clearing follows), until every watched register is cleared, a `call` or `ret` ran (control
//! left the code around the TDCALL), or [`HYGIENE_STEPS`] instructions ran ([`Hygiene`]). A
//! register not cleared then is what the hygiene verdict fails on; a copy of the value made
//! before it was cleared is not followed.
//!
//! # Memory
//!
//! The production wrappers declare `nomem` or `readonly` where the real TDX module touches no
//! guest memory (or only reads it); that is their contract with the compiler and stays as it
//! is. Here the handler breaks the assumption behind it: during those asm blocks it writes
//! harness state (the log, the counters, the simulated module, the arena). So the harness, not
//! the wrappers, keeps its accesses from moving across a TDCALL: every call of an
//! implementation under test is made through `tdx_oracle::pressure::under_canaries`, which puts a
//! `compiler_fence(SeqCst)` on each side (a signal handler on the same thread is exactly what
//! compiler fences order against), and the state is reached only through raw pointers, by
//! accessors that hold no reference across a call ([`Session::module`] and friends are
//! `unsafe` for that reason).
//!
//! The handler allocates nothing and takes no lock: the state it uses belongs to the current
//! thread ([`Session`]) and is reached through a `const` thread-local pointer. It runs on an
//! alternate signal stack the session installs (so a stack overflow is still reported as one).
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]
#![deny(unsafe_op_in_unsafe_fn, missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

use core::cell::Cell;
use core::ptr::{self, NonNull};
use std::sync::OnceLock;

use tdx_model::contract::OnFailure;
use tdx_model::vmcall::vmcall_lookup;
use tdx_model::{Completion, Gpr, GuestMemory, RegSet, Regs, TdConfig, TdxModule};

/// The TDCALL instruction.
pub const TDCALL_BYTES: [u8; 4] = [0x66, 0x0f, 0x01, 0xcc];

/// How many TDCALLs one [`Session`] log keeps (the first ones after [`Session::clear_log`]).
pub const LOG_CAPACITY: usize = 64;

/// Consecutive non-completing TDCALLs (interruptions, TD exits) after which the handler gives up.
const MAX_REEXECUTIONS: u32 = 10_000;

/// Arithmetic flags (CF, PF, AF, ZF, SF, OF) the module may leave changed.
const ARITH_FLAGS: u64 = 0x8d5;

/// RFLAGS.TF: a debug trap after each instruction.
const TRAP_FLAG: u64 = 0x100;

/// Instructions single-stepped after a TDG.VP.VMCALL, at most, to see the exposed registers
/// that carry no output cleared.
pub const HYGIENE_STEPS: u32 = 128;

/// What the guest did, after one TDG.VP.VMCALL, with the values the VMM left in the exposed
/// registers that carry no output (the watched registers; those the VMM left zero are not
/// watched).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hygiene {
    /// Registers holding a non-zero VMM value when the TDCALL returned.
    pub watched: RegSet,
    /// Watched registers whose latest change set them to zero, or restored a saved value with
    /// `pop`.
    pub cleared: RegSet,
    /// Watched registers whose latest change wrote another non-zero value.
    pub overwritten: RegSet,
    /// Instructions stepped.
    pub steps: u32,
}

impl Hygiene {
    /// Watched registers that still held the VMM's value when stepping stopped.
    pub fn left(&self) -> RegSet {
        self.watched.minus(self.cleared).minus(self.overwritten)
    }

    /// Watched registers not cleared when stepping stopped: the VMM's value, or another value
    /// written over it and never cleared.
    pub fn not_cleared(&self) -> RegSet {
        self.watched.minus(self.cleared)
    }
}

/// Single-stepping state after a TDG.VP.VMCALL.
#[derive(Clone, Copy)]
struct Stepping {
    active: bool,
    /// Values of the watched registers when the TDCALL returned.
    vmm: Regs,
    prev_rip: u64,
    result: Hygiene,
}

/// How one TDCALL execution ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// The leaf completed; RIP advanced.
    Completed,
    /// The model interrupted the leaf; the TDCALL executes again.
    Interrupted,
    /// The leaf caused a TD exit handled by the honest VMM; the TDCALL executes again.
    TdExit,
}

/// The last TDCALL as plain words, written by the handler into memory another process can
/// read after this one died ([`Session::set_flight_recorder`]): any bit pattern is a value.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct FlightRecord {
    /// TDCALLs recorded since the owner last set this to 0 (0: the other fields are stale).
    pub count: u64,
    /// The GPRs at the TDCALL.
    pub input: [u64; 16],
    /// The GPRs written back.
    pub output: [u64; 16],
    /// RFLAGS at the TDCALL.
    pub rflags_in: u64,
    /// RFLAGS written back.
    pub rflags_out: u64,
    /// [`RecordKind`]: 0 completed, 1 interrupted, 2 TD exit.
    pub kind: u64,
}

impl FlightRecord {
    /// The TDCALL as a [`Record`] (the randomized and outside-contract sets are not kept:
    /// empty), if one was recorded.
    pub fn record(&self) -> Option<Record> {
        (self.count != 0).then_some(Record {
            input: Regs { gpr: self.input },
            rflags_in: self.rflags_in,
            output: Regs { gpr: self.output },
            rflags_out: self.rflags_out,
            kind: match self.kind {
                0 => RecordKind::Completed,
                1 => RecordKind::Interrupted,
                _ => RecordKind::TdExit,
            },
            randomized: RegSet::EMPTY,
            outside_contract: RegSet::EMPTY,
        })
    }
}

/// What the handler saw and wrote for one TDCALL.
#[derive(Clone, Copy, Debug)]
pub struct Record {
    /// The GPRs at the TDCALL.
    pub input: Regs,
    /// RFLAGS at the TDCALL.
    pub rflags_in: u64,
    /// The GPRs written back (equal to `input` unless completed).
    pub output: Regs,
    /// RFLAGS written back.
    pub rflags_out: u64,
    /// How the execution ended.
    pub kind: RecordKind,
    /// Registers filled with random values (allowed to change, left unchanged by the model).
    pub randomized: RegSet,
    /// Registers the model changed although its contract says they are preserved.
    pub outside_contract: RegSet,
}

impl Record {
    const EMPTY: Record = Record {
        input: Regs { gpr: [0; 16] },
        rflags_in: 0,
        output: Regs { gpr: [0; 16] },
        rflags_out: 0,
        kind: RecordKind::Completed,
        randomized: RegSet::EMPTY,
        outside_contract: RegSet::EMPTY,
    };
}

/// A 16 KiB, page-aligned buffer the simulated module can read and write by GPA (identity
/// mapped: GPA = host virtual address; user-space addresses are below 2^47, so they are private
/// GPAs for a TD with either GPA width).
#[repr(C, align(4096))]
pub struct Arena(pub [u8; ARENA_SIZE]);

/// Size of the [`Arena`].
pub const ARENA_SIZE: usize = 16 * 1024;

/// The module's (and the VMM's) view of guest memory: the arena, identity mapped, under its
/// private and its shared GPA. Memory outside it is memory the harness does not observe: it
/// reads as zeros and absorbs writes.
pub struct HarnessMemory {
    base: *mut u8,
    /// The TD's shared bit: the arena is reached through private and shared GPAs alike.
    shared: u64,
}

impl HarnessMemory {
    fn window(&self, gpa: u64, len: usize) -> Option<*mut u8> {
        let gpa = gpa & !self.shared;
        let base = self.base as u64;
        let end = gpa.checked_add(len as u64)?;
        (gpa >= base && end <= base + ARENA_SIZE as u64).then_some(gpa as *mut u8)
    }
}

impl GuestMemory for HarnessMemory {
    fn read(&mut self, gpa: u64, buf: &mut [u8]) -> bool {
        match self.window(gpa, buf.len()) {
            // SAFETY: the window lies inside the arena, which the session owns and which no
            // Rust reference covers while a TDCALL executes.
            Some(p) => unsafe { ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), buf.len()) },
            None => buf.fill(0),
        }
        true
    }

    fn write(&mut self, gpa: u64, data: &[u8]) -> bool {
        if let Some(p) = self.window(gpa, data.len()) {
            // SAFETY: as in `read`.
            unsafe { ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) }
        }
        true
    }
}

/// A recorded answer for the next TDCALL ([`Session::answer_next_with`]).
#[derive(Clone, Copy)]
struct ReplayAnswer {
    out: Regs,
    writes: RegSet,
    rflags: u64,
    rax: u64,
    rcx: Option<u64>,
}

/// Everything the handler needs, owned by one thread's [`Session`].
pub struct TrapState {
    /// The simulated TDX module.
    pub module: TdxModule,
    memory: HarnessMemory,
    rng: u64,
    records: [Record; LOG_CAPACITY],
    count: usize,
    completed: usize,
    last: Record,
    reexecutions: u32,
    force: Option<u64>,
    replay: Option<ReplayAnswer>,
    bare: bool,
    fatal_fd: libc::c_int,
    /// ReportFatalError calls the VMM resumes before the one reported through `fatal_fd`.
    fatal_resumes: u32,
    stepping: Stepping,
    hygiene: Option<Hygiene>,
    watch_hygiene: bool,
    flight: *mut FlightRecord,
}

thread_local! {
    static ACTIVE: Cell<*mut TrapState> = const { Cell::new(ptr::null_mut()) };
}

/// The simulated TD of the current thread: while it lives, TDCALLs on this thread are answered
/// by its model. One per thread at a time.
pub struct Session {
    state: NonNull<TrapState>,
    arena: NonNull<Arena>,
    /// This thread's alternate signal stack while the session lives, and the one it replaced.
    _alt_stack: Vec<u8>,
    previous_alt_stack: libc::stack_t,
}

/// Size of the alternate signal stack a session gives its thread: the model runs in the
/// handler and needs more than std's small overflow stack.
const ALT_STACK_SIZE: usize = 256 * 1024;

impl Session {
    /// Installs the handlers (once per process) and makes a new simulated TD current on this
    /// thread. Panics if the thread already has one.
    pub fn new(config: TdConfig, seed: u64) -> Session {
        install();
        assert!(
            ACTIVE.with(|a| a.get().is_null()),
            "a trap session is already active on this thread"
        );
        let arena = NonNull::from(Box::leak(Box::new(Arena([0; ARENA_SIZE]))));
        let shared = 1u64 << if config.gpaw_52 { 51 } else { 47 };
        let state = Box::new(TrapState {
            module: TdxModule::new(config),
            memory: HarnessMemory {
                base: arena.as_ptr().cast(),
                shared,
            },
            rng: seed | 1,
            records: [Record::EMPTY; LOG_CAPACITY],
            count: 0,
            completed: 0,
            last: Record::EMPTY,
            reexecutions: 0,
            force: None,
            replay: None,
            bare: false,
            fatal_fd: -1,
            fatal_resumes: 0,
            stepping: Stepping {
                active: false,
                vmm: Regs { gpr: [0; 16] },
                prev_rip: 0,
                result: Hygiene {
                    watched: RegSet::EMPTY,
                    cleared: RegSet::EMPTY,
                    overwritten: RegSet::EMPTY,
                    steps: 0,
                },
            },
            hygiene: None,
            watch_hygiene: true,
            flight: ptr::null_mut(),
        });
        let state = NonNull::from(Box::leak(state));
        let mut alt_stack = vec![0u8; ALT_STACK_SIZE];
        let new_stack = libc::stack_t {
            ss_sp: alt_stack.as_mut_ptr().cast(),
            ss_flags: 0,
            ss_size: ALT_STACK_SIZE,
        };
        let mut previous_alt_stack: libc::stack_t = unsafe_zeroed();
        // SAFETY: the new stack lives as long as the session, which restores the previous one
        // before freeing it.
        let rc = unsafe { libc::sigaltstack(&new_stack, &mut previous_alt_stack) };
        assert_eq!(rc, 0, "sigaltstack failed");
        ACTIVE.with(|a| a.set(state.as_ptr()));
        Session {
            state,
            arena,
            _alt_stack: alt_stack,
            previous_alt_stack,
        }
    }

    /// The simulated module, between calls.
    ///
    /// # Safety
    ///
    /// No TDCALL may execute on this thread while the reference lives: the handler changes the
    /// module during every TDCALL, and the wrappers are free functions the borrow checker does
    /// not tie to the session.
    pub unsafe fn module(&mut self) -> &mut TdxModule {
        // SAFETY: the caller keeps TDCALLs out of the reference's lifetime.
        unsafe { &mut (*self.state.as_ptr()).module }
    }

    /// Replaces the simulated module (a fresh TD) and clears the log.
    pub fn reset(&mut self, config: TdConfig, seed: u64) {
        self.reset_with(seed, |m| *m = TdxModule::new(config));
    }

    /// [`Self::reset`] to a copy of `template` (a TD already laid out), made in the current
    /// module's buffers.
    pub fn reset_from(&mut self, template: &TdxModule, seed: u64) {
        self.reset_with(seed, |m| m.clone_from(template));
    }

    fn reset_with(&mut self, seed: u64, module: impl FnOnce(&mut TdxModule)) {
        // SAFETY: a short-lived access between TDCALLs: this method runs no wrapper.
        let st = unsafe { &mut *self.state.as_ptr() };
        module(&mut st.module);
        st.rng = seed | 1;
        st.count = 0;
        st.completed = 0;
        st.reexecutions = 0;
        st.force = None;
        // SAFETY: a short-lived access between TDCALLs: this method runs no wrapper.
        unsafe { (*self.arena.as_ptr()).0.fill(0) };
    }

    /// Forgets the TDCALLs recorded so far.
    pub fn clear_log(&mut self) {
        // SAFETY: a short-lived access between TDCALLs: this method runs no wrapper.
        let st = unsafe { &mut *self.state.as_ptr() };
        st.count = 0;
        st.completed = 0;
        st.hygiene = None;
        st.replay = None;
    }

    /// What the guest did with the VMM's values after the last TDG.VP.VMCALL since
    /// [`clear_log`](Self::clear_log): `None` if none returned, or watching is off.
    pub fn hygiene(&self) -> Option<Hygiene> {
        // SAFETY: a short-lived access between TDCALLs: this method runs no wrapper.
        unsafe { (*self.state.as_ptr()).hygiene }
    }

    /// Whether TDG.VP.VMCALLs are followed by single-stepping for the hygiene check (on by
    /// default; benchmarks measure both).
    pub fn set_watch_hygiene(&mut self, on: bool) {
        // SAFETY: a short-lived access between TDCALLs: this method runs no wrapper.
        unsafe { (*self.state.as_ptr()).watch_hygiene = on };
    }

    /// How many TDCALLs completed since the last [`clear_log`](Self::clear_log), including
    /// those beyond the log's capacity.
    pub fn completed_count(&self) -> usize {
        // SAFETY: a short-lived access between TDCALLs: this method runs no wrapper.
        unsafe { (*self.state.as_ptr()).completed }
    }

    /// Appends a record made elsewhere (a child process's TDCALL, see
    /// [`set_fatal_fd`](Self::set_fatal_fd)) to the log, as if this thread had made it.
    pub fn inject_record(&mut self, rec: Record) {
        // SAFETY: a short-lived access between TDCALLs: this method runs no wrapper.
        let st = unsafe { &mut *self.state.as_ptr() };
        if st.count < LOG_CAPACITY {
            st.records[st.count] = rec;
        }
        st.count += 1;
        st.completed += usize::from(rec.kind == RecordKind::Completed);
        st.last = rec;
    }

    /// Makes the handler also write every TDCALL into `recorder` (null: stop), for a parent
    /// process to read when this one dies mid-call.
    ///
    /// # Safety
    ///
    /// Until it is replaced, `recorder` must be null or valid for volatile reads and writes of
    /// a [`FlightRecord`], and this thread must not hold a reference to it while a TDCALL runs.
    pub unsafe fn set_flight_recorder(&mut self, recorder: *mut FlightRecord) {
        // SAFETY: a short-lived access between TDCALLs: this method runs no wrapper.
        unsafe { (*self.state.as_ptr()).flight = recorder };
    }

    /// The most recent TDCALL, even beyond the log's capacity.
    pub fn last_record(&self) -> Option<Record> {
        // SAFETY: a short-lived access between TDCALLs: this method runs no wrapper.
        let st = unsafe { &*self.state.as_ptr() };
        (st.count > 0).then_some(st.last)
    }

    /// The TDCALLs since the last [`clear_log`](Self::clear_log) (at most [`LOG_CAPACITY`]).
    ///
    /// # Safety
    ///
    /// As [`module`](Self::module): no TDCALL while the slice lives.
    pub unsafe fn log(&self) -> &[Record] {
        // SAFETY: the caller keeps TDCALLs out of the slice's lifetime.
        let st = unsafe { &*self.state.as_ptr() };
        &st.records[..st.count.min(LOG_CAPACITY)]
    }

    /// How many TDCALLs executed since the last [`clear_log`](Self::clear_log), including those
    /// beyond the log's capacity.
    pub fn tdcall_count(&self) -> usize {
        // SAFETY: a short-lived access between TDCALLs: this method runs no wrapper.
        unsafe { (*self.state.as_ptr()).count }
    }

    /// Makes the next completed TDCALL return `status` in RAX instead of the model's status
    /// (outputs stay the model's): a future or faulty module, for decoding checks. On a
    /// TDG.VP.VMCALL a non-zero `status` is the module refusing the call: the VMM never sees it
    /// and nothing but RAX changes.
    pub fn force_status(&mut self, status: u64) {
        // SAFETY: a short-lived access between TDCALLs: this method runs no wrapper.
        unsafe { (*self.state.as_ptr()).force = Some(status) };
    }

    /// Makes the next TDCALL, if it is made with RAX = `rax` (and, when given, RCX = `rcx`),
    /// return the registers `writes` of `out` (RSP never; the others keep their values) and
    /// the arithmetic flags of `rflags`, as recorded from a real TDX module, without asking the
    /// model: a trace replayed through an implementation. `writes` is that call's may-modify
    /// set (for TDG.VP.VMCALL, the registers RCX exposes, and RAX), so a register the caller
    /// keeps live is never overwritten; a TDCALL with another RAX or RCX completes with no
    /// register written. Cleared by that TDCALL or [`clear_log`](Self::clear_log).
    pub fn answer_next_with(
        &mut self,
        out: Regs,
        writes: RegSet,
        rflags: u64,
        rax: u64,
        rcx: Option<u64>,
    ) {
        let answer = ReplayAnswer {
            out,
            writes,
            rflags,
            rax,
            rcx,
        };
        // SAFETY: a short-lived access between TDCALLs: this method runs no wrapper.
        unsafe { (*self.state.as_ptr()).replay = Some(answer) };
    }

    /// Cancels [`force_status`](Self::force_status) if no TDCALL used it.
    pub fn force_status_clear(&mut self) {
        // SAFETY: a short-lived access between TDCALLs: this method runs no wrapper.
        unsafe { (*self.state.as_ptr()).force = None };
    }

    /// With [`set_fatal_fd`](Self::set_fatal_fd): the VMM resumes the TD after the first
    /// `resumes` TDG.VP.VMCALLs (their registers written back as for any TDVMCALL), so the
    /// call repeats; the one after them is the one reported.
    pub fn set_fatal_resumes(&mut self, resumes: u32) {
        // SAFETY: a short-lived access between TDCALLs: this method runs no wrapper.
        unsafe { (*self.state.as_ptr()).fatal_resumes = resumes };
    }

    /// In a child process that calls ReportFatalError: once the VMM has seen the call, the
    /// handler writes its [`Record`] to `fd` and ends the process with `_exit(0)`, as a VMM
    /// ends the TD. The call does not return, so this is how its TDCALL is observed. A call the
    /// module refused by [`force_status`](Self::force_status) is neither resumed nor reported:
    /// the VMM never saw it.
    pub fn set_fatal_fd(&mut self, fd: libc::c_int) {
        // SAFETY: a short-lived access between TDCALLs: this method runs no wrapper.
        unsafe { (*self.state.as_ptr()).fatal_fd = fd };
    }

    /// In bare mode the handler answers every TDCALL with RAX = 0 and nothing else, without
    /// the model or the log: the cost of the trap round trip alone, for benchmarks.
    pub fn set_bare(&mut self, bare: bool) {
        // SAFETY: a short-lived access between TDCALLs: this method runs no wrapper.
        unsafe { (*self.state.as_ptr()).bare = bare };
    }

    /// Guest physical address of the arena (GPA = host address).
    pub fn arena_gpa(&self) -> u64 {
        self.arena.as_ptr() as u64
    }

    /// The arena, between calls.
    ///
    /// # Safety
    ///
    /// As [`module`](Self::module): no TDCALL while the reference lives (the module may write
    /// the arena).
    pub unsafe fn arena(&mut self) -> &mut [u8; ARENA_SIZE] {
        // SAFETY: the caller keeps TDCALLs out of the reference's lifetime.
        unsafe { &mut (*self.arena.as_ptr()).0 }
    }
}

/// The arena of this thread's session as (GPA, size), if one is active: for harness code that
/// must write only memory the session owns.
pub fn current_arena() -> Option<(u64, usize)> {
    let st = ACTIVE.with(|a| a.get());
    // SAFETY: reads one plain field of this thread's live session state; no reference into it
    // is held by the caller (harness code between TDCALLs).
    (!st.is_null()).then(|| (unsafe { (*st).memory.base } as u64, ARENA_SIZE))
}

impl Drop for Session {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.set(ptr::null_mut()));
        // SAFETY: restores the stack that was installed before this session's.
        unsafe { libc::sigaltstack(&self.previous_alt_stack, ptr::null_mut()) };
        // SAFETY: both were leaked from boxes in `new` and are no longer reachable by the
        // handler (the thread-local pointer is cleared).
        unsafe {
            drop(Box::from_raw(self.state.as_ptr()));
            drop(Box::from_raw(self.arena.as_ptr()));
        }
    }
}

static PREVIOUS: OnceLock<[libc::sigaction; 3]> = OnceLock::new();

/// The signals the backend handles, in the order of [`PREVIOUS`].
const SIGNALS: [libc::c_int; 3] = [libc::SIGSEGV, libc::SIGILL, libc::SIGTRAP];

/// Installs the SIGSEGV, SIGILL and SIGTRAP handlers once per process, remembering the
/// dispositions they replace.
pub fn install() {
    PREVIOUS.get_or_init(|| {
        let mut prev: [libc::sigaction; 3] = unsafe_zeroed();
        for (i, sig) in SIGNALS.into_iter().enumerate() {
            let mut act: libc::sigaction = unsafe_zeroed();
            act.sa_sigaction = if sig == libc::SIGTRAP {
                on_step as *const () as usize
            } else {
                on_fault as *const () as usize
            };
            // SA_ONSTACK, so that a stack overflow still reaches std's handler; a session gives
            // its thread an alternate stack large enough for the model.
            act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            // SAFETY: `act` is fully initialised; `prev[i]` receives the old disposition.
            let rc = unsafe {
                libc::sigemptyset(&mut act.sa_mask);
                libc::sigaction(sig, &act, &mut prev[i])
            };
            assert_eq!(rc, 0, "sigaction failed");
            // A sanitizer told not to let the program handle SIGSEGV or SIGILL
            // (`allow_user_segv_handler=0`, as ClusterFuzz runs targets) answers 0 and keeps
            // its own handler: every TDCALL would then be a crash.
            let mut now: libc::sigaction = unsafe_zeroed();
            // SAFETY: a query (no new action) of the current disposition into `now`.
            let rc = unsafe { libc::sigaction(sig, ptr::null(), &mut now) };
            assert_eq!(rc, 0, "sigaction (query) failed");
            if now.sa_sigaction != act.sa_sigaction {
                // Put back what was there, so no half-installed set is left behind.
                for (j, old) in prev.iter().enumerate().take(i + 1) {
                    // SAFETY: restores a disposition `sigaction` returned above.
                    unsafe { libc::sigaction(SIGNALS[j], old, ptr::null_mut()) };
                }
                panic!(
                    "the trap's handler for signal {sig} was not installed: a sanitizer keeps its \
                     own (AddressSanitizer: run with ASAN_OPTIONS=allow_user_segv_handler=1:\
                     handle_segv=1:handle_sigill=1, and handle_sigtrap other than 2; fuzz targets \
                     on ClusterFuzz get them from their .options file)"
                );
            }
        }
        prev
    });
}

fn unsafe_zeroed<T: Copy>() -> T {
    // SAFETY: only used for libc's plain-data `sigaction` structs, for which all-zero bytes
    // are a valid (empty) value.
    unsafe { core::mem::zeroed() }
}

/// libc's `gregs` index of each GPR, in `Gpr` order.
const GREG: [i32; 16] = [
    libc::REG_RAX,
    libc::REG_RCX,
    libc::REG_RDX,
    libc::REG_RBX,
    libc::REG_RSP,
    libc::REG_RBP,
    libc::REG_RSI,
    libc::REG_RDI,
    libc::REG_R8,
    libc::REG_R9,
    libc::REG_R10,
    libc::REG_R11,
    libc::REG_R12,
    libc::REG_R13,
    libc::REG_R14,
    libc::REG_R15,
];

extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo and ucontext to an SA_SIGINFO handler.
    let (code, uc) = unsafe { ((*info).si_code, &mut *(ctx as *mut libc::ucontext_t)) };
    let gregs = &mut uc.uc_mcontext.gregs;
    // #GP arrives as SIGSEGV with SI_KERNEL, #UD as SIGILL; other SIGSEGVs are page faults,
    // possibly on the instruction fetch itself, so RIP is only read for these two.
    // A SIGILL sent by kill(2) or raise(3) has si_code <= 0 and is not a fault.
    let candidate =
        (sig == libc::SIGILL && code > 0) || (sig == libc::SIGSEGV && code == libc::SI_KERNEL);
    let rip = gregs[libc::REG_RIP as usize] as *const u8;
    let state = ACTIVE.with(|a| a.get());
    // SAFETY: for #GP and #UD the faulting instruction was fetched and decoded, so its bytes
    // are mapped; comparison stops at the first mismatch, never reading past the instruction.
    if candidate && !state.is_null() && unsafe { is_tdcall(rip) } {
        // SAFETY: `state` is this thread's live session state; the interrupted code is a
        // wrapper executing TDCALL and holds no reference into it.
        let st = unsafe { &mut *state };
        if st.bare {
            gregs[libc::REG_RAX as usize] = 0;
            gregs[libc::REG_RIP as usize] += TDCALL_BYTES.len() as libc::greg_t;
        } else {
            answer(st, gregs);
        }
        return;
    }
    if candidate && !state.is_null() {
        report_foreign_fault(gregs[libc::REG_RIP as usize] as u64);
    }
    forward(sig, info, ctx);
}

extern "C" fn on_step(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let state = ACTIVE.with(|a| a.get());
    // SAFETY: `state` is null or this thread's live session state; the interrupted code is the
    // guest code right after a TDCALL and holds no reference into it.
    let stepping = !state.is_null() && unsafe { (*state).stepping.active };
    if !stepping {
        forward_trap(sig, info, ctx);
        return;
    }
    // SAFETY: as above; the kernel passes a valid ucontext to an SA_SIGINFO handler.
    let (st, uc) = unsafe { (&mut *state, &mut *(ctx as *mut libc::ucontext_t)) };
    let gregs = &mut uc.uc_mcontext.gregs;
    let rip = gregs[libc::REG_RIP as usize] as u64;
    let s = &mut st.stepping;
    s.result.steps += 1;
    // SAFETY: the instruction at `prev_rip` was just fetched and executed: its bytes are
    // mapped, and `decode_step` reads no further than the bytes that decide its answer.
    let (popped_reg, leaves) = unsafe { decode_step(s.prev_rip as *const u8) };
    // Each watched register is classified by its latest change: cleared (zero, or restored
    // with `pop`) or overwritten with another value (scratch use, to be cleared later).
    for r in s.result.watched.iter() {
        let now = gregs[GREG[r.index()] as usize] as u64;
        if now == s.vmm[r] {
            continue;
        }
        s.vmm[r] = now;
        if now == 0 || popped_reg == Some(r.index()) {
            s.result.cleared = s.result.cleared.with(r);
            s.result.overwritten = s.result.overwritten.minus(RegSet::of(&[r]));
        } else {
            s.result.overwritten = s.result.overwritten.with(r);
            s.result.cleared = s.result.cleared.minus(RegSet::of(&[r]));
        }
    }
    let all_clean = s.result.cleared == s.result.watched;
    if all_clean || leaves || s.result.steps >= HYGIENE_STEPS {
        s.active = false;
        st.hygiene = Some(s.result);
        gregs[libc::REG_EFL as usize] &= !(TRAP_FLAG as libc::greg_t);
    } else {
        s.prev_rip = rip;
    }
}

/// What the instruction at `ip` was, as far as the hygiene watch cares: the GPR a `pop`
/// restored (`58+r`, REX.B `41 58+r`), and whether it was a `call` or `ret` (control leaves the
/// code around the TDCALL).
///
/// # Safety
///
/// `ip` is the start of an instruction that just executed.
unsafe fn decode_step(ip: *const u8) -> (Option<usize>, bool) {
    let mut i = 0;
    let mut rex_b = 0;
    // Legacy and REX prefixes (an instruction has at most 14 of them).
    loop {
        // SAFETY: within the executed instruction (prefixes are part of it).
        let b = unsafe { ip.add(i).read_volatile() };
        match b {
            0x66 | 0x67 | 0xf2 | 0xf3 | 0x2e | 0x3e | 0x26 | 0x36 | 0x64 | 0x65 | 0xf0
                if i < 14 =>
            {
                i += 1
            }
            0x40..=0x4f if i < 14 => {
                rex_b = usize::from(b & 1) * 8;
                i += 1;
                // REX is the last prefix.
                // SAFETY: the opcode byte follows the REX prefix within the instruction.
                let op = unsafe { ip.add(i).read_volatile() };
                // SAFETY: forwarded from the caller.
                return unsafe { classify(ip, i, op, rex_b) };
            }
            // SAFETY: forwarded from the caller.
            op => return unsafe { classify(ip, i, op, rex_b) },
        }
    }
}

/// # Safety
///
/// As [`decode_step`]; `op` is the opcode byte at `ip + at`.
unsafe fn classify(ip: *const u8, at: usize, op: u8, rex_b: usize) -> (Option<usize>, bool) {
    match op {
        0x58..=0x5f => (Some(usize::from(op - 0x58) + rex_b), false),
        0xc2 | 0xc3 | 0xca | 0xcb | 0xe8 => (None, true),
        0xff => {
            // SAFETY: FF is followed by its ModRM byte within the same instruction.
            let modrm = unsafe { ip.add(at + 1).read_volatile() };
            (None, matches!((modrm >> 3) & 7, 2 | 3))
        }
        _ => (None, false),
    }
}

/// One line on stderr when a #GP/#UD inside a session is not a TDCALL, before it goes on to
/// the previous disposition. Formats without allocating.
fn report_foreign_fault(rip: u64) {
    let mut line = *b"tdx-trap: #GP/#UD that is not a TDCALL at RIP 0x0000000000000000\n";
    let digits = b"0123456789abcdef";
    let start = line.len() - 17;
    for i in 0..16 {
        line[start + i] = digits[((rip >> (60 - 4 * i)) & 0xf) as usize];
    }
    // SAFETY: write(2) is async-signal-safe; the buffer is valid for its length.
    unsafe { libc::write(2, line.as_ptr().cast(), line.len()) };
}

unsafe fn is_tdcall(rip: *const u8) -> bool {
    for (i, b) in TDCALL_BYTES.iter().enumerate() {
        // SAFETY: see the caller.
        if unsafe { rip.add(i).read_volatile() } != *b {
            return false;
        }
    }
    true
}

fn next_random(rng: &mut u64) -> u64 {
    // xorshift64*
    *rng ^= *rng >> 12;
    *rng ^= *rng << 25;
    *rng ^= *rng >> 27;
    rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

fn answer(st: &mut TrapState, gregs: &mut [libc::greg_t; 23]) {
    // A TDCALL reached while stepping after the previous one ends that watch.
    if st.stepping.active {
        st.stepping.active = false;
        st.hygiene = Some(st.stepping.result);
        gregs[libc::REG_EFL as usize] &= !(TRAP_FLAG as libc::greg_t);
    }
    let mut input = Regs::default();
    for (i, g) in GREG.iter().enumerate() {
        input.gpr[i] = gregs[*g as usize] as u64;
    }
    let rflags_in = gregs[libc::REG_EFL as usize] as u64;
    let mut rec = Record {
        input,
        rflags_in,
        output: input,
        rflags_out: rflags_in,
        kind: RecordKind::Completed,
        randomized: RegSet::EMPTY,
        outside_contract: RegSet::EMPTY,
    };
    // A forced status on TDG.VP.VMCALL is the module's refusal: no exit to the VMM.
    let mut refused = false;
    if input[Gpr::Rax] == 0 {
        if let Some(status) = st.force.filter(|s| *s != 0) {
            st.force = None;
            st.module.refuse_next_vmcall(status);
            refused = true;
        }
    }
    if let Some(r) = st.replay.take() {
        // A recorded answer (a trace's) to the call it was recorded for: the registers the
        // caller names as the module's to write, as recorded; every other register, the stack
        // pointer included, as it was. Another call (another RAX, or RCX for TDG.VP.VMCALL)
        // gets no register written: its caller reports the difference.
        let mut out = input;
        let same = input[Gpr::Rax] == r.rax && r.rcx.is_none_or(|c| input[Gpr::Rcx] == c);
        let writes = if same { r.writes } else { RegSet::EMPTY };
        // Never the stack pointer; for TDG.VP.VMCALL never RCX either (the module keeps it).
        let never = if input[Gpr::Rax] == 0 {
            RegSet::of(&[Gpr::Rsp, Gpr::Rcx])
        } else {
            RegSet::of(&[Gpr::Rsp])
        };
        for g in writes.minus(never).iter() {
            out[g] = r.out[g];
        }
        let flags = if same { r.rflags } else { rflags_in };
        for (i, g) in GREG.iter().enumerate() {
            gregs[*g as usize] = out.gpr[i] as libc::greg_t;
        }
        let flags = (rflags_in & !ARITH_FLAGS) | (flags & ARITH_FLAGS);
        gregs[libc::REG_RIP as usize] += TDCALL_BYTES.len() as libc::greg_t;
        gregs[libc::REG_EFL as usize] = flags as libc::greg_t;
        rec.output = out;
        rec.rflags_out = flags;
        st.reexecutions = 0;
    } else {
        match st.module.tdcall(&input, &mut st.memory) {
        Completion::Completed(mut out) => {
            let rax = input[Gpr::Rax];
            let contract = tdx_model::contract::lookup(rax as u16, (rax >> 16) as u8)
                .filter(|_| rax >> 24 == 0);
            // Registers the model defines in this outcome: the leaf's outputs, or on failure
            // only those written with a default. The rest of the contract's may-modify set is
            // the module's to change: it gets random values.
            let failed = contract.is_none_or(|c| !c.outputs_written(out[Gpr::Rax]));
            let mut defined = RegSet::of(&[Gpr::Rax, Gpr::Rsp]);
            let mut may_modify = RegSet::of(&[Gpr::Rax]);
            // A TDG.VP.VMCALL the VMM answered (RAX = 0 in and out): the registers the control
            // value selects, and the sub-function's outputs among them (R10 alone for a call
            // the model has no contract for).
            let vmm_answered = (rax == 0 && out[Gpr::Rax] == 0).then(|| {
                let select = RegSet(input[Gpr::Rcx] as u16).minus(RegSet::of(&[
                    Gpr::Rax,
                    Gpr::Rcx,
                    Gpr::Rsp,
                ]));
                let outputs = vmcall_lookup(input[Gpr::R10], input[Gpr::R11])
                    .map_or(RegSet::of(&[Gpr::R10]), |v| v.output_regs());
                (select, outputs)
            });
            if rax == 0 {
                // TDG.VP.VMCALL: once the VMM resumed the TD, every selected register may hold
                // anything; the sub-function's contract says which of them are outputs.
                if let Some((select, outputs)) = vmm_answered {
                    may_modify = may_modify.union(select);
                    defined = defined.union(outputs);
                }
            } else if let Some(c) = contract {
                may_modify = c.may_modify;
                for o in c.outputs {
                    if !failed || matches!(o.on_failure, OnFailure::Default(_)) {
                        defined = defined.with(o.reg);
                    }
                }
            }
            for r in Gpr::ALL {
                if may_modify.contains(r) && !defined.contains(r) {
                    out[r] = next_random(&mut st.rng);
                    rec.randomized = rec.randomized.with(r);
                } else if out[r] != input[r] && !may_modify.contains(r) {
                    rec.outside_contract = rec.outside_contract.with(r);
                }
            }
            if let Some(forced) = st.force.take() {
                out[Gpr::Rax] = forced;
            }
            // The stack pointer is the process's, whatever any model says.
            out[Gpr::Rsp] = input[Gpr::Rsp];
            for (i, g) in GREG.iter().enumerate() {
                gregs[*g as usize] = out.gpr[i] as libc::greg_t;
            }
            let mut flags = (rflags_in & !ARITH_FLAGS) | (next_random(&mut st.rng) & ARITH_FLAGS);
            gregs[libc::REG_RIP as usize] += TDCALL_BYTES.len() as libc::greg_t;
            // A TDG.VP.VMCALL the VMM answered: watch the exposed registers that carry no
            // output and hold a VMM value.
            if let Some((exposed, outputs)) =
                vmm_answered.filter(|_| st.watch_hygiene && st.fatal_fd < 0)
            {
                let watched = RegSet(
                    exposed
                        .minus(outputs)
                        .iter()
                        .filter(|r| out[*r] != 0)
                        .fold(0u16, |m, r| m | 1 << r.index()),
                );
                let result = Hygiene {
                    watched,
                    ..Hygiene::default()
                };
                st.hygiene = Some(result);
                if !watched.is_empty() {
                    st.stepping = Stepping {
                        active: true,
                        vmm: out,
                        prev_rip: gregs[libc::REG_RIP as usize] as u64,
                        result,
                    };
                    flags |= TRAP_FLAG;
                }
            }
            gregs[libc::REG_EFL as usize] = flags as libc::greg_t;
            rec.output = out;
            rec.rflags_out = flags;
            st.reexecutions = 0;
        }
        Completion::Interrupted => rec.kind = RecordKind::Interrupted,
        Completion::InterruptedWithProgress(progress) => {
            // Interrupted after writing progress (TDG.VP.INVGLA list mode): the registers the
            // model gives are written, RAX and RIP stay, the TDCALL executes again from there.
            rec.kind = RecordKind::Interrupted;
            for (i, g) in GREG.iter().enumerate() {
                if i != Gpr::Rax.index() && i != Gpr::Rsp.index() {
                    gregs[*g as usize] = progress.gpr[i] as libc::greg_t;
                }
            }
            rec.output = progress;
        }
        Completion::TdExit(exit) => {
            rec.kind = RecordKind::TdExit;
            st.module.vmm_handle_exit(exit);
        }
        // A #VE would run the TD's #VE handler, which user space does not have; callers ask
        // the model first (a dry run) and never make such a call.
        Completion::VeInjected | Completion::DoubleFault => die(
            b"tdx-trap: the model injected a #VE into a TDCALL (PENDING page, no #VE handler)\n",
        ),
        // The TD would never run again: callers ask the model first and never make the call.
        Completion::ModuleFatal => die(b"tdx-trap: the model's TDX module stopped (fatal error)\n"),
    }
    }
    if rec.kind != RecordKind::Completed {
        st.reexecutions += 1;
        if st.reexecutions > MAX_REEXECUTIONS {
            die(b"tdx-trap: a TDCALL re-executed 10000 times without completing\n");
        }
    }
    if st.count < LOG_CAPACITY {
        st.records[st.count] = rec;
    }
    st.count += 1;
    st.completed += usize::from(rec.kind == RecordKind::Completed);
    st.last = rec;
    if !st.flight.is_null() {
        // SAFETY: `set_flight_recorder`'s caller keeps the recorder valid for writes while it
        // is set; volatile, because only another process reads it.
        unsafe {
            let f = st.flight;
            let count = ptr::read_volatile(&(*f).count);
            ptr::write_volatile(
                f,
                FlightRecord {
                    count: count.wrapping_add(1),
                    input: rec.input.gpr,
                    output: rec.output.gpr,
                    rflags_in: rec.rflags_in,
                    rflags_out: rec.rflags_out,
                    kind: rec.kind as u64,
                },
            );
        }
    }
    // In a ReportFatalError child every TDG.VP.VMCALL is the fatal call's, whatever its
    // registers say (a wrong one is for the oracle to find, not a reason to go on), except one
    // the module refused by a forced status: the VMM never saw it, the call must go on.
    let fatal = input[Gpr::Rax] == 0 && st.fatal_fd >= 0 && !refused;
    let resumed = fatal && st.fatal_resumes > 0 && rec.kind == RecordKind::Completed;
    if resumed {
        st.fatal_resumes -= 1;
    } else if fatal && st.fatal_fd >= 0 && rec.kind == RecordKind::Completed {
        let bytes = core::ptr::from_ref(&rec).cast::<u8>();
        // SAFETY: write(2) and _exit(2) are async-signal-safe; the record is plain data read
        // back by the same binary.
        unsafe {
            libc::write(st.fatal_fd, bytes.cast(), core::mem::size_of::<Record>());
            libc::_exit(0);
        }
    }
}

fn die(msg: &[u8]) -> ! {
    // SAFETY: write(2) and abort(3) are async-signal-safe.
    unsafe {
        libc::write(2, msg.as_ptr().cast(), msg.len());
        libc::abort()
    }
}

/// A SIGTRAP that is not the hygiene watch's: to the disposition installed before. A trap, unlike
/// a fault, does not happen again on return, so the default action is taken by raising it
/// again (after clearing a stray trap flag); an ignored one is dropped.
fn forward_trap(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let prev = PREVIOUS.get().map_or(unsafe_zeroed(), |p| p[2]);
    if prev.sa_sigaction == libc::SIG_DFL || prev.sa_sigaction == libc::SIG_IGN {
        // SAFETY: the kernel passes a valid ucontext to an SA_SIGINFO handler.
        let uc = unsafe { &mut *(ctx as *mut libc::ucontext_t) };
        uc.uc_mcontext.gregs[libc::REG_EFL as usize] &= !(TRAP_FLAG as libc::greg_t);
        if prev.sa_sigaction == libc::SIG_DFL {
            let mut dfl: libc::sigaction = unsafe_zeroed();
            dfl.sa_sigaction = libc::SIG_DFL;
            // SAFETY: sigaction(2) and raise(3) are async-signal-safe; the default action of
            // SIGTRAP ends the process (it is blocked in this handler, so it is delivered when
            // the handler returns).
            unsafe {
                libc::sigaction(sig, &dfl, ptr::null_mut());
                libc::raise(sig);
            }
        }
        return;
    }
    forward(sig, info, ctx);
}

fn forward(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let idx = SIGNALS.iter().position(|s| *s == sig).unwrap_or(0);
    let prev = match PREVIOUS.get() {
        Some(p) => p[idx],
        None => unsafe_zeroed(),
    };
    match prev.sa_sigaction {
        libc::SIG_DFL | libc::SIG_IGN => {
            // Restore the default action and return: the faulting instruction runs again and
            // the kernel delivers the signal with its default action (a synchronous fault
            // cannot be ignored).
            let mut dfl: libc::sigaction = unsafe_zeroed();
            dfl.sa_sigaction = libc::SIG_DFL;
            // SAFETY: sigaction(2) is async-signal-safe; `dfl` is initialised.
            unsafe { libc::sigaction(sig, &dfl, ptr::null_mut()) };
        }
        handler if prev.sa_flags & libc::SA_SIGINFO != 0 => {
            // SAFETY: the previous disposition was installed as an SA_SIGINFO handler.
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                unsafe { core::mem::transmute(handler) };
            f(sig, info, ctx)
        }
        handler => {
            // SAFETY: the previous disposition was installed as a plain handler.
            let f: extern "C" fn(libc::c_int) = unsafe { core::mem::transmute(handler) };
            f(sig)
        }
    }
}
