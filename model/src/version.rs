//! TDX module versions the model simulates.
//!
//! A TD cannot choose the module its host runs, so every modelled rule that differs between
//! module versions is keyed by [`ModuleVersion`] (set when the TD is created,
//! [`crate::TdConfig::module_version`]) and cites the source of each version. A rule not keyed
//! here is the same in every modelled version, as far as the model's audit went
//! (`model/VERSIONS.md` lists the keyed rules and what is not yet modelled).

/// A TDX module version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModuleVersion {
    /// TDX module 1.5.05.
    V1_5_05,
    /// TDX module 1.5.34, the newest 1.5.x in the sources.
    V1_5_34,
    /// TDX module 2.0.18, the newest 2.0.x in the sources.
    V2_0_18,
}

impl ModuleVersion {
    /// Every modelled version, oldest first.
    pub const ALL: [ModuleVersion; 3] = [
        ModuleVersion::V1_5_05,
        ModuleVersion::V1_5_34,
        ModuleVersion::V2_0_18,
    ];

    /// The newest modelled version (the default).
    pub const NEWEST: ModuleVersion = ModuleVersion::V2_0_18;

    /// "1.5.05" etc.
    pub const fn name(self) -> &'static str {
        match self {
            ModuleVersion::V1_5_05 => "1.5.05",
            ModuleVersion::V1_5_34 => "1.5.34",
            ModuleVersion::V2_0_18 => "2.0.18",
        }
    }

    /// The version named `name` ("1.5.05", "1.5.34", "2.0.18").
    pub fn from_name(name: &str) -> Option<ModuleVersion> {
        ModuleVersion::ALL.into_iter().find(|v| v.name() == name)
    }

    /// Major.minor: (1, 5) or (2, 0).
    pub const fn major_minor(self) -> (u8, u8) {
        match self {
            ModuleVersion::V1_5_05 | ModuleVersion::V1_5_34 => (1, 5),
            ModuleVersion::V2_0_18 => (2, 0),
        }
    }
}

/// The modelled version a TD running on an unknown module is checked against
/// ([`ModuleVersion::select`]), and how it was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selection {
    /// The version.
    pub version: ModuleVersion,
    /// Whether the module's major.minor is that version's: `false` when no modelled version
    /// has it (the newest is taken, and differences are expected).
    pub same_major_minor: bool,
    /// Whether the module reports every TDX_FEATURES0 bit the version always reports: `false`
    /// when none of that major.minor matched and the oldest was taken.
    pub features_matched: bool,
}

impl ModuleVersion {
    /// TDX_FEATURES0 bits this version always reports (set whatever the platform), as
    /// `TDG.SYS.RD` returns them (`get_tdx_features_enum0()`; see `module/leaves15.rs`).
    pub const fn features0_always(self) -> u64 {
        match self {
            // 1.5.05 reports CONFIG_IA32_ARCH_CAP (11) itself; later versions on most CPUs.
            ModuleVersion::V1_5_05 => crate::module::leaves15::TDX_FEATURES0,
            ModuleVersion::V1_5_34 | ModuleVersion::V2_0_18 => {
                crate::module::leaves15::TDX_FEATURES0_1_5_34 & !(1 << 11)
            }
        }
    }

    /// The modelled version to check a module against, from what a guest can read of it
    /// (TDG.SYS.RD: MAJOR_VERSION, MINOR_VERSION, TDX_FEATURES0; the update and build numbers
    /// are not guest-readable): among the versions of the same major.minor, the newest whose
    /// always-reported features the module reports, else the oldest of them; with no version of
    /// that major.minor, the newest.
    pub fn select(major: u64, minor: u64, features0: u64) -> Selection {
        let same: [Option<ModuleVersion>; 3] = ModuleVersion::ALL.map(|v| {
            let (ma, mi) = v.major_minor();
            (u64::from(ma) == major && u64::from(mi) == minor).then_some(v)
        });
        let candidates = same.iter().flatten();
        let matched = candidates
            .clone()
            .filter(|v| features0 & v.features0_always() == v.features0_always())
            .max();
        match (matched, candidates.min()) {
            (Some(v), _) => Selection {
                version: *v,
                same_major_minor: true,
                features_matched: true,
            },
            (None, Some(v)) => Selection {
                version: *v,
                same_major_minor: true,
                features_matched: false,
            },
            (None, None) => Selection {
                version: ModuleVersion::NEWEST,
                same_major_minor: false,
                features_matched: false,
            },
        }
    }
}

impl Default for ModuleVersion {
    fn default() -> Self {
        ModuleVersion::NEWEST
    }
}

impl core::fmt::Display for ModuleVersion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}
