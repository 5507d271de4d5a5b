//! The checks: contract probes (raw TDCALL with canaries, against the model's contract and a
//! prediction model) and the wrapper differential (typed results of the real `tdcall`
//! wrappers against the model's decoding of the raw outputs for the same inputs).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest, Sha384};
use tdcall::{AcceptPage, AlignedGpa, CpuidVe, FieldId, Gpa, PageLevel, RtmrIndex};
use tdx_expect as expect;
use tdx_model::contract::{lookup, LeafContract};
use tdx_model::leaf;
use tdx_model::module::{report_offsets, ATTR_SEPT_VE_DISABLE};
use tdx_model::status as st;
use tdx_model::{Completion, Gpr, ModuleVersion, RegSet, Regs, TdConfig, TdxModule};

use crate::mem::{Shadow, ACCEPT_PAGES, BUFS};
use crate::probe::probe;
use crate::trace;

/// TDCS TD_CTLS, as the issue names it (architectural id; the model ignores bit 63).
const TD_CTLS: u64 = 0x1110_0003_0000_0017;
/// Global metadata MAJOR_VERSION, MINOR_VERSION and TDX_FEATURES0 (TDG.SYS.RD field ids).
const MAJOR_VERSION: u64 = 0x0800_0001_0000_0004;
const MINOR_VERSION: u64 = 0x0800_0001_0000_0003;
const TDX_FEATURES0: u64 = 0x0A00_0003_0000_0008;

/// xorshift64*: the seeded generator of canaries and wrapper inputs.
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is replaced).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }
    /// Next 64 random bits.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform-ish in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        for c in b.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
        b
    }
}

/// The contract as the self-test's prediction path uses it. With the feature
/// `plant-contract-bug` it is wrong on purpose: TDG.VP.INFO is taken to preserve R9.
fn predicted_may_modify(c: &LeafContract) -> RegSet {
    if cfg!(feature = "plant-contract-bug") && c.leaf == leaf::TDG_VP_INFO {
        c.may_modify.minus(RegSet::of(&[Gpr::R9]))
    } else {
        c.may_modify
    }
}

/// Distinct canaries in every GPR: 0xCA, the register number, 40 random bits.
fn canaries(rng: &mut Rng) -> Regs {
    let mut r = Regs::zero();
    for (i, v) in r.gpr.iter_mut().enumerate() {
        *v = 0xca00_0000_0000_0000 | (i as u64) << 48 | (rng.next() & 0xff_ffff_ffff);
    }
    r
}

/// `NAME|operand (raw)` for a status.
pub fn status_str(raw: u64) -> String {
    let name = if raw == 0 {
        "TDX_SUCCESS"
    } else {
        st::name(raw).unwrap_or("unknown status")
    };
    let details = raw as u32;
    let class = (raw >> 40) as u8;
    // Operand-class statuses (classes 1 and 2) name a GPR in bits 31:0; RAX is operand 0.
    if raw != 0 && (class == 1 || class == 2) && details < 16 {
        let reg = Gpr::from_index(details as usize).map_or("?", |r| r.name());
        format!("{name}|{reg} ({raw:#x})")
    } else if details != 0 {
        format!("{name}+{details:#x} ({raw:#x})")
    } else {
        format!("{name} ({raw:#x})")
    }
}

fn reg_list(s: RegSet) -> String {
    let mut out = String::new();
    for r in s.iter() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(r.name());
    }
    out
}

/// The configuration of the simulated TD of the rehearsal (the trap handler's model): its
/// module version is `TDX_SELFTEST_MODULE` at build time ("1.5.05", "1.5.34", "2.0.18"), else
/// the newest.
pub fn rehearsal_config() -> TdConfig {
    TdConfig {
        module_version: option_env!("TDX_SELFTEST_MODULE")
            .and_then(ModuleVersion::from_name)
            .unwrap_or(ModuleVersion::NEWEST),
        attributes: ATTR_SEPT_VE_DISABLE,
        gpaw_52: false,
        num_vcpus: 1,
        max_vcpus: 1,
        vcpu_index: 0,
        ..TdConfig::default()
    }
}

/// The self-test's state and tallies.
pub struct Ctx {
    in_td: bool,
    /// Checks passed.
    pub passed: u32,
    /// Checks failed.
    pub failed: u32,
    rng: Rng,
    pred: TdxModule,
    shadow: Shadow,
    readable: Vec<u64>,
    rtmr3: Vec<u64>,
    /// TDCALLs traced so far.
    traced: u32,
}

