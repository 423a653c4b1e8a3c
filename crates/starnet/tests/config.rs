//! Config presets, names, validation, serde; cost against the paper's table.

use starnet::{Act, Config, Mode, cost, describe};

#[test]
fn presets_match_the_paper() {
    let rows = [
        ("starnet_s050", 16, vec![1, 1, 3, 1], 3),
        ("starnet_s100", 20, vec![1, 2, 4, 1], 4),
        ("starnet_s150", 24, vec![1, 2, 4, 2], 3),
        ("starnet_s1", 24, vec![2, 2, 8, 3], 4),
        ("starnet_s2", 32, vec![1, 2, 6, 2], 4),
        ("starnet_s3", 32, vec![2, 2, 8, 4], 4),
        ("starnet_s4", 32, vec![3, 3, 12, 5], 4),
    ];
    for (name, base, depths, r) in rows {
        let c = Config::from_name(name).unwrap();
        assert_eq!((c.base_dim, &c.depths, c.mlp_ratio), (base, &depths, r), "{name}");
        assert_eq!((c.act, c.stem_act), (Act::Relu6, Act::Relu6));
        assert_eq!(c.stage_modes, vec![Mode::Star; 4]);
        assert_eq!((c.num_classes, c.in_chans), (1000, 3));
    }
    assert_eq!(
        Config::default(),
        Config::s4(),
        "timm's StarNet() defaults are S4's"
    );
}

#[test]
fn names_accept_short_forms_and_tags() {
    assert_eq!(Config::from_name("S1").unwrap(), Config::s1());
    assert_eq!(Config::from_name("starnet_s2.in1k").unwrap(), Config::s2());
    let err = Config::from_name("starnet_s5").unwrap_err().to_string();
    assert!(err.contains("unknown StarNet variant 'starnet_s5'"), "{err}");
    assert!(err.contains(
        "starnet_s050, starnet_s100, starnet_s150, starnet_s1, starnet_s2, starnet_s3, starnet_s4"
    ));
}

#[test]
fn params_round_to_the_papers_table() {
    // Paper Table (section 4): params in millions as printed.
    let paper = [
        ("s050", 0.54, 2),
        ("s100", 1.04, 2),
        ("s150", 1.56, 2),
        ("s1", 2.9, 1),
        ("s2", 3.7, 1),
        ("s3", 5.8, 1),
        ("s4", 7.5, 1),
    ];
    for (name, millions, decimals) in paper {
        let p = describe(name, 224).unwrap().params as f64 / 1e6;
        let scale = 10f64.powi(decimals);
        assert_eq!((p * scale).round() / scale, millions, "{name}: {p:.4}M params");
    }
}

#[test]
fn macs_are_within_a_few_percent_of_the_papers_flops() {
    // The paper's "FLOPs" are MACs (2x this would be ~850M for S1). Its counter added a little on
    // top of conv + linear MACs (see README); S4's 1075M is the largest gap (2.4%).
    let paper = [
        ("s050", 92.8),
        ("s100", 187.1),
        ("s150", 229.0),
        ("s1", 425.0),
        ("s2", 547.0),
        ("s3", 757.0),
        ("s4", 1075.0),
    ];
    for (name, mmacs) in paper {
        let m = describe(name, 224).unwrap().macs as f64 / 1e6;
        let rel = (m - mmacs) / mmacs;
        assert!(
            (-0.025..=0.0).contains(&rel),
            "{name}: {m:.1}M MACs vs paper {mmacs}M ({:+.2}%)",
            rel * 100.0
        );
    }
}

#[test]
fn macs_scale_with_image_area() {
    let a = describe("s1", 224).unwrap();
    let b = describe("s1", 448).unwrap();
    assert_eq!(a.params, b.params);
    let head = 192 * 1000; // the classifier's MACs do not grow with the image
    assert_eq!(b.macs - head, 4 * (a.macs - head));
    assert!(describe("s1", 0).is_err());
    assert!(
        describe("nope", 224)
            .unwrap_err()
            .to_string()
            .contains("valid names")
    );
}

#[test]
fn serde_round_trip_and_unknown_fields() {
    let c = Config {
        act: Act::Gelu,
        stage_modes: vec![Mode::Sum, Mode::Star, Mode::StarBoth, Mode::StarAfter],
        ..Config::s1()
    };
    let json = serde_json::to_string(&c).unwrap();
    assert!(
        json.contains("\"stage_modes\":[\"sum\",\"star\",\"star_both\",\"star_after\"]"),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<Config>(&json).unwrap(), c);
    // Missing fields take the defaults (S4's).
    let partial: Config = serde_json::from_str(r#"{"base_dim": 24, "act": "hardswish"}"#).unwrap();
    assert_eq!(
        partial,
        Config {
            base_dim: 24,
            act: Act::Hardswish,
            ..Config::default()
        }
    );
    let err = serde_json::from_str::<Config>(r#"{"base_dims": 24}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `base_dims`"), "{err}");
    let err = serde_json::from_str::<Config>(r#"{"act": "swish"}"#)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown variant `swish`") && err.contains("relu6"),
        "{err}"
    );
}

#[test]
fn validation_names_the_field() {
    let bad = |c: Config| c.validate().unwrap_err().to_string();
    assert!(
        bad(Config {
            base_dim: 0,
            ..Config::s1()
        })
        .contains("base_dim")
    );
    assert!(
        bad(Config {
            depths: vec![],
            stage_modes: vec![],
            ..Config::s1()
        })
        .contains("depths")
    );
    assert!(
        bad(Config {
            mlp_ratio: 0,
            ..Config::s1()
        })
        .contains("mlp_ratio")
    );
    assert!(
        bad(Config {
            drop_path_rate: 1.5,
            ..Config::s1()
        })
        .contains("drop_path_rate")
    );
    assert!(
        bad(Config {
            num_classes: 0,
            ..Config::s1()
        })
        .contains("num_classes")
    );
    assert!(
        bad(Config {
            stage_modes: vec![Mode::Sum; 3],
            ..Config::s1()
        })
        .contains("stage_modes has 3 entries")
    );
    assert!(
        cost(
            &Config {
                in_chans: 0,
                ..Config::s1()
            },
            224,
            224
        )
        .is_err()
    );
}

#[test]
fn drop_path_rates_rise_linearly_like_timm() {
    let c = Config {
        drop_path_rate: 0.1,
        ..Config::s4()
    };
    let r = c.drop_path_rates();
    assert_eq!(r.len(), 23);
    assert_eq!(r[0], 0.0);
    assert!((r[22] - 0.1).abs() < 1e-12);
    assert!((r[11] - 0.05).abs() < 1e-12);
}
