//! StarNet → ONNX, from the BN-folded network ([`starnet::FusedStarNet::folded`]).
//!
//! The graph, per block (names are timm's module paths, so a profile reads like the model):
//!
//! ```text
//! d      = Conv dw7x7 (dwconv, BN folded)
//! x1, x2 = Conv 1x1 (f1) (d), Conv 1x1 (f2) (d)          the default
//!        | Split(Conv 1x1 (f12) (d), axis 1)             `merge_f12`: one conv, 2 r d outputs
//! m      = merge(x1, x2)               sum / star / star_both / star_after with the block's act
//! x      = x + Conv dw7x7 (dwconv2) (Conv 1x1 (g, BN folded) (m))
//! ```
//!
//! Why two convs by default, although one conv does the same work in one GEMM: ONNX Runtime's
//! fastest CPU path (its NCHWc layout, at `ORT_ENABLE_ALL`) has no Split, so a merged `f12` makes it
//! convert the tensor back to NCHW, split, run the activation and the product outside the convs and
//! convert again, every block; with two convs the activation fuses into `f1`'s conv and the whole
//! network stays in the blocked layout (ORT's profile: `experiments/starnet_latency.md`).
//!
//! The stem and downsamplers are Conv (+ the stem activation), the head is GlobalAveragePool,
//! Flatten and Gemm with the head BN folded into it. Opset 17 (ONNX 1.12+): every op here has
//! been stable since, and ONNX Runtime >= 1.14 and most other runtimes read it. It has no Gelu op;
//! GELU is written `0.5 * x * (1 + erf(x / sqrt 2))`, the pattern ONNX Runtime fuses back into one kernel.

use crate::graph::{Attr, Graph, float_value};
use crate::proto::{DimValue, ModelProto, OperatorSetIdProto, StringStringEntryProto};
use anyhow::{Context, Result, ensure};
use prost::Message;
use starnet::folded::{FoldedBlock, FoldedConv};
use starnet::{Act, Mode, StarNet};
use std::path::Path;

/// The ONNX operator set the graph uses.
pub const OPSET: i64 = 17;
/// The ONNX IR version that goes with [`OPSET`] (ONNX 1.12: IR 8, opset 17).
pub const IR_VERSION: i64 = 8;
/// The graph's input: `batch x in_chans x height x width` float32, preprocessed as for tch.
pub const INPUT: &str = "input";
/// The graph's output: `batch x num_classes` logits.
pub const OUTPUT: &str = "logits";

/// What the exported graph looks like from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// Input height in pixels (fixed in the graph, so ONNX Runtime can plan every buffer).
    pub height: i64,
    /// Input width in pixels.
    pub width: i64,
    /// `f1` and `f2` as one conv whose output is split, instead of two convs (slower on ONNX
    /// Runtime's CPU provider, see the module doc; for runtimes that prefer fewer, larger convs).
    pub merge_f12: bool,
}

impl Default for ExportOptions {
    /// 224 x 224, the resolution StarNet is trained and timed at.
    fn default() -> Self {
        ExportOptions {
            height: 224,
            width: 224,
            merge_f12: false,
        }
    }
}

impl ExportOptions {
    /// Square inputs of `size` pixels.
    pub fn square(size: i64) -> Self {
        ExportOptions {
            height: size,
            width: size,
            ..ExportOptions::default()
        }
    }
}