impl Ctx {
    /// Learn the TD from TDG.VP.INFO (raw, through the probe) and build the prediction model
    /// to match it as far as known: GPA width, ATTRIBUTES, vCPU counts and index.
    pub fn new(in_td: bool, seed: u64) -> Ctx {
        // Canaries of their own for the calls made before the prediction model exists, so the
        // main generator's sequence does not depend on them.
        let mut early_rng = Rng::new(seed ^ 0x5eed_ea71);
        let mut early: Vec<(String, Vec<String>)> = Vec::new();
        let info = Self::c(leaf::TDG_VP_INFO, 0);
        let mut input = canaries(&mut early_rng);
        input[Gpr::Rax] = info.rax();
        // SAFETY: TDG.VP.INFO has no memory operand.
        let (out, rflags) = unsafe { probe(&mut input) };
        trace::mode(in_td);
        trace::buffers(
            BUFS.base(),
            core::mem::size_of::<crate::mem::Buffers>() as u64,
        );
        let problems = Self::contract_problems(info, &input, &out, None);
        trace::call(0, info, &input, &out, rflags, None, problems.is_empty());
        early.push(("TDG.VP.INFO (learning the TD) contract".into(), problems));
        let mut cfg = TdConfig::default();
        if out[Gpr::Rax] == 0 {
            cfg.gpaw_52 = out[Gpr::Rcx] & 0x3f == 52;
            cfg.attributes = out[Gpr::Rdx];
            cfg.num_vcpus = out[Gpr::R8] as u32;
            cfg.max_vcpus = (out[Gpr::R8] >> 32) as u32;
            cfg.vcpu_index = out[Gpr::R9] as u32;
        }
        uefi::println!(
            "info TD as TDG.VP.INFO reports it: status {}, GPAW {}, ATTRIBUTES {:#x}, vCPUs {}/{}, index {}",
            status_str(out[Gpr::Rax]),
            if cfg.gpaw_52 { 52 } else { 48 },
            cfg.attributes,
            cfg.num_vcpus,
            cfg.max_vcpus,
            cfg.vcpu_index
        );
        let mut traced = 1;
        cfg.module_version = Self::module_version(
            out[Gpr::Rax] == 0 && out[Gpr::R10] & 1 != 0,
            &mut traced,
            &mut early_rng,
            &mut early,
        );
        trace::td(&cfg);
        let pred = TdxModule::new(cfg);
        let mut readable = Vec::new();
        let mut rtmr = Vec::new();
        for (id, acc) in pred.metadata_fields() {
            if acc.readable() && FieldId::new(id).is_ok() {
                readable.push(id);
            }
            if acc.name == "RTMR" {
                rtmr.push(id);
            }
        }
        let rtmr3 = rtmr.get(18..24).map(|s| s.to_vec()).unwrap_or_default();
        let mut ctx = Ctx {
            in_td,
            passed: 0,
            failed: 0,
            rng: Rng::new(seed),
            pred,
            shadow: Shadow { written: [0; 1024] },
            readable,
            rtmr3,
            traced,
        };
        for (title, problems) in early {
            ctx.contract_only(&title, problems);
        }
        ctx
    }

    /// The module's version as a guest can read it (TDG.SYS.RD of MAJOR_VERSION, MINOR_VERSION
    /// and TDX_FEATURES0, raw and traced) and the modelled version selected from it
    /// (`ModuleVersion::select`); the newest modelled version when TDG.SYS.RD is not available
    /// (`sys_rd`: TDG.VP.INFO's R10 bit 0) or fails.
    fn module_version(
        sys_rd: bool,
        traced: &mut u32,
        rng: &mut Rng,
        early: &mut Vec<(String, Vec<String>)>,
    ) -> ModuleVersion {
        if !sys_rd {
            uefi::println!(
                "info module version: TDG.SYS.RD not available (TDG.VP.INFO R10 bit 0 clear); model {} (the newest)",
                ModuleVersion::NEWEST
            );
            return ModuleVersion::NEWEST;
        }
        let c = Self::c(leaf::TDG_SYS_RD, 0);
        let mut read = |id: u64, name: &str| {
            let mut input = canaries(rng);
            input[Gpr::Rax] = c.rax();
            input[Gpr::Rdx] = id;
            // SAFETY: TDG.SYS.RD has no memory operand.
            let (out, rflags) = unsafe { probe(&mut input) };
            let problems = Self::contract_problems(c, &input, &out, None);
            trace::call(*traced, c, &input, &out, rflags, None, problems.is_empty());
            *traced += 1;
            early.push((
                format!("TDG.SYS.RD {name} (the module version) contract"),
                problems,
            ));
            (out[Gpr::Rax] == 0).then_some(out[Gpr::R8])
        };
        let (major, minor, features) = (
            read(MAJOR_VERSION, "MAJOR_VERSION"),
            read(MINOR_VERSION, "MINOR_VERSION"),
            read(TDX_FEATURES0, "TDX_FEATURES0"),
        );
        let (Some(major), Some(minor), Some(features)) = (major, minor, features) else {
            uefi::println!(
                "info module version: TDG.SYS.RD of the version fields failed; model {} (the newest)",
                ModuleVersion::NEWEST
            );
            return ModuleVersion::NEWEST;
        };
        let s = ModuleVersion::select(major, minor, features);
        uefi::println!(
            "info module version: TDG.SYS.RD says {major}.{minor}, TDX_FEATURES0 {features:#x}; model {}{}",
            s.version,
            match (s.same_major_minor, s.features_matched) {
                (true, true) => " (the newest modelled version of that major.minor whose always-reported features are there)",
                (true, false) => " (the oldest modelled version of that major.minor: none has all its always-reported features there; differences are expected)",
                _ => " (no modelled version has that major.minor: the newest; differences are expected)",
            }
        );
        s.version
    }

