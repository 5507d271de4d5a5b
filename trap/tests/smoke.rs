use tdx_trap::call::{Call, PageRef, Program, Target};
use tdx_trap::{Oracle, Production};

#[test]
fn smoke() {
    let mut o = Oracle::new(Production, 1);
    let p = Program(vec![
        Call::VpInfo,
        Call::Accept {
            page: PageRef::Region(0),
            level: 1,
            busy: false,
            interrupts: 1,
        },
        Call::Accept {
            page: PageRef::Region(0),
            level: 0,
            busy: false,
            interrupts: 0,
        },
        Call::Accept {
            page: PageRef::Region(1024),
            level: 0,
            busy: true,
            interrupts: 0,
        },
        Call::VmRdFirst,
    ]);
    o.run_program(&p, |c, out| eprintln!("{c:?} -> {out:?}"))
        .unwrap_or_else(|f| panic!("{f}"));
    let mut seed = 1u64;
    for i in 0..2000 {
        let bytes: Vec<u8> = (0..200)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let p = Program::decode(Target::All, &bytes);
        if std::env::var("FROM").is_ok_and(|v| v.parse::<usize>().unwrap() > i) {
            continue;
        }
        eprintln!("program {i}: {p:?}");
        if let Err(f) = o.run_program(&p, |_, _| {}) {
            panic!("program {i}: {f}");
        }
    }
}
