//! The reach table: every status the model lists for a leaf or TDVMCALL sub-function
//! (`tdx_model::reach::STATUSES`) is reached by the committed seeds plus generated programs on
//! some modelled module version, except those `tdx_model::reach::NOT_REACHED` excuses with a
//! reason; none of those is reached (a stale reason fails too); and nothing a leaf answered is
//! missing from its list.

use tdx_oracle::reach::{collect, gaps, table};
use tdx_oracle::Production;

#[test]
fn every_listed_status_is_reached() {
    let mut reach = collect(Production, 60).unwrap_or_else(|f| panic!("{f}"));
    print!("{}", table(&reach));
    let found = gaps(&reach);
    assert!(found.is_empty(), "reach gaps:\n{}", found.join("\n"));
    // The check can fail: a status the model does not list for a leaf, and a leaf whose
    // outcomes are missing, are each reported.
    reach
        .get_mut("TDG.VP.INFO")
        .expect("TDG.VP.INFO reached")
        .insert("TDX_OPERAND_INVALID(RCX)".into());
    assert_eq!(
        gaps(&reach),
        ["TDG.VP.INFO: TDX_OPERAND_INVALID(RCX) reached, yet not listed"]
    );
    reach.remove("TDG.VP.INFO");
    assert_eq!(gaps(&reach), ["TDG.VP.INFO: TDX_SUCCESS not reached"]);
}