    /// Traces the memory inputs of a call to `leaf` (the RTMR extension value and REPORTDATA,
    /// the only bytes a traced leaf reads), then returns the call's sequence number.
    fn trace_before(&mut self, leaf_no: u16) -> u32 {
        if leaf_no == leaf::TDG_MR_RTMR_EXTEND || leaf_no == leaf::TDG_MR_REPORT {
            // SAFETY: single-threaded; the bytes are read by value, no reference is kept.
            let (extend, data) = unsafe {
                let b = BUFS.get();
                (
                    core::ptr::addr_of!((*b).extend.0).read_volatile(),
                    core::ptr::addr_of!((*b).report_data.0).read_volatile(),
                )
            };
            trace::mem(BUFS.extend(), &extend);
            trace::mem(BUFS.report_data(), &data);
        }
        self.traced += 1;
        self.traced - 1
    }

    /// Ends the trace (the number of calls traced).
    pub fn trace_end(&self) {
        trace::end(self.traced);
    }

    fn ok(&mut self, msg: &str) {
        self.passed += 1;
        uefi::println!("ok   {msg}");
    }

    fn fail(&mut self, msg: &str, detail: &str) {
        self.failed += 1;
        uefi::println!("FAIL {msg}");
        for line in detail.lines() {
            uefi::println!("     {line}");
        }
    }

    /// Distinct canaries in every GPR ([`canaries`]).
    fn canaries(&mut self) -> Regs {
        canaries(&mut self.rng)
    }

    /// The prediction model's answer to `input` (a separate instance from the one answering
    /// trapped TDCALLs in the rehearsal).
    fn predict(&mut self, input: &Regs) -> Result<Regs, String> {
        match self.pred.tdcall(input, &mut self.shadow) {
            Completion::Completed(out) => Ok(out),
            Completion::Interrupted | Completion::InterruptedWithProgress(_) => {
                Err("the model predicts an interruption".into())
            }
            Completion::TdExit(e) => Err(format!("the model predicts a TD exit ({e:?})")),
            Completion::VeInjected | Completion::DoubleFault => {
                Err("the model predicts a #VE (or #DF) for a PENDING page".into())
            }
            Completion::ModuleFatal => Err("the model predicts the module stops".into()),
        }
    }

    /// Compare one raw TDCALL with the contract (`may_modify`, `preserved()`) and, when given,
    /// the prediction. Returns the problems found.
    fn contract_problems(
        c: &LeafContract,
        input: &Regs,
        out: &Regs,
        pred: Option<&Regs>,
    ) -> Vec<String> {
        let may = predicted_may_modify(c);
        let mut problems = Vec::new();
        for r in Gpr::ALL {
            if r == Gpr::Rsp {
                if out[r] != input[r] {
                    problems.push(format!("RSP moved: {:#x} -> {:#x}", input[r], out[r]));
                }
                continue;
            }
            if !may.contains(r) {
                if out[r] != input[r] {
                    problems.push(format!(
                        "{} changed but the contract says {} preserves it",
                        r.name(),
                        c.name
                    ));
                }
            } else if let Some(p) = pred {
                if out[r] != p[r] {
                    if r == Gpr::Rax {
                        problems.push(format!(
                            "status {}, the model predicts {}",
                            status_str(out[r]),
                            status_str(p[r])
                        ));
                    } else {
                        problems.push(format!(
                            "{} = {:#x}, the model predicts {:#x}",
                            r.name(),
                            out[r],
                            p[r]
                        ));
                    }
                }
            }
        }
        problems
    }

    fn table(c: &LeafContract, input: &Regs, out: &Regs, pred: Option<&Regs>) -> String {
        let may = predicted_may_modify(c);
        let mut t = format!(
            "{} (leaf {} version {}), RAX in = {:#x}\nreg  contract    input/canary        expected            actual\n",
            c.name,
            c.leaf,
            c.version,
            input[Gpr::Rax]
        );
        for r in Gpr::ALL {
            let expected = match pred {
                Some(p) if may.contains(r) => Some(p[r]),
                None if may.contains(r) => None,
                _ => Some(input[r]),
            };
            let (shown, mark) = match expected {
                Some(e) => (format!("{e:#018x}"), if e != out[r] { "  <--" } else { "" }),
                None => ("(not predicted)   ".into(), ""),
            };
            t.push_str(&format!(
                "{:<4} {:<11} {:#018x}  {}  {:#018x}{}\n",
                r.name(),
                if may.contains(r) {
                    "may change"
                } else {
                    "preserved"
                },
                input[r],
                shown,
                out[r],
                mark
            ));
        }
        t
    }

