//! Crash containment: the campaign runs its programs in child processes. A crash of the
//! implementation under test (a corrupted stack, a wild write, a call that never returns)
//! kills the child, not the campaign: the parent turns it into a verdict on the call, with the
//! last TDCALL's register table and the program, and goes on with the next program in a new
//! child. A child runs until its phase ends or its frame buffer fills (16 MiB), so a fork
//! serves thousands of programs.
//!
//! The child writes one frame per finished program into a shared buffer (the outcome of each
//! call, the failure if any, the program's bytes; nothing per program crosses a system call)
//! and publishes where it is in a shared [`Progress`] (the program, the calls done, the last
//! TDCALL as the trap's flight recorder wrote it). The parent reads both once the child has
//! ended; a frame is counted only once written whole, so a crash loses no earlier program
//! (the calls that passed in the program it died in are not counted).

use std::ptr::{self, addr_of_mut};
use std::sync::atomic::{compiler_fence, Ordering};
use std::time::{Duration, Instant};

use tdx_model::ModuleVersion;
use tdx_oracle::call::{Program, Target};
use tdx_oracle::wire::{put_bytes, put_failure, put_outcome, put_u64, version_index, Reader};
use tdx_oracle::wrappers::Wrappers;
use tdx_oracle::{crash_failure, Failure, FlightRecord, Oracle, Outcome, Verdict, REFUSED};

/// Longest generated program input, in bytes (the campaign draws 16 to 495).
const MAX_BYTES: usize = 512;

/// Exit status of a child that panicked (the oracle, or the implementation in a call).
const CHILD_PANICKED: i32 = 86;

/// Extra time a child gets past its phase's end before it counts as hung.
const GRACE: Duration = Duration::from_secs(30);

/// Where a phase's child is, in memory shared with the parent.
#[repr(C)]
struct Progress {
    /// The last TDCALL (written by the trap's handler).
    tdcall: FlightRecord,
    /// Generator state after the program being run was drawn.
    rng_after: u64,
    /// Programs started before this one, campaign-wide.
    programs: u64,
    /// Calls of the program that returned and were checked.
    calls_done: u64,
    /// 1 once the child has started a program.
    started: u64,
    /// Bytes of whole frames in the frame buffer.
    frames_len: u64,
    /// The oracle's seed after the last finished program.
    seed: u64,
    /// 1 when the child ended on its own (deadline or full buffer), just before `_exit(0)`.
    done: u64,
    /// 1 while a program runs (its calls and their checks), 0 between programs.
    in_call: u64,
    /// The program's input.
    len: u64,
    bytes: [u8; MAX_BYTES],
}

/// Size of the shared buffer a child writes its frames into; a child that has less than
/// [`FRAME_ROOM`] left ends and the parent starts the next one.
const FRAMES_SIZE: usize = 16 << 20;

/// Room kept for one program's frame.
const FRAME_ROOM: usize = 1 << 20;

/// Anonymous shared mappings: one [`Progress`] and the frame buffer.
pub(crate) struct Shared(*mut Progress, *mut u8);

