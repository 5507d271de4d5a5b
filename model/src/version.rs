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
