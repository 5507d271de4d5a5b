//! Shrinking: a failing program comes back with only the calls its failure needs, and the
//! printed test replays it.

use tdcall::{TdInfo, TdxStatus};
use tdx_campaign::shrink::{reproducer, shrink, REPLAY_SEED};
use tdx_campaign::signature;
use tdx_model::ModuleVersion;
use tdx_oracle::call::{Call, Program, Target};
use tdx_oracle::{Oracle, Wrappers};

/// TDG.VP.INFO reporting one vCPU more than the module: a decoding failure on every call.
struct VcpusOffByOne;

impl Wrappers for VcpusOffByOne {
    const NAME: &'static str = "test: TDG.VP.INFO reports one vCPU more";

    #[inline(always)]
    fn vp_info(&self) -> Result<TdInfo, TdxStatus> {
        tdcall::tdg_vp_info().map(|i| TdInfo {
            num_vcpus: i.num_vcpus + 1,
            ..i
        })
    }
}

#[test]
fn shrinks_to_the_failing_call() {
    let pad = || Call::CpuidveSet {
        supervisor: true,
        user: false,
    };
    let program = Program(vec![pad(), pad(), Call::VpInfo, pad()]);
    let version = ModuleVersion::V1_5_34;
    let mut oracle = Oracle::new_on(VcpusOffByOne, 7, version);
    let failure = oracle.run_program(&program, |_, _| {}).unwrap_err();
    let sig = signature(&failure);
    let small = shrink(
        &mut oracle,
        &program,
        version,
        &sig,
        std::time::Duration::from_secs(5),
    )
    .expect("the failure replays and shrinks");
    assert_eq!(small.0, [Call::VpInfo]);
    // Replayed as the printed test does: a fresh oracle from the replay seed (one trap session
    // per thread at a time).
    drop(oracle);
    let mut oracle = Oracle::new_on(VcpusOffByOne, REPLAY_SEED, version);
    let again = oracle.run_program(&small, |_, _| {}).unwrap_err();
    assert_eq!(signature(&again), sig);
    // The printed test carries the program's bytes and the version.
    let test = reproducer("VcpusOffByOne", &small, version);
    let bytes = small.encode(Target::All).unwrap();
    assert!(test.contains(&format!("{:#04x}", bytes[0])), "{test}");
    assert!(test.contains("ModuleVersion::V1_5_34"), "{test}");
    // A program whose failure is not this signature does not shrink.
    let passing = Program(vec![pad()]);
    assert_eq!(
        shrink(
            &mut oracle,
            &passing,
            version,
            &sig,
            std::time::Duration::from_secs(5)
        ),
        None
    );
}
