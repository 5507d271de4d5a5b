#![no_main]

use libfuzzer_sys::fuzz_target;
use tdx_oracle::call::Target;

fuzz_target!(|data: &[u8]| tdx_oracle::fuzzing::run_input(Target::LeafMrKeyGet, data));