/// The ONNX model of `net` in eval mode (BatchNorm running statistics folded into the convs).
/// The batch dimension is free (`batch`), the spatial size is fixed by `opts`.
pub fn export(net: &StarNet, opts: &ExportOptions) -> Result<ModelProto> {
    let config = net.config();
    ensure!(
        opts.height >= 32 && opts.width >= 32,
        "export: an input of {} x {} px is too small for StarNet's 32x downsampling (need >= 32 px)",
        opts.height,
        opts.width
    );
    let folded = net.fuse().folded();
    let mut g = Graph::default();
    let stem = conv(&mut g, "stem.0", &folded.stem, INPUT)?;
    let mut x = act(&mut g, folded.stem_act, &stem, "stem.act");
    for (i, stage) in folded.stages.iter().enumerate() {
        x = conv(&mut g, &format!("stages.{i}.0"), &stage.down, &x)?;
        for (j, b) in stage.blocks.iter().enumerate() {
            x = block(&mut g, &format!("stages.{i}.{}", j + 1), b, &x, opts.merge_f12)?;
        }
    }
    let pooled = g.op("GlobalAveragePool", "pool", &[&x], vec![]);
    let flat = g.op("Flatten", "flatten", &[&pooled], vec![Attr::Int("axis", 1)]);
    let w = g.weight("head.weight", &folded.head_weight)?;
    let b = g.weight("head.bias", &folded.head_bias)?;
    g.op("Gemm", OUTPUT, &[&flat, &w, &b], vec![Attr::Int("transB", 1)]);

    let batch = DimValue::DimParam("batch".to_string());
    let input = float_value(
        INPUT,
        &[
            batch.clone(),
            DimValue::DimValue(config.in_chans),
            DimValue::DimValue(opts.height),
            DimValue::DimValue(opts.width),
        ],
    );
    let output = float_value(OUTPUT, &[batch, DimValue::DimValue(config.num_classes)]);
    let config_json = serde_json::to_string(config)?;
    let meta = [
        ("starlab.config", config_json),
        ("starlab.opset", OPSET.to_string()),
        ("starlab.ir_version", IR_VERSION.to_string()),
        (
            "starlab.input",
            format!(
                "{INPUT}: batch x {} x {} x {} float32, normalised as for training (ImageNet mean/std for timm weights)",
                config.in_chans, opts.height, opts.width
            ),
        ),
        (
            "starlab.folded",
            "batchnorm into convs and the classifier; f1+f2 as one conv".to_string(),
        ),
    ];
    Ok(ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        producer_name: "starlab".to_string(),
        producer_version: env!("CARGO_PKG_VERSION").to_string(),
        domain: String::new(),
        model_version: 1,
        doc_string: "StarNet (Ma et al., Rewrite the Stars, CVPR 2024), eval mode, exported by starlab"
            .to_string(),
        graph: Some(g.finish("starnet", vec![input], vec![output])),
        metadata_props: meta
            .into_iter()
            .map(|(key, value)| StringStringEntryProto {
                key: key.to_string(),
                value,
            })
            .collect(),
    })
}

/// The protobuf bytes of a model (what a `.onnx` file holds).
pub fn encode(model: &ModelProto) -> Vec<u8> {
    model.encode_to_vec()
}

/// Writes `model` to `path` (a temporary file, then a rename, so a reader never sees half a model).
pub fn write(model: &ModelProto, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create folder {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("model.onnx")
    ));
    std::fs::write(&tmp, encode(model)).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

fn conv(g: &mut Graph, name: &str, c: &FoldedConv, x: &str) -> Result<String> {
    let w = g.weight(&format!("{name}.weight"), &c.weight)?;
    let b = g.weight(&format!("{name}.bias"), &c.bias)?;
    let (s, p) = (c.stride, c.padding);
    Ok(g.op(
        "Conv",
        name,
        &[x, &w, &b],
        vec![
            Attr::Ints("kernel_shape", c.weight.size()[2..].to_vec()),
            Attr::Ints("strides", vec![s, s]),
            Attr::Ints("pads", vec![p, p, p, p]),
            Attr::Int("group", c.groups),
        ],
    ))
}

/// Output channels `[i h, (i + 1) h)` of a conv: `f1` (i = 0) or `f2` (i = 1) of the merged `f12`.
fn half(c: &FoldedConv, i: i64, h: i64) -> FoldedConv {
    FoldedConv {
        weight: c.weight.narrow(0, i * h, h),
        bias: c.bias.narrow(0, i * h, h),
        ..*c
    }
}