impl Shared {
    pub(crate) fn new() -> Shared {
        // SAFETY: mmap(2) of a fresh anonymous shared mapping; checked below. The kernel zeroes
        // it, and every bit pattern is a valid `Progress`.
        let p = unsafe {
            libc::mmap(
                ptr::null_mut(),
                size_of::<Progress>(),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert!(p != libc::MAP_FAILED, "mmap failed");
        // SAFETY: as above, for the frame buffer (pages are only backed once written).
        let f = unsafe {
            libc::mmap(
                ptr::null_mut(),
                FRAMES_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        assert!(f != libc::MAP_FAILED, "mmap failed");
        Shared(p.cast(), f.cast())
    }

    /// The frames a child wrote, once it has ended.
    fn frames(&self, len: u64) -> &[u8] {
        // SAFETY: the buffer is FRAMES_SIZE bytes, its first `len` written by the child that
        // has ended (no one writes it while this borrow lives: the next child is forked after).
        unsafe { std::slice::from_raw_parts(self.1, (len as usize).min(FRAMES_SIZE)) }
    }

    fn read(&self) -> Progress {
        // SAFETY: the mapping holds a `Progress` (any bit pattern is one) and the child that
        // wrote it has ended.
        unsafe { ptr::read_volatile(self.0) }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: unmaps the mapping made in `new`; no reference to it outlives this.
        unsafe {
            libc::munmap(self.0.cast(), size_of::<Progress>());
            libc::munmap(self.1.cast(), FRAMES_SIZE);
        }
    }
}

/// What the parent folds into its report: one finished program.
pub(crate) struct Finished {
    pub(crate) version: ModuleVersion,
    /// Each call that passed, with the time it took.
    pub(crate) outcomes: Vec<(Outcome, Duration)>,
    pub(crate) failure: Option<Failure>,
    pub(crate) program: Program,
    /// The process died in the program (the failure says where).
    pub(crate) crashed: bool,
}

/// Runs programs of `target` from generator state `rng` until `deadline` in child processes,
/// handing each finished one to `each`; if a child dies, hands over the program it died in,
/// with a `Crash` (or `Leakage`) failure on the call it was in, and starts a new child at the
/// next program. `programs` counts programs campaign-wide (it picks the module version).
/// With `TDX_CAMPAIGN_IN_PROCESS=1` the programs run in this process instead.
pub(crate) fn run_phase<W: Wrappers>(
    oracle: &mut Oracle<W>,
    shared: &Shared,
    target: Target,
    rng: &mut u64,
    programs: &mut u64,
    deadline: Instant,
    mut each: impl FnMut(Finished, &Oracle<W>),
) {
    if std::env::var_os("TDX_CAMPAIGN_IN_PROCESS").is_some_and(|v| v == "1") {
        // Uncontained (for a debugger, and to measure what containment costs): a crash ends
        // the campaign.
        while Instant::now() < deadline {
            let bytes = draw_program(rng);
            let program = Program::decode(target, &bytes);
            let version = version_of(*programs);
            oracle.set_version(version);
            let mut outcomes = Vec::new();
            let mut last = Instant::now();
            let result = oracle.run_program(&program, |_, out| {
                let now = Instant::now();
                outcomes.push((*out, now - last));
                last = now;
            });
            *programs += 1;
            let failure = result.err();
            each(
                Finished {
                    version,
                    outcomes,
                    failure,
                    program,
                    crashed: false,
                },
                oracle,
            );
        }
        return;
    }
    // Each child starts from the parent's allocator state: without fixed thresholds, glibc
    // relearns in every child to keep large blocks on the heap (mapping, trimming and
    // faulting fresh pages meanwhile), which costs a child a fifth of its time.
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt(3) with constant arguments, before this thread's children exist (glibc
    // serializes it against other threads' allocations).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
    while Instant::now() < deadline {
        // SAFETY: no child is running: the parent alone uses the mapping.
        unsafe { ptr::write_bytes(shared.0, 0, 1) };
        // SAFETY: fork(2). The child runs this thread's oracle over programs and ends with
        // _exit; it allocates (glibc's malloc is reset for a forked child) and writes only to
        // the shared mappings. The name table's lock is held across the fork (`wire::fork`),
        // since other threads of `run_parallel` decode frames; another lock held at the fork
        // could still block it: the alarm ends it.
        let pid = unsafe { tdx_oracle::wire::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            child(oracle, shared, target, *rng, *programs, deadline);
        }
        let mut st = 0;
        // SAFETY: waits for the child forked above, again if a signal interrupts the wait.
        while unsafe { libc::waitpid(pid, &mut st, 0) } < 0 {
            let e = std::io::Error::last_os_error();
            assert_eq!(e.kind(), std::io::ErrorKind::Interrupted, "waitpid: {e}");
        }
        let p = shared.read();
        let mut frames = shared.frames(p.frames_len);
        let mut garbled = false;
        while let Some(frame) = next_frame(&mut frames) {
            // A frame that does not read back was overwritten by the implementation (a wild
            // write): the child's results stop there, and it is reported as a crash below.
            let Some(f) = decode(frame, target).filter(|f| f.version == version_of(*programs))
            else {
                garbled = true;
                break;
            };
            *programs += 1;
            each(f, oracle);
        }
        if p.started != 0 {
            oracle.set_seed(p.seed);
        }
        let exited = libc::WIFEXITED(st);
        if exited && libc::WEXITSTATUS(st) == CHILD_PANICKED && p.in_call == 0 {
            panic!("a campaign child panicked between programs (the harness): see stderr");
        }
        if exited && libc::WEXITSTATUS(st) == 0 && p.done == 1 && !garbled {
            if p.started != 0 {
                *rng = p.rng_after;
            }
            // Ended at the deadline, or with its buffer full: then the next child goes on.
            continue;
        }
        let how = if garbled {
            "the results it wrote were overwritten (a wild write)".to_string()
        } else if libc::WIFSIGNALED(st) && libc::WTERMSIG(st) == libc::SIGALRM {
            format!(
                "no return within {} s of the phase's end: killed",
                GRACE.as_secs()
            )
        } else if libc::WIFSIGNALED(st) {
            format!("killed by signal {}", libc::WTERMSIG(st))
        } else if libc::WEXITSTATUS(st) == CHILD_PANICKED {
            "a panic in the implementation".to_string()
        } else {
            format!("the process exited with status {}", libc::WEXITSTATUS(st))
        };
        assert!(
            p.started != 0,
            "a campaign child died ({how}) before its first program"
        );
        if p.programs != *programs {
            // The results of programs that finished are lost with the frame buffer: the
            // campaign goes on after the last program the child started.
            *programs = p.programs;
        }
        let len = (p.len as usize).min(MAX_BYTES);
        let program = Program::decode(target, &p.bytes[..len]);
        let version = version_of(*programs);
        let done = p.calls_done as usize;
        // A wild write may be found only after the program's last call.
        let failure = program
            .0
            .get(done)
            .or(program.0.last())
            .map(|call| crash_failure(call, &how, p.tdcall.record().as_ref(), version));
        let failure = failure.unwrap_or_else(|| {
            panic!("a campaign child died ({how}) after the last call of {program:?}")
        });
        *rng = p.rng_after;
        *programs += 1;
        each(
            Finished {
                version,
                outcomes: Vec::new(),
                failure: Some(failure),
                program,
                crashed: true,
            },
            oracle,
        );
    }
}

/// The module version of the `n`th program: programs rotate over [`ModuleVersion::ALL`].
pub(crate) fn version_of(n: u64) -> ModuleVersion {
    ModuleVersion::ALL[(n % ModuleVersion::ALL.len() as u64) as usize]
}

/// Draws the next program's input from `rng`.
pub(crate) fn draw_program(rng: &mut u64) -> Vec<u8> {
    let len = 16 + (crate::xorshift(rng) % 480) as usize;
    (0..len).map(|_| crate::xorshift(rng) as u8).collect()
}

fn child<W: Wrappers>(
    oracle: &mut Oracle<W>,
    shared: &Shared,
    target: Target,
    mut rng: u64,
    mut programs: u64,
    deadline: Instant,
) -> ! {
    // SAFETY: prctl(2) and alarm(2) with constant arguments: no core dump of this copy of the
    // process, and a time limit past the phase's end.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0);
        let left = deadline.saturating_duration_since(Instant::now()) + GRACE;
        libc::alarm(left.as_secs() as u32 + 1);
    }
    let p = shared.0;
    let mut written = 0usize;
    // SAFETY: the mapping lives until the parent drops it, after this process ended; the
    // oracle's thread holds no reference into it.
    unsafe { oracle.set_flight_recorder(addr_of_mut!((*p).tdcall)) };
    let mut frame = Vec::with_capacity(4096);
    let mut outcomes = Vec::with_capacity(64);
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        while Instant::now() < deadline && written + FRAME_ROOM <= FRAMES_SIZE {
            let bytes = draw_program(&mut rng);
            let len = bytes.len().min(MAX_BYTES);
            // SAFETY: only this process writes the mapping while it runs; volatile, because
            // the parent reads it after this process is gone.
            unsafe {
                let mut b = [0u8; MAX_BYTES];
                b[..len].copy_from_slice(&bytes[..len]);
                ptr::write_volatile(addr_of_mut!((*p).bytes), b);
                ptr::write_volatile(addr_of_mut!((*p).len), len as u64);
                ptr::write_volatile(addr_of_mut!((*p).rng_after), rng);
                ptr::write_volatile(addr_of_mut!((*p).programs), programs);
                ptr::write_volatile(addr_of_mut!((*p).calls_done), 0);
                ptr::write_volatile(addr_of_mut!((*p).tdcall.count), 0);
                ptr::write_volatile(addr_of_mut!((*p).started), 1);
            }
            let program = Program::decode(target, &bytes);
            let version = version_of(programs);
            oracle.set_version(version);
            // The frame: its length (patched below), then the program's results.
            frame.clear();
            frame.extend_from_slice(&[0; 4]);
            frame.push(version_index(version));
            outcomes.clear();
            let mut last = Instant::now();
            // SAFETY: as above.
            unsafe { ptr::write_volatile(addr_of_mut!((*p).in_call), 1) };
            let result = oracle.run_program(&program, |_, out| {
                let now = Instant::now();
                let mut out = *out;
                // Contained, and the implementation ran: the call returned.
                if out.tdcalls > 0 || out.not_run == Some(REFUSED) {
                    out.checks.insert(Verdict::Crash);
                }
                outcomes.push((out, now - last));
                last = now;
                // SAFETY: as above; between TDCALLs.
                unsafe {
                    let d = ptr::read_volatile(addr_of_mut!((*p).calls_done));
                    ptr::write_volatile(addr_of_mut!((*p).calls_done), d + 1);
                    ptr::write_volatile(addr_of_mut!((*p).tdcall.count), 0);
                }
            });
            put_u64(&mut frame, outcomes.len() as u64);
            for (o, t) in &outcomes {
                put_outcome(&mut frame, o);
                put_u64(&mut frame, t.as_nanos() as u64);
            }
            match &result {
                Ok(()) => frame.push(0),
                Err(f) => {
                    frame.push(1);
                    put_failure(&mut frame, f);
                }
            }
            put_bytes(&mut frame, &bytes);
            let len = (frame.len() - 4) as u32;
            frame[..4].copy_from_slice(&len.to_le_bytes());
            if written + frame.len() > FRAMES_SIZE {
                // Cannot happen (frames are far below FRAME_ROOM); a harness error if it does.
                panic!("a frame of {} bytes does not fit", frame.len());
            }
            // SAFETY: the frame fits the buffer past the frames already written; only this
            // process writes it while it runs. The length is published after the bytes.
            unsafe {
                ptr::write_volatile(addr_of_mut!((*p).in_call), 0);
                ptr::copy_nonoverlapping(frame.as_ptr(), shared.1.add(written), frame.len());
                written += frame.len();
                compiler_fence(Ordering::Release);
                ptr::write_volatile(addr_of_mut!((*p).frames_len), written as u64);
                ptr::write_volatile(addr_of_mut!((*p).seed), oracle.seed());
            }
            programs += 1;
        }
    }));
    // SAFETY: as above; then _exit(2) ends the child without running the parent's
    // destructors.
    unsafe {
        if ran.is_ok() {
            ptr::write_volatile(addr_of_mut!((*p).done), 1);
            libc::_exit(0)
        }
        libc::_exit(CHILD_PANICKED)
    }
}

/// Takes the next whole frame off `frames`.
fn next_frame<'a>(frames: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = u32::from_le_bytes(frames.get(..4)?.try_into().ok()?) as usize;
    let frame = frames.get(4..4 + len)?;
    *frames = &frames[4 + len..];
    Some(frame)
}

fn decode(frame: &[u8], target: Target) -> Option<Finished> {
    let mut r = Reader(frame);
    let version = r.version()?;
    let n = r.u64()?;
    let mut outcomes = Vec::new();
    for _ in 0..n {
        let outcome = r.outcome()?;
        outcomes.push((outcome, Duration::from_nanos(r.u64()?)));
    }
    let failure = match r.u8()? {
        0 => None,
        _ => Some(r.failure()?),
    };
    let bytes = r.bytes()?;
    Some(Finished {
        version,
        outcomes,
        failure,
        program: Program::decode(target, &bytes),
        crashed: false,
    })
}
