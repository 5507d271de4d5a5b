#![no_main]

use libfuzzer_sys::fuzz_target;
use tdx_trap::call::Target;

fuzz_target!(|data: &[u8]| tdx_trap::fuzzing::run_input(Target::LeafSysRdAll, data));
