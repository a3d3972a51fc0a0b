//! The one map from the code names of tests (`lm_lag`, `robust_lm_error`, …) to the labels that
//! tables print (`LM lag`, `Robust LM error`, …). Code names stay the keys of JSON, `to_map()`
//! and `t["lm_lag"]`; every table row shows the label ([`crate::report::Table::row_named`]
//! finds a row by either).

/// (code name, label) of every named test.
const TEST_LABELS: [(&str, &str); 19] = [
    ("lm_lag", "LM lag"),
    ("lm_error", "LM error"),
    ("robust_lm_lag", "Robust LM lag"),
    ("robust_lm_error", "Robust LM error"),
    ("sarma", "SARMA"),
    ("lr_individual_given_time", "LR individual FE (given time FE)"),
    ("lr_time_given_individual", "LR time FE (given individual FE)"),
    ("lr_individual_vs_pooled", "LR individual FE vs pooled"),
    ("lr_time_vs_pooled", "LR time FE vs pooled"),
    ("f_individual_vs_pooled", "F individual FE vs pooled"),
    ("f_time_vs_pooled", "F time FE vs pooled"),
    ("f_twoways_vs_pooled", "F two-way FE vs pooled"),
    ("hausman", "Hausman"),
    ("hausman_sar", "Hausman (SAR)"),
    ("hausman_sem", "Hausman (SEM)"),
    ("hausman_sdm", "Hausman (SDM)"),
    ("hausman_sac", "Hausman (SAC)"),
    ("hausman_sdem", "Hausman (SDEM)"),
    ("hausman_slx", "Hausman (SLX)"),
];

/// The printed label of the test with code name `name` (`"lm_lag"` → `"LM lag"`), or None
/// for a name without one (names such as `LM1` or `C.1` are printed as they are).
pub fn test_label(name: &str) -> Option<&'static str> {
    TEST_LABELS
        .iter()
        .find(|(code, _)| *code == name)
        .map(|(_, label)| *label)
}

/// [`test_label`] or, without one, `name` itself.
pub fn label_or_name(name: &str) -> String {
    test_label(name).map_or_else(|| name.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_unique_and_readable() {
        assert_eq!(test_label("robust_lm_error"), Some("Robust LM error"));
        assert_eq!(label_or_name("LM1"), "LM1");
        for (i, (code, label)) in TEST_LABELS.iter().enumerate() {
            assert!(!label.contains('_'), "{label}");
            assert!(TEST_LABELS[i + 1..].iter().all(|(c, l)| c != code && l != label));
        }
    }
}
