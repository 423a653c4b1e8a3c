//! `runner describe`: parameters and MACs of a DemoNet configuration or a StarNet variant,
//! computed from the architecture by the model crates (no network is built).

use anyhow::{Result, bail};
use clap::Args;
use serde_json::json;

#[derive(Args, Debug, Clone)]
pub struct DescribeArgs {
    /// `demonet`, or a StarNet variant: starnet_s050, starnet_s100, starnet_s150, starnet_s1 .. starnet_s4.
    pub model: String,
    /// DemoNet channels.
    #[arg(long, default_value_t = 192)]
    pub width: i64,
    /// DemoNet blocks.
    #[arg(long, default_value_t = 12)]
    pub depth: i64,
    /// DemoNet stem kernel = stride.
    #[arg(long, default_value_t = 16)]
    pub patch: i64,
    /// Input channels (DemoNet).
    #[arg(long, default_value_t = 3)]
    pub in_chans: i64,
    /// Classes (DemoNet).
    #[arg(long, default_value_t = 1000)]
    pub num_classes: i64,
    /// Input side in pixels.
    #[arg(long, default_value_t = 224)]
    pub img_size: i64,
    /// Print JSON instead of a sentence.
    #[arg(long)]
    pub json: bool,
}

/// `{model, img_size, params, macs, config}`.
pub fn describe(a: &DescribeArgs) -> Result<serde_json::Value> {
    if a.model == "demonet" {
        let cfg = demonet::Config {
            width: a.width,
            depth: a.depth,
            patch: a.patch,
            in_chans: a.in_chans,
            num_classes: a.num_classes,
            ..demonet::Config::default()
        };
        cfg.validate()?;
        let macs = demonet::macs(&cfg, a.img_size)?;
        return Ok(json!({
            "model": "demonet", "img_size": a.img_size, "params": demonet::params(&cfg), "macs": macs, "config": cfg,
        }));
    }
    if a.model.starts_with("starnet") {
        let cfg = starnet::Config::from_name(&a.model)?;
        let cost = starnet::cost::cost(&cfg, a.img_size, a.img_size)?;
        return Ok(json!({
            "model": a.model, "img_size": a.img_size, "params": cost.params, "macs": cost.macs, "config": cfg,
        }));
    }
    bail!(
        "unknown model `{}`: use demonet or one of {}",
        a.model,
        starnet::VARIANTS.join(", ")
    )
}

pub fn run(a: &DescribeArgs) -> Result<()> {
    let d = describe(a)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&d)?);
        return Ok(());
    }
    let params = d["params"].as_f64().unwrap_or(0.0);
    let macs = d["macs"].as_f64().unwrap_or(0.0);
    let what = if a.model == "demonet" {
        format!(
            "demonet (width {}, depth {}, patch {}, {} in-channel(s), {} classes)",
            a.width, a.depth, a.patch, a.in_chans, a.num_classes
        )
    } else {
        a.model.clone()
    };
    println!(
        "{what} at {s}x{s} px: {:.3}M parameters ({}), {:.3}G MACs per image ({})",
        params / 1e6,
        d["params"],
        macs / 1e9,
        d["macs"],
        s = a.img_size
    );
    Ok(())
}