    /// One contract probe: canaries everywhere, the leaf's inputs on top, TDCALL through the
    /// probe, then contract + prediction. `c` is the contract that bounds the call (for RAX
    /// decoding failures: the leaf's). Returns the registers before and after.
    fn contract_probe(
        &mut self,
        title: &str,
        c: &LeafContract,
        rax: u64,
        inputs: &[(Gpr, u64)],
    ) -> (Regs, Regs) {
        let mut input = self.canaries();
        input[Gpr::Rax] = rax;
        for (r, v) in inputs {
            input[*r] = *v;
        }
        let predicted = self.predict(&input);
        let seq = self.trace_before(rax as u16);
        // SAFETY: every memory operand the self-test passes points into BUFS.
        let (out, rflags) = unsafe { probe(&mut input) };
        let mut pred = match predicted {
            Ok(p) => p,
            Err(why) => {
                trace::call(seq, c, &input, &out, rflags, None, false);
                let t = Self::table(c, &input, &out, None);
                self.fail(&format!("{title}: {why}"), &t);
                return (input, out);
            }
        };
        let mut note = String::new();
        // The model maps memory outside its accept region with 4 KiB leaves; a real TD may map
        // the page with a 2 MiB leaf (PAGE_ALREADY_ACCEPTED + level 1). Not predictable.
        if self.in_td
            && c.leaf == leaf::TDG_MEM_PAGE_ACCEPT
            && pred[Gpr::Rax] == st::TDX_PAGE_ALREADY_ACCEPTED
            && out[Gpr::Rax] == st::TDX_PAGE_ALREADY_ACCEPTED + 1
        {
            pred[Gpr::Rax] = out[Gpr::Rax];
            note = " (mapped at 2 MiB: the model cannot know the TD's SEPT levels)".into();
        }
        let problems = Self::contract_problems(c, &input, &out, Some(&pred));
        trace::call(
            seq,
            c,
            &input,
            &out,
            rflags,
            Some(&pred),
            problems.is_empty(),
        );
        if problems.is_empty() {
            let changed = out.diff(&input).minus(RegSet::of(&[Gpr::Rax]));
            let kept = predicted_may_modify(c)
                .complement()
                .minus(RegSet::of(&[Gpr::Rsp]))
                .len();
            let changed = if changed.is_empty() {
                "no register but RAX changed".into()
            } else {
                format!("{} changed", reg_list(changed))
            };
            self.ok(&format!(
                "{title}: {changed}; {kept} registers kept their canaries, RSP kept; status {} as the model predicts{note}",
                status_str(out[Gpr::Rax])
            ));
        } else {
            let t = Self::table(c, &input, &out, Some(&pred));
            self.fail(&format!("{title}: {}", problems.join("; ")), &t);
        }
        (input, out)
    }

