//! Measured ranks of small families against counts derived by hand, and the config contract.

use star_math::families::{Activation, Family, Probe, Scope};
use star_math::rank::RankMethod;
use star_math::{ImplicitDimConfig, ProbeSet, Record, run};

fn set(family: Family, d: &[usize], layers: &[usize], bias: &[bool]) -> ProbeSet {
    ProbeSet {
        d: d.to_vec(),
        layers: layers.to_vec(),
        bias: bias.to_vec(),
        ..ProbeSet::new(family)
    }
}

fn measure(probes: Vec<ProbeSet>) -> Vec<Record> {
    let cfg = ImplicitDimConfig {
        probes,
        threads: 2,
        ..ImplicitDimConfig::default()
    };
    run(&cfg, &mut |_, _| {}).expect("valid config")
}

fn find(rs: &[Record], f: impl Fn(&Record) -> bool) -> &Record {
    rs.iter().find(|r| f(r)).expect("record present")
}

#[test]
fn one_layer_families_match_hand_counts() {
    // d = 3; expected values derived by hand (see experiments/implicit_dim.md):
    // star: monomials of degree <= 2 in 3 variables = 10 (bias), x_i x_j = 6 (no bias);
    // sum: 1, x1..x3 = 4 / 3; Case II one channel: x_c x_j (3), x_j (3), 1 = 7 / 3;
    // Case II across: 10 / 6; Case III one channel: x_c², x_c, 1 = 3 / 1; across: 7 / 3;
    // Case I with z²: cubics in (x, 1) = C(6, 3) = 20.
    let rs = measure(vec![
        set(Family::Star, &[3], &[1], &[true, false]),
        set(Family::Sum, &[3], &[1], &[true, false]),
        set(Family::Case2, &[3], &[1], &[true, false]),
        set(Family::Case3, &[3], &[1], &[true, false]),
        ProbeSet {
            activations: vec![Activation::Square],
            ..set(Family::Case1, &[3], &[1], &[true])
        },
    ]);
    let expect = [
        (Family::Star, true, Scope::Channel, 10),
        (Family::Star, false, Scope::Channel, 6),
        (Family::Sum, true, Scope::Channel, 4),
        (Family::Sum, false, Scope::Channel, 3),
        (Family::Case2, true, Scope::Channel, 7),
        (Family::Case2, false, Scope::Channel, 3),
        (Family::Case2, true, Scope::Across, 10),
        (Family::Case2, false, Scope::Across, 6),
        (Family::Case3, true, Scope::Channel, 3),
        (Family::Case3, false, Scope::Channel, 1),
        (Family::Case3, true, Scope::Across, 7),
        (Family::Case3, false, Scope::Across, 3),
        (Family::Case1, true, Scope::Channel, 20),
    ];
    for (family, bias, scope, n) in expect {
        let r = find(&rs, |r| r.family == family && r.bias == bias && r.scope == scope);
        assert_eq!(
            r.measured_rank,
            Some(n),
            "{family:?} bias={bias} {scope:?}: {}",
            r.note
        );
        assert_eq!(r.exact_count, Some(n as f64), "{family:?} bias={bias} {scope:?}");
        assert!(r.reliable, "{family:?} bias={bias} {scope:?}: {}", r.note);
        assert!(r.samples > n && r.functions > n && r.subset_samples > n);
    }
}

#[test]
fn stacked_star_nets_span_all_polynomials_of_degree_two_to_the_l() {
    // C(d + 2^l, 2^l) with bias, C(d + 2^l - 1, 2^l) without: d = 2: l = 2 -> 15 / 5,
    // l = 3 -> 45 / 9, l = 4 -> 153 / 17.
    let rs = measure(vec![set(Family::Star, &[2], &[2, 3, 4], &[true, false])]);
    for (layers, bias, n) in [
        (2, true, 15),
        (2, false, 5),
        (3, true, 45),
        (3, false, 9),
        (4, true, 153),
        (4, false, 17),
    ] {
        let r = find(&rs, |r| r.layers == layers && r.bias == bias);
        assert_eq!(r.measured_rank, Some(n), "l={layers} bias={bias}: {}", r.note);
        assert!(r.reliable, "l={layers} bias={bias}: {}", r.note);
    }
    // Stacked sums stay affine.
    let rs = measure(vec![set(Family::Sum, &[3], &[3], &[true])]);
    assert_eq!(rs[0].measured_rank, Some(4));
}

