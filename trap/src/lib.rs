//! Linux user-space trap backend and differential oracle for the `tdcall` wrappers.
//!
//! The wrappers' real inline asm executes TDCALL; the CPU faults; [`trap`]'s signal handler
//! answers from the independent model in `tdx-model`; [`oracle`] checks every call against the
//! model's contract (encoding, refusal, leakage, clobbers, hygiene, decoding, semantics) and
//! records which checks ran; [`asm_contract`] checks the `asm!` blocks' declared registers
//! statically. [`call`] is the one call type shared by the fuzz targets, the property tests,
//! the committed corpora and the campaign.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]
#![deny(unsafe_op_in_unsafe_fn, missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod asm_contract;
pub mod call;
pub mod campaign;
pub mod fuzzing;
pub mod oracle;
pub mod planted;
pub mod pressure;
pub mod seeds;
pub mod trap;
pub mod wrappers;

pub use call::{Call, Program, Target};
pub use oracle::{Failure, Oracle, Outcome, Verdict};
pub use trap::Session;
pub use wrappers::{Production, Wrappers};