    fn c(l: u16, v: u8) -> &'static LeafContract {
        lookup(l, v).expect("modelled leaf")
    }

    /// RTMR 3 through TDG.VM.RD (the wrapper), 48 bytes.
    fn read_rtmr3(&self) -> Result<[u8; 48], String> {
        if self.rtmr3.len() != 6 {
            return Err("the model's metadata table lists no RTMR 3".into());
        }
        let mut m = [0u8; 48];
        for (k, id) in self.rtmr3.iter().enumerate() {
            let f = FieldId::new(*id).map_err(|e| format!("{e}"))?;
            let v = tdcall::tdg_vm_rd(f).map_err(|e| format!("TDG.VM.RD {id:#x}: {e}"))?;
            m[k * 8..k * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        Ok(m)
    }

    /// The contract probes, one line each.
    pub fn contract_probes(&mut self) {
        use Gpr::*;
        let info = Self::c(leaf::TDG_VP_INFO, 0);
        self.contract_probe("TDG.VP.INFO contract", info, info.rax(), &[]);

        let rd0 = Self::c(leaf::TDG_VM_RD, 0);
        let rd1 = Self::c(leaf::TDG_VM_RD, 1);
        self.contract_probe(
            "TDG.VM.RD TD_CTLS contract",
            rd0,
            rd0.rax(),
            &[(Rcx, 0), (Rdx, TD_CTLS)],
        );
        self.contract_probe(
            "TDG.VM.RD v1 null field id contract",
            rd1,
            rd1.rax(),
            &[(Rcx, 0), (Rdx, u64::MAX)],
        );
        self.contract_probe(
            "TDG.VM.RD v1 TD_CTLS contract",
            rd1,
            rd1.rax(),
            &[(Rcx, 0), (Rdx, TD_CTLS)],
        );

        let ve = Self::c(leaf::TDG_VP_VEINFO_GET, 0);
        self.contract_probe(
            "TDG.VP.VEINFO.GET (no #VE pending) contract",
            ve,
            ve.rax(),
            &[],
        );

        let cpuidve = Self::c(leaf::TDG_VP_CPUIDVE_SET, 0);
        self.contract_probe(
            "TDG.VP.CPUIDVE.SET reserved bit 2 contract",
            cpuidve,
            cpuidve.rax(),
            &[(Rcx, 1 << 2)],
        );

        let accept = Self::c(leaf::TDG_MEM_PAGE_ACCEPT, 0);
        let page = BUFS.accept_page(0);
        self.contract_probe(
            "TDG.MEM.PAGE.ACCEPT already-accepted 4K page contract",
            accept,
            accept.rax(),
            &[(Rcx, page)],
        );

        // RTMR 3: read, extend through the probe, read again.
        let extend = Self::c(leaf::TDG_MR_RTMR_EXTEND, 0);
        let data: [u8; 48] = self.rng.bytes();
        BUFS.set_extend(&data);
        let before = self.read_rtmr3();
        self.contract_probe(
            "TDG.MR.RTMR.EXTEND RTMR3 contract",
            extend,
            extend.rax(),
            &[(Rcx, BUFS.extend()), (Rdx, 3)],
        );
        let after = self.read_rtmr3();
        match (before, after) {
            (Ok(b), Ok(a)) => {
                let mut h = Sha384::new();
                h.update(b);
                h.update(data);
                let want: [u8; 48] = h.finalize().into();
                if a == want {
                    self.ok("TDG.MR.RTMR.EXTEND semantics: RTMR3 (read by TDG.VM.RD) = SHA-384(old RTMR3 || data)");
                } else {
                    self.fail(
                        "TDG.MR.RTMR.EXTEND semantics: RTMR3 is not SHA-384(old || data)",
                        &format!(
                            "old  {b:02x?}\ndata {data:02x?}\nwant {want:02x?}\ngot  {a:02x?}"
                        ),
                    );
                }
            }
            (b, a) => self.fail(
                "TDG.MR.RTMR.EXTEND semantics: cannot read RTMR3",
                &format!("before: {:?}\nafter: {:?}", b.err(), a.err()),
            ),
        }

        // TDG.MR.REPORT into the 1 KiB-aligned buffer.
        let report = Self::c(leaf::TDG_MR_REPORT, 0);
        let rd: [u8; 64] = self.rng.bytes();
        BUFS.set_report_data(&rd);
        BUFS.clear_report(0x5a);
        let (_, out) = self.contract_probe(
            "TDG.MR.REPORT contract",
            report,
            report.rax(),
            &[(Rcx, BUFS.report()), (Rdx, BUFS.report_data()), (R8, 0)],
        );
        if out[Rax] == 0 {
            self.report_semantics(&rd);
        }

        // Invalid operands that must fail.
        let misaligned = BUFS.extend() + 8;
        self.contract_probe(
            "TDG.MR.RTMR.EXTEND misaligned GPA contract",
            extend,
            extend.rax(),
            &[(Rcx, misaligned), (Rdx, 3)],
        );
        self.contract_probe(
            "TDG.MR.RTMR.EXTEND RTMR index 4 contract",
            extend,
            extend.rax(),
            &[(Rcx, BUFS.extend()), (Rdx, 4)],
        );
        self.contract_probe(
            "TDG.MR.RTMR.EXTEND RTMR index 2^32+3 (64-bit compare) contract",
            extend,
            extend.rax(),
            &[(Rcx, BUFS.extend()), (Rdx, (1 << 32) | 3)],
        );
        self.contract_probe(
            "TDG.MR.REPORT misaligned report GPA contract",
            report,
            report.rax(),
            &[
                (Rcx, BUFS.report() + 0x200),
                (Rdx, BUFS.report_data()),
                (R8, 0),
            ],
        );
        self.contract_probe(
            "TDG.MR.REPORT subtype 1 contract",
            report,
            report.rax(),
            &[(Rcx, BUFS.report()), (Rdx, BUFS.report_data()), (R8, 1)],
        );
        self.contract_probe(
            "TDG.MEM.PAGE.ACCEPT reserved bit 3 contract",
            accept,
            accept.rax(),
            &[(Rcx, page | 1 << 3)],
        );
        let not_2m = (0..ACCEPT_PAGES)
            .map(|i| BUFS.accept_page(i))
            .find(|p| p % 0x20_0000 != 0)
            .unwrap_or(page);
        self.contract_probe(
            "TDG.MEM.PAGE.ACCEPT 2M level, 4K-aligned GPA contract",
            accept,
            accept.rax(),
            &[(Rcx, not_2m | 1)],
        );
        self.contract_probe(
            "TDG.MEM.PAGE.ACCEPT level 3 contract",
            accept,
            accept.rax(),
            &[(Rcx, page | 3)],
        );
        self.contract_probe(
            "TDG.VM.RD reserved RAX bit 40 contract",
            rd0,
            rd0.rax() | 1 << 40,
            &[(Rcx, 0), (Rdx, TD_CTLS)],
        );
        // Version 2 reaches the leaf function, which writes its defaults first: the version-1
        // contract (RDX, R8) bounds it.
        self.contract_probe(
            "TDG.VM.RD version 2 contract",
            rd1,
            leaf::rax(leaf::TDG_VM_RD, 2),
            &[(Rcx, 0), (Rdx, TD_CTLS)],
        );
        self.contract_probe(
            "TDG.VM.RD VM index 1 contract",
            rd0,
            rd0.rax(),
            &[(Rcx, 1), (Rdx, TD_CTLS)],
        );
        self.contract_probe(
            "TDG.VM.RD field id with reserved bit 24 contract",
            rd0,
            rd0.rax(),
            &[(Rcx, 0), (Rdx, TD_CTLS | 1 << 24)],
        );
        self.contract_probe(
            "TDG.VP.INFO reserved RAX bit 24 contract",
            info,
            info.rax() | 1 << 24,
            &[],
        );
        self.later_leaves();
        self.vmcall_probes();
    }

    /// The TDG.VP.VMCALL sub-functions that are safe in a running TD. The module must pass a
    /// well-formed call to the VMM (RAX = 0) and keep every register the call does not expose;
    /// of the VMM's answer only what the GHCI fixes is judged (`ghci_fixed`), the rest is
    /// recorded in the trace.
    fn vmcall_probes(&mut self) {
        use tdx_model::vmcall::{ghci_fixed, subfunction as sfn, vmcall_lookup};
        // (title, sub-function, input fields)
        type Probe<'a> = (&'a str, u64, &'a [(&'a str, u64)]);
        let probes: [Probe; 4] = [
            (
                "GetTdVmCallInfo leaf 0",
                sfn::GET_TD_VM_CALL_INFO,
                &[("leaf", 0)],
            ),
            (
                "GetTdVmCallInfo leaf 1",
                sfn::GET_TD_VM_CALL_INFO,
                &[("leaf", 1)],
            ),
            (
                "Instruction.CPUID leaf 0",
                sfn::INSTRUCTION_CPUID,
                &[("leaf", 0), ("subleaf", 0)],
            ),
            (
                "Instruction.RDMSR IA32_APIC_BASE",
                sfn::INSTRUCTION_RDMSR,
                &[("msr", 0x1b)],
            ),
        ];
        for (title, sub, fields) in probes {
            let Some(c) = vmcall_lookup(0, sub) else {
                self.fail(&format!("TDG.VP.VMCALL<{title}>: no contract"), "");
                continue;
            };
            let mut input = self.canaries();
            c.prepare(&mut input);
            for (name, v) in fields {
                c.set_input_field(&mut input, name, *v);
            }
            let seq = self.trace_before(0);
            // SAFETY: these sub-functions name no memory; the VMM may only write the exposed
            // registers, which the probe stores and nothing else keeps.
            let (out, rflags) = unsafe { probe(&mut input) };
            let mut problems = Vec::new();
            if out[Gpr::Rax] != 0 {
                problems.push(format!(
                    "status {}, but the module passes a well-formed TDG.VP.VMCALL to the VMM (0)",
                    status_str(out[Gpr::Rax])
                ));
            }
            for r in Gpr::ALL {
                if r != Gpr::Rax && !c.exposed.contains(r) && out[r] != input[r] {
                    problems.push(format!(
                        "{} changed but {} does not expose it",
                        r.name(),
                        c.name
                    ));
                }
            }
            let fixed = ghci_fixed(&input);
            for (r, v) in fixed {
                if out[*r] != *v {
                    problems.push(format!(
                        "{} = {:#x}, the GHCI fixes {v:#x}",
                        r.name(),
                        out[*r]
                    ));
                }
            }
            trace::vmcall(seq, &input, &out, rflags, problems.is_empty());
            let answer: Vec<String> = c
                .output_regs()
                .iter()
                .map(|r| format!("{} {:#x}", r.name(), out[r]))
                .collect();
            let title = format!("TDG.VP.VMCALL<{title}> contract");
            if problems.is_empty() {
                self.ok(&format!(
                    "{title}: registers it does not expose kept their canaries, RSP kept; VMM answered {}{}",
                    answer.join(", "),
                    if fixed.is_empty() {
                        " (recorded, not judged)"
                    } else {
                        " as the GHCI fixes"
                    }
                ));
            } else {
                self.fail(&format!("{title}: {}", problems.join("; ")), "");
            }
        }
    }

    /// The leaves after TDX 1.0 that are safe in a running TD, with harmless inputs: reads,
    /// error paths, and writes of nothing (docs/selftest.md lists what is not probed, and why).
    fn later_leaves(&mut self) {
        use Gpr::*;
        for v in [1, 2] {
            let c = Self::c(leaf::TDG_VP_VEINFO_GET, v);
            let title = format!("TDG.VP.VEINFO.GET v{v} (no #VE pending) contract");
            self.contract_probe(&title, c, c.rax(), &[]);
        }
        let vp_rd = Self::c(leaf::TDG_VP_RD, 0);
        self.contract_probe(
            "TDG.VP.RD null field id (first field) contract",
            vp_rd,
            vp_rd.rax(),
            &[(Rcx, 0), (Rdx, u64::MAX)],
        );
        self.contract_probe(
            "TDG.VP.RD field id with reserved bit 24 contract",
            vp_rd,
            vp_rd.rax(),
            &[(Rcx, 0), (Rdx, TD_CTLS | 1 << 24)],
        );
        let vp_wr = Self::c(leaf::TDG_VP_WR, 0);
        self.contract_probe(
            "TDG.VP.WR field id with reserved bit 24 contract",
            vp_wr,
            vp_wr.rax(),
            &[(Rcx, 0), (Rdx, TD_CTLS | 1 << 24), (R8, 0), (R9, 0)],
        );
        let vm_wr = Self::c(leaf::TDG_VM_WR, 0);
        self.contract_probe(
            "TDG.VM.WR field id with reserved bit 24 contract",
            vm_wr,
            vm_wr.rax(),
            &[(Rcx, 0), (Rdx, TD_CTLS | 1 << 24), (R8, 0), (R9, 0)],
        );
        let sys_rd = Self::c(leaf::TDG_SYS_RD, 0);
        for (title, id) in [
            ("TDG.SYS.RD MAJOR_VERSION contract", MAJOR_VERSION),
            ("TDG.SYS.RD MINOR_VERSION contract", MINOR_VERSION),
            ("TDG.SYS.RD null field id (first field) contract", u64::MAX),
            (
                "TDG.SYS.RD field id with reserved bit 24 contract",
                MAJOR_VERSION | 1 << 24,
            ),
        ] {
            self.contract_probe(title, sys_rd, sys_rd.rax(), &[(Rdx, id)]);
        }
        // No L2 VM exists: invalidating none of their EPTs does nothing.
        let invept = Self::c(leaf::TDG_VP_INVEPT, 0);
        self.contract_probe(
            "TDG.VP.INVEPT empty VM bitmap contract",
            invept,
            invept.rax(),
            &[(Rcx, 0)],
        );
        // What the TD's Secure EPT says of a page and whether a report verifies depend on the
        // platform (mapping levels, the MAC key): checked against the contract only.
        let attr_rd = Self::c(leaf::TDG_MEM_PAGE_ATTR_RD, 0);
        let (_, _, problems) = self.raw(attr_rd, attr_rd.rax(), &[(Rcx, BUFS.accept_page(0))]);
        self.contract_only(
            "TDG.MEM.PAGE.ATTR.RD of an accepted page contract",
            problems,
        );
        // The list goes into an accept page, which holds nothing live.
        let rdall = Self::c(leaf::TDG_SYS_RDALL, 0);
        let (_, _, problems) = self.raw(
            rdall,
            rdall.rax(),
            &[(Rdx, BUFS.accept_page(ACCEPT_PAGES - 1)), (R8, u64::MAX)],
        );
        self.contract_only("TDG.SYS.RDALL from the first field contract", problems);
        let verify = Self::c(leaf::TDG_MR_VERIFYREPORT, 0);
        let (_, _, problems) = self.raw(verify, verify.rax(), &[(Rcx, BUFS.report())]);
        self.contract_only(
            "TDG.MR.VERIFYREPORT of the report made above contract",
            problems,
        );
    }

    /// The verdict of a raw call, checked against the contract only.
    fn contract_only(&mut self, title: &str, problems: Vec<String>) {
        if problems.is_empty() {
            self.ok(&format!(
                "{title}: registers outside the contract kept their canaries, RSP kept (outputs not predicted)"
            ));
        } else {
            self.fail(&format!("{title}: {}", problems.join("; ")), "");
        }
    }

    fn report_semantics(&mut self, rd: &[u8; 64]) {
        use report_offsets as o;
        let rep = BUFS.read_report();
        let mut problems = Vec::new();
        if rep[o::REPORTTYPE] != 0x81 {
            problems.push(format!(
                "REPORTTYPE.TYPE {:#x}, not 0x81 (TDX)",
                rep[o::REPORTTYPE]
            ));
        }
        if rep[o::REPORTDATA..o::REPORTDATA + 64] != rd[..] {
            problems.push("REPORTDATA is not the one passed in RDX".into());
        }
        match self.read_rtmr3() {
            Ok(m) if rep[o::RTMR + 144..o::RTMR + 192] != m[..] => {
                problems.push("TDINFO.RTMR3 differs from RTMR3 read by TDG.VM.RD".into())
            }
            Ok(_) => {}
            Err(e) => problems.push(e),
        }
        let mut what = "REPORTTYPE 0x81, REPORTDATA echoed, TDINFO.RTMR3 = TDG.VM.RD's RTMR3";
        // In the rehearsal the prediction model saw every state-changing call so far, so the
        // whole report is predictable (in a TD, MRTD, TCB info and MAC are the platform's).
        if !self.in_td {
            what = "REPORTTYPE 0x81, REPORTDATA echoed, TDINFO.RTMR3 = TDG.VM.RD's RTMR3, all 1024 bytes as the prediction model wrote them";
            if rep != self.shadow.written {
                let first = (0..1024).find(|&i| rep[i] != self.shadow.written[i]);
                problems.push(format!(
                    "report differs from the prediction from byte {first:?}"
                ));
            }
        }
        if problems.is_empty() {
            self.ok(&format!("TDG.MR.REPORT semantics: {what}"));
        } else {
            self.fail("TDG.MR.REPORT semantics", &problems.join("\n"));
        }
    }

    /// Raw call through the probe with canaries, checked against the contract only (outputs
    /// such as RTMR or MRTD values are not predictable in a TD).
    fn raw(
        &mut self,
        c: &LeafContract,
        rax: u64,
        inputs: &[(Gpr, u64)],
    ) -> (Regs, Regs, Vec<String>) {
        let mut input = self.canaries();
        input[Gpr::Rax] = rax;
        for (r, v) in inputs {
            input[*r] = *v;
        }
        let seq = self.trace_before(rax as u16);
        // SAFETY: every memory operand the self-test passes points into BUFS.
        let (out, rflags) = unsafe { probe(&mut input) };
        let problems = Self::contract_problems(c, &input, &out, None);
        trace::call(seq, c, &input, &out, rflags, None, problems.is_empty());
        (input, out, problems)
    }

    fn wrapper_verdict<T: PartialEq + core::fmt::Debug>(
        &mut self,
        n: u32,
        call: &str,
        c: &LeafContract,
        (input, out, mut problems): (Regs, Regs, Vec<String>),
        model: T,
        wrapper: T,
    ) {
        if model != wrapper {
            problems.push(format!(
                "the wrapper returned {wrapper:?}, the model decodes the raw outputs as {model:?}"
            ));
        }
        if problems.is_empty() {
            self.ok(&format!(
                "wrapper #{n} {call} = {wrapper:?}, as the model decodes the raw outputs"
            ));
        } else {
            let t = Self::table(c, &input, &out, None);
            self.fail(&format!("wrapper #{n} {call}: {}", problems.join("; ")), &t);
        }
    }

    /// `cases` wrapper differential checks from the seeded generator.
    pub fn wrapper_checks(&mut self, cases: u32) {
        use Gpr::*;
        for n in 0..cases {
            match self.rng.below(7) {
                0 => {
                    let c = Self::c(leaf::TDG_VP_INFO, 0);
                    let raw = self.raw(c, c.rax(), &[]);
                    let model = expect::vp_info(c, &raw.1);
                    let wrapper = tdcall::tdg_vp_info();
                    self.wrapper_verdict(n, "tdg_vp_info()", c, raw, model, wrapper);
                }
                k @ (1 | 2) => {
                    // A readable field, or (one time in four) a well-formed id of a field
                    // that most likely does not exist.
                    let id = if self.rng.below(4) == 0 || self.readable.is_empty() {
                        (self.rng.next() & 0x3f00_0000_00ff_ffff) | 3 << 32
                    } else {
                        self.readable[self.rng.below(self.readable.len() as u64) as usize]
                    };
                    let Ok(field) = FieldId::new(id) else {
                        continue;
                    };
                    if k == 1 {
                        let c = Self::c(leaf::TDG_VM_RD, 0);
                        let raw = self.raw(c, c.rax(), &[(Rcx, 0), (Rdx, id)]);
                        let model = expect::metadata_read(c, &raw.1, false).map(|(v, _)| v);
                        let wrapper = tdcall::tdg_vm_rd(field);
                        self.wrapper_verdict(
                            n,
                            &format!("tdg_vm_rd({id:#x})"),
                            c,
                            raw,
                            model,
                            wrapper,
                        );
                    } else {
                        let c = Self::c(leaf::TDG_VM_RD, 1);
                        let raw = self.raw(c, c.rax(), &[(Rcx, 0), (Rdx, id)]);
                        let model = expect::metadata_read(c, &raw.1, true);
                        let wrapper =
                            tdcall::tdg_vm_rd_v1(field).map(|(v, next)| (v, next.map(|f| f.raw())));
                        self.wrapper_verdict(
                            n,
                            &format!("tdg_vm_rd_v1({id:#x})"),
                            c,
                            raw,
                            model,
                            wrapper,
                        );
                    }
                }
                3 => {
                    let c = Self::c(leaf::TDG_VM_RD, 1);
                    let raw = self.raw(c, c.rax(), &[(Rcx, 0), (Rdx, u64::MAX)]);
                    let model = expect::first_field_id(c, &raw.1);
                    let wrapper = tdcall::tdg_vm_rd_first().map(|f| f.raw());
                    self.wrapper_verdict(n, "tdg_vm_rd_first()", c, raw, model, wrapper);
                }
                4 => {
                    let i = self.rng.below(ACCEPT_PAGES as u64) as usize;
                    let gpa = BUFS.accept_page(i);
                    let c = Self::c(leaf::TDG_MEM_PAGE_ACCEPT, 0);
                    let raw = self.raw(c, c.rax(), &[(Rcx, gpa)]);
                    let model = expect::accept(&raw.1);
                    let page = AcceptPage::new(Gpa::new(gpa).expect("GPA"), PageLevel::Size4K)
                        .expect("page-aligned");
                    // SAFETY: the page is one of the self-test's accept pages, which hold
                    // nothing live: were it pending again, zeroing it would harm nothing.
                    let wrapper = unsafe { tdcall::tdg_mem_page_accept(page) };
                    self.wrapper_verdict(
                        n,
                        &format!("tdg_mem_page_accept({gpa:#x}, 4K)"),
                        c,
                        raw,
                        model,
                        wrapper,
                    );
                }
                5 => {
                    // Supervisor CPUID #VE stays off (the self-test itself runs CPUID).
                    let cfg = CpuidVe {
                        supervisor: false,
                        user: self.rng.below(2) == 1,
                    };
                    let c = Self::c(leaf::TDG_VP_CPUIDVE_SET, 0);
                    let raw = self.raw(c, c.rax(), &[(Rcx, cfg.to_rcx())]);
                    let model = expect::status(&raw.1);
                    let wrapper = tdcall::tdg_vp_cpuidve_set(cfg);
                    self.wrapper_verdict(
                        n,
                        &format!("tdg_vp_cpuidve_set({cfg:?})"),
                        c,
                        raw,
                        model,
                        wrapper,
                    );
                }
                _ => {
                    let data: [u8; 48] = self.rng.bytes();
                    BUFS.set_extend(&data);
                    let c = Self::c(leaf::TDG_MR_RTMR_EXTEND, 0);
                    let raw = self.raw(c, c.rax(), &[(Rcx, BUFS.extend()), (Rdx, 3)]);
                    let model = expect::status(&raw.1);
                    let gpa = AlignedGpa::<64>::new(BUFS.extend()).expect("aligned");
                    let wrapper = tdcall::tdg_mr_rtmr_extend(gpa, RtmrIndex::new(3).expect("3"));
                    self.wrapper_verdict(n, "tdg_mr_rtmr_extend(data, 3)", c, raw, model, wrapper);
                }
            }
        }
        // Leave CPUID #VE off for user mode as well.
        let _ = tdcall::tdg_vp_cpuidve_set(CpuidVe::default());
    }
}