#[test]
fn non_polynomial_case1_is_flagged_unreliable() {
    let rs = measure(vec![ProbeSet {
        activations: vec![Activation::Relu, Activation::Tanh],
        ..set(Family::Case1, &[3], &[1], &[true])
    }]);
    for r in &rs {
        assert!(!r.reliable, "{:?}: {}", r.activation, r.note);
        assert_eq!(r.exact_count, None);
        // The span exceeds the star op's 10 dimensions; the number is kept for inspection.
        assert!(r.measured_rank.unwrap() > 10, "{:?}: {}", r.activation, r.note);
        assert!(r.note.contains("UNRELIABLE"), "{}", r.note);
    }
}

#[test]
fn probes_above_max_side_are_not_measured() {
    let cfg = ImplicitDimConfig {
        probes: vec![set(Family::Star, &[64], &[2], &[true])],
        ..ImplicitDimConfig::default()
    };
    let rs = run(&cfg, &mut |_, _| {}).unwrap();
    assert_eq!(rs[0].measured_rank, None);
    assert!(!rs[0].reliable);
    assert_eq!(rs[0].exact_count, Some(814385.0)); // C(68, 4)
    assert!(rs[0].note.contains("max_side"), "{}", rs[0].note);
}

#[test]
fn paper_formulas() {
    let p = |family, d, layers| Probe {
        family,
        d,
        layers,
        bias: true,
        activation: None,
        scope: Scope::Channel,
    };
    assert_eq!(p(Family::Star, 64, 1).paper_formula(), Some(2145.0));
    // (4/√2)^4 = 64.
    assert!((p(Family::Star, 4, 2).paper_formula().unwrap() - 64.0).abs() < 1e-9);
    assert_eq!(p(Family::Case2, 8, 1).paper_formula(), Some(16.0));
    assert_eq!(p(Family::Case3, 8, 1).paper_formula(), Some(8.0));
    assert_eq!(p(Family::Sum, 8, 1).paper_formula(), None);
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let probes = vec![
        set(Family::Star, &[4], &[1, 2], &[true]),
        set(Family::Case1, &[3], &[1], &[true]),
    ];
    let strip = |mut rs: Vec<Record>| {
        rs.iter_mut().for_each(|r| r.seconds = 0.0);
        rs
    };
    let one = ImplicitDimConfig {
        probes: probes.clone(),
        threads: 1,
        ..ImplicitDimConfig::default()
    };
    let two = ImplicitDimConfig {
        probes,
        threads: 2,
        ..ImplicitDimConfig::default()
    };
    let a = strip(run(&one, &mut |_, _| {}).unwrap());
    let b = strip(run(&two, &mut |_, _| {}).unwrap());
    assert_eq!(
        a.iter().map(|r| r.measured_rank).collect::<Vec<_>>(),
        b.iter().map(|r| r.measured_rank).collect::<Vec<_>>()
    );
    assert_eq!(
        a.iter().map(|r| r.subset_rank).collect::<Vec<_>>(),
        b.iter().map(|r| r.subset_rank).collect::<Vec<_>>()
    );
}

#[test]
fn progress_is_reported_per_probe() {
    let cfg = ImplicitDimConfig {
        probes: vec![set(Family::Sum, &[2, 3], &[1], &[true, false])],
        ..Default::default()
    };
    let mut seen = Vec::new();
    run(&cfg, &mut |done, total| seen.push((done, total))).unwrap();
    assert_eq!(seen, vec![(1, 4), (2, 4), (3, 4), (4, 4)]);
}

#[test]
fn default_config_covers_the_issue_and_round_trips_through_toml() {
    let cfg = ImplicitDimConfig::default();
    cfg.validate().unwrap();
    let probes: Vec<Probe> = cfg.probes.iter().flat_map(ProbeSet::probes).collect();
    for d in [2, 64] {
        for family in [Family::Star, Family::Sum, Family::Case2, Family::Case3] {
            assert!(
                probes
                    .iter()
                    .any(|p| p.family == family && p.d == d && p.layers == 1),
                "{family:?} d={d}"
            );
        }
    }
    for l in 2..=4 {
        assert!(
            probes.iter().any(|p| p.family == Family::Star && p.layers == l),
            "star l={l}"
        );
    }
    let text = toml::to_string(&cfg).unwrap();
    let back: ImplicitDimConfig = toml::from_str(&text).unwrap();
    assert_eq!(back, cfg);
    // An empty file is the default config.
    assert_eq!(toml::from_str::<ImplicitDimConfig>("").unwrap(), cfg);
}