fn block(g: &mut Graph, p: &str, b: &FoldedBlock, x: &str, merge_f12: bool) -> Result<String> {
    let d = conv(g, &format!("{p}.dwconv"), &b.dwconv, x)?;
    let (x1, x2) = if merge_f12 {
        let y = conv(g, &format!("{p}.f12"), &b.f12, &d)?;
        // No `split` input: two equal halves (f1's channels first, as `FoldedBlock::f12` stacks them).
        let mut halves = g.node(
            "Split",
            &format!("{p}.split"),
            &[&y],
            2,
            vec![Attr::Int("axis", 1)],
        );
        let x2 = halves.pop().expect("two outputs");
        (halves.pop().expect("two outputs"), x2)
    } else {
        (
            conv(g, &format!("{p}.f1"), &half(&b.f12, 0, b.hidden), &d)?,
            conv(g, &format!("{p}.f2"), &half(&b.f12, 1, b.hidden), &d)?,
        )
    };
    let m = merge(g, p, b.mode, b.act, &x1, &x2);
    let gx = conv(g, &format!("{p}.g"), &b.g, &m)?;
    let z = conv(g, &format!("{p}.dwconv2"), &b.dwconv2, &gx)?;
    Ok(g.op("Add", &format!("{p}.add"), &[x, &z], vec![]))
}

/// The star operation and its ablations, as `starnet`'s `star()` computes them.
fn merge(g: &mut Graph, p: &str, mode: Mode, a: Act, x1: &str, x2: &str) -> String {
    let name = format!("{p}.{mode}");
    match mode {
        Mode::Sum => {
            let a1 = act(g, a, x1, &format!("{p}.act"));
            g.op("Add", &name, &[&a1, x2], vec![])
        }
        Mode::Star => {
            let a1 = act(g, a, x1, &format!("{p}.act"));
            g.op("Mul", &name, &[&a1, x2], vec![])
        }
        Mode::StarBoth => {
            let a1 = act(g, a, x1, &format!("{p}.act1"));
            let a2 = act(g, a, x2, &format!("{p}.act2"));
            g.op("Mul", &name, &[&a1, &a2], vec![])
        }
        Mode::StarAfter => {
            let m = g.op("Mul", &format!("{p}.mul"), &[x1, x2], vec![]);
            act(g, a, &m, &name)
        }
    }
}

/// `act(x)` as ONNX ops (the identity adds no node).
fn act(g: &mut Graph, a: Act, x: &str, name: &str) -> String {
    match a {
        Act::None => x.to_string(),
        Act::Relu => g.op("Relu", name, &[x], vec![]),
        Act::Relu6 => {
            let lo = g.scalar("const.0", 0.0);
            let hi = g.scalar("const.6", 6.0);
            g.op("Clip", name, &[x, &lo, &hi], vec![])
        }
        Act::LeakyRelu => g.op("LeakyRelu", name, &[x], vec![Attr::Float("alpha", 0.01)]),
        Act::Hardswish => g.op("HardSwish", name, &[x], vec![]),
        Act::Square => g.op("Mul", name, &[x, x], vec![]),
        Act::Relu2 => {
            let r = g.op("Relu", &format!("{name}.relu"), &[x], vec![]);
            g.op("Mul", name, &[&r, &r], vec![])
        }
        Act::Gelu => {
            let sqrt2 = g.scalar("const.sqrt2", std::f32::consts::SQRT_2);
            let one = g.scalar("const.1", 1.0);
            let half = g.scalar("const.0.5", 0.5);
            let d = g.op("Div", &format!("{name}.div"), &[x, &sqrt2], vec![]);
            let e = g.op("Erf", &format!("{name}.erf"), &[&d], vec![]);
            let s = g.op("Add", &format!("{name}.add"), &[&e, &one], vec![]);
            let m = g.op("Mul", &format!("{name}.mul"), &[x, &s], vec![]);
            g.op("Mul", name, &[&m, &half], vec![])
        }
    }
}
