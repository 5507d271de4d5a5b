//! Per leaf: differential calls/s through the trap backend (wrapper + trap + model + all four
//! checks), the bare trap round-trip rate measured in the same run, their ratio, and the
//! model's own calls/s without a trap. Prints figures; asserts nothing.
//!
//! `cargo bench -p tdx-trap --bench differential [-- SECONDS_PER_MEASUREMENT]`

use std::hint::black_box;
use std::time::{Duration, Instant};

use tdx_model::{leaf, Gpr, Regs, TdxModule};
use tdx_oracle::call::{Call, FieldRef, MemRef, PageRef};
use tdx_oracle::{Oracle, Production};

fn rate(budget: Duration, mut f: impl FnMut()) -> f64 {
    // Warm up, then run in batches until the budget is spent.
    for _ in 0..1000 {
        f();
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..256 {
            f();
        }
        n += 256;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

struct NoMem;
impl tdx_model::GuestMemory for NoMem {
    fn read(&mut self, _: u64, buf: &mut [u8]) -> bool {
        buf.fill(0);
        true
    }
    fn write(&mut self, _: u64, _: &[u8]) -> bool {
        true
    }
}

fn main() {
    let secs: f64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1.0);
    let budget = Duration::from_secs_f64(secs);
    let mut oracle = Oracle::new(Production, 1);
    // SAFETY: no TDCALL runs during the read.
    let base = unsafe { oracle.session.module() }
        .config()
        .accept_region_base;
    let td_ctls = 0x1110_0003_0000_0017u64;
    // (name, call, model-only input registers; None: the registers the wrapper passed)
    let cases: Vec<(&str, Call, Option<Regs>)> = vec![
        ("TDG.VP.INFO", Call::VpInfo, regs(leaf::TDG_VP_INFO, 0, &[])),
        (
            "TDG.MR.RTMR.EXTEND",
            Call::RtmrExtend {
                data: MemRef::Slot(0),
                index: 2,
                value: [7; 48],
                busy: false,
            },
            regs(
                leaf::TDG_MR_RTMR_EXTEND,
                0,
                &[(Gpr::Rcx, 0x1000), (Gpr::Rdx, 2)],
            ),
        ),
        (
            "TDG.VP.VEINFO.GET",
            Call::VeinfoGet {
                info: None,
                version: 0,
            },
            regs(leaf::TDG_VP_VEINFO_GET, 0, &[]),
        ),
        (
            "TDG.MR.REPORT",
            Call::Report {
                report: MemRef::Slot(1),
                data: MemRef::Slot(0),
                subtype: 0,
                requestor: 0,
                report_data: [1; 64],
                interrupts: 0,
            },
            regs(
                leaf::TDG_MR_REPORT,
                0,
                &[(Gpr::Rcx, 0x2000), (Gpr::Rdx, 0x1000)],
            ),
        ),
        (
            "TDG.VP.CPUIDVE.SET",
            Call::CpuidveSet {
                supervisor: true,
                user: false,
            },
            regs(leaf::TDG_VP_CPUIDVE_SET, 0, &[(Gpr::Rcx, 1)]),
        ),
        (
            "TDG.MEM.PAGE.ACCEPT (4K)",
            Call::Accept {
                page: PageRef::Region(1 << 31 | 600),
                level: 0,
                busy: false,
                interrupts: 0,
            },
            regs(
                leaf::TDG_MEM_PAGE_ACCEPT,
                0,
                &[(Gpr::Rcx, base + 600 * 4096)],
            ),
        ),
        (
            "TDG.VM.RD",
            Call::VmRd {
                field: FieldRef::Raw(td_ctls),
            },
            regs(leaf::TDG_VM_RD, 0, &[(Gpr::Rdx, td_ctls)]),
        ),
        (
            "TDG.VM.RD v1",
            Call::VmRdV1 {
                field: FieldRef::Raw(td_ctls),
            },
            regs(leaf::TDG_VM_RD, 1, &[(Gpr::Rdx, td_ctls)]),
        ),
        (
            "TDG.VM.WR",
            Call::VmWr {
                field: FieldRef::Raw(0x9110_0003_0000_0010),
                value: 1,
                mask: 1,
                narrow: false,
            },
            regs(
                leaf::TDG_VM_WR,
                0,
                &[
                    (Gpr::Rdx, 0x9110_0003_0000_0010),
                    (Gpr::R8, 1),
                    (Gpr::R9, 1),
                ],
            ),
        ),
        (
            "TDG.VP.INVGLA (1 page)",
            Call::Invgla {
                vm: 1,
                base: 0x1000,
                pages: 1,
            },
            None,
        ),
        (
            "Instruction.CPUID",
            Call::VmcallCpuid {
                leaf: 0,
                subleaf: 0,
            },
            None,
        ),
        ("Instruction.HLT", Call::VmcallHlt { blocked: true }, None),
        (
            "Instruction.CPUID, no hygiene",
            Call::VmcallCpuid {
                leaf: 0,
                subleaf: 0,
            },
            None,
        ),
        (
            "Instruction.HLT, no hygiene",
            Call::VmcallHlt { blocked: true },
            None,
        ),
    ];
    println!("machine: {}", machine());
    println!("{secs} s per measurement\n");
    println!(
        "{:<32} {:>14} {:>14} {:>7} {:>14}  checks run on every call",
        "leaf", "differential/s", "bare trap/s", "ratio", "model alone/s"
    );
    for (name, call, model_regs) in &cases {
        // The hygiene watch single-steps the guest after a TDVMCALL (a debug trap per
        // instruction); the "no hygiene" rows measure the rest alone.
        oracle
            .session
            .set_watch_hygiene(!name.ends_with("no hygiene"));
        // Only the checks that ran on every measured call are claimed for the row.
        let mut every = tdx_oracle::Checks::ALL;
        let diff = rate(budget, || {
            let out = oracle
                .run_call(black_box(call))
                .unwrap_or_else(|f| panic!("{f}"));
            every = every.intersection(out.checks);
        });
        let model_regs = model_regs.unwrap_or_else(|| {
            oracle
                .session
                .last_record()
                .expect("the differential run made TDCALLs")
                .input
        });
        oracle.session.set_bare(true);
        let bare = rate(budget, || {
            let _ = black_box(tdcall::tdg_vp_info());
        });
        oracle.session.set_bare(false);
        let mut module = TdxModule::new(tdx_oracle::world_config());
        let alone = rate(budget, || {
            black_box(module.tdcall(black_box(&model_regs), &mut NoMem));
        });
        println!(
            "{name:<32} {diff:>14.0} {bare:>14.0} {:>6.0}% {alone:>14.0}  {}",
            100.0 * diff / bare,
            every.names()
        );
    }
    drop(oracle);
    scaling(budget);
}

/// The whole campaign on 1 to N threads (N: the cores), the same time per phase: calls per
/// second of wall time and the speed-up over one thread.
fn scaling(budget: Duration) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // 38 phases: a tenth of the budget each keeps a run near 4 budgets on one thread.
    let per_phase = budget / 10;
    println!(
        "\ncampaign scaling ({:.2} s per phase, {cores} cores)",
        per_phase.as_secs_f64()
    );
    println!(
        "{:>7} {:>10} {:>12} {:>9}",
        "threads", "wall s", "calls/s", "speed-up"
    );
    let mut one = 0.0;
    for jobs in 1..=cores {
        let r = tdx_campaign::run_parallel(Production, 0x5eed, per_phase, jobs);
        let calls: u64 = r.leaves.values().map(|l| l.stats.calls).sum();
        // Programs only: the campaign's shrinking of failures (none here) is not throughput.
        assert_eq!(
            r.failed_checks(),
            0,
            "the campaign found failures while measuring"
        );
        let rate = calls as f64 / r.elapsed.as_secs_f64();
        if jobs == 1 {
            one = rate;
        }
        println!(
            "{jobs:>7} {:>10.1} {rate:>12.0} {:>8.2}x",
            r.elapsed.as_secs_f64(),
            rate / one
        );
    }
}

fn regs(leaf: u16, version: u8, inputs: &[(Gpr, u64)]) -> Option<Regs> {
    let mut r = Regs::default();
    r[Gpr::Rax] = tdx_model::leaf::rax(leaf, version);
    for (g, v) in inputs {
        r[*g] = *v;
    }
    Some(r)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!(
        "{cpu}, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    )
}