#[test]
fn bad_configs_name_the_field() {
    let err = toml::from_str::<ImplicitDimConfig>("sead = 1")
        .unwrap_err()
        .to_string();
    assert!(err.contains("sead"), "{err}");
    let err = toml::from_str::<ImplicitDimConfig>("[[probes]]\nfamily = \"starr\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("starr"), "{err}");
    let err = toml::from_str::<ImplicitDimConfig>("[[probes]]\nd = [2]")
        .unwrap_err()
        .to_string();
    assert!(err.contains("family"), "{err}");

    let bad = |cfg: ImplicitDimConfig, field: &str| {
        let err = run(&cfg, &mut |_, _| {}).unwrap_err().to_string();
        assert!(err.contains(field), "{field}: {err}");
    };
    bad(
        ImplicitDimConfig {
            oversample: 0.5,
            ..Default::default()
        },
        "oversample",
    );
    bad(
        ImplicitDimConfig {
            subset_fraction: 1.0,
            ..Default::default()
        },
        "subset_fraction",
    );
    bad(
        ImplicitDimConfig {
            min_gap: f64::NAN,
            ..Default::default()
        },
        "min_gap",
    );
    bad(
        ImplicitDimConfig {
            rel_tol: Some(0.0),
            ..Default::default()
        },
        "rel_tol",
    );
    bad(
        ImplicitDimConfig {
            probes: vec![],
            ..Default::default()
        },
        "probes",
    );
    bad(
        ImplicitDimConfig {
            probes: vec![set(Family::Star, &[0], &[1], &[true])],
            ..Default::default()
        },
        "probes[0].d",
    );
    bad(
        ImplicitDimConfig {
            probes: vec![set(Family::Case2, &[3], &[2], &[true])],
            ..Default::default()
        },
        "probes[0].layers",
    );
    bad(
        ImplicitDimConfig {
            probes: vec![set(Family::Star, &[3], &[1], &[])],
            ..Default::default()
        },
        "probes[0].bias",
    );
}

#[test]
fn records_serialise_with_the_issue_field_names() {
    let rs = measure(vec![set(Family::Star, &[2], &[1], &[true])]);
    let v = serde_json::to_value(&rs).unwrap();
    let r = &v[0];
    for key in [
        "family",
        "d",
        "layers",
        "bias",
        "measured_rank",
        "paper_formula",
        "exact_count",
        "samples",
        "functions",
        "reliable",
        "activation",
        "note",
    ] {
        assert!(r.get(key).is_some(), "missing {key}");
    }
    assert_eq!(r["family"], "star");
    assert_eq!(r["measured_rank"], 6);
    assert_eq!(r["rank_method"], "svd");
    // Records written before `rank_method` existed still read back.
    let mut old = r.clone();
    old.as_object_mut().unwrap().remove("rank_method");
    let back: Record = serde_json::from_value(old).unwrap();
    assert_eq!(back.rank_method, None);
}

#[test]
fn large_probes_take_the_certified_gram_route_with_the_same_verdict() {
    // Star d = 24 with bias: 504 points and members (subset 378), span C(26, 2) = 325.
    let rs = measure(vec![set(Family::Star, &[2, 24], &[1], &[true])]);
    let (small, large) = (&rs[0], &rs[1]);
    assert_eq!(small.rank_method, Some(RankMethod::Svd), "{}", small.note);
    assert_eq!(large.rank_method, Some(RankMethod::Gram), "{}", large.note);
    assert_eq!((large.samples, large.subset_samples), (504, 378));
    assert_eq!(large.measured_rank, Some(325), "{}", large.note);
    assert_eq!(large.subset_rank, Some(325), "{}", large.note);
    assert!(large.reliable, "{}", large.note);
    assert!(large.gap.unwrap() >= 1e3, "a certified gap bound clears min_gap");
}
