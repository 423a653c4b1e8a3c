//! Where tensors live: `cpu`, `cuda` or `auto` (CUDA when libtorch sees a GPU).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    Cpu,
    Cuda,
    #[default]
    Auto,
}

impl DeviceChoice {
    /// The tch device, or an error when CUDA is asked for and libtorch sees none.
    pub fn resolve(self) -> anyhow::Result<tch::Device> {
        match self {
            DeviceChoice::Cpu => Ok(tch::Device::Cpu),
            DeviceChoice::Auto => Ok(tch::Device::cuda_if_available()),
            DeviceChoice::Cuda if tch::Cuda::is_available() => Ok(tch::Device::Cuda(0)),
            DeviceChoice::Cuda => anyhow::bail!(
                "--device cuda: libtorch sees no CUDA device (driver missing, or no GPU here); use --device cpu"
            ),
        }
    }
}

impl std::str::FromStr for DeviceChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda),
            "auto" => Ok(Self::Auto),
            _ => Err(format!("unknown device '{s}': expected cpu, cuda or auto")),
        }
    }
}

/// A short human name for results files: "cpu", "cuda:0 (NVIDIA H200)" ...
pub fn describe(device: tch::Device) -> String {
    match device {
        tch::Device::Cuda(i) => format!("cuda:{i}"),
        _ => "cpu".to_string(),
    }
}
