//! `tdcall::leaf15::module_version` against every modelled module version: the helper reads
//! what the model's TDG.SYS.RD answers, and passes its failures on whole.

use tdcall::leaf15::{module_version, ModuleVersion};
use tdcall::TdxStatus;
use tdx_model::{ModuleVersion as Modelled, TdConfig};
use tdx_trap::Session;

#[test]
fn reads_major_and_minor_of_every_version() {
    for v in Modelled::ALL {
        let _s = Session::new(
            TdConfig {
                module_version: v,
                ..TdConfig::default()
            },
            1,
        );
        let (major, minor) = v.major_minor();
        let want = ModuleVersion {
            major: major.into(),
            minor: minor.into(),
        };
        assert_eq!(module_version(), Ok(want), "{v}");
    }
}

#[test]
fn failures_come_back_whole() {
    let mut s = Session::new(TdConfig::default(), 2);
    for status in [0xC000_0100_0000_0002u64, 0x8000_0200_0000_0000] {
        s.force_status(status);
        assert_eq!(module_version(), Err(TdxStatus::from_raw(status)));
        s.force_status_clear();
    }
    // The helper stopped at the failing first read each time.
    assert_eq!(s.tdcall_count(), 2);
}
