//! Where data sets that come as files are looked for.
//!
//! Order: (1) the `path` in the config's `[data]` section; when it is set, it is the only place
//! tried, so a typo never silently falls back to other data; (2) the data set's environment
//! variable (`FASHION_MNIST_DIR`, `MNIST_DIR`, `CIFAR10_DIR`, `MNIST1D_DIR`); (3) `data/<name>/` in the project,
//! i.e. under the first folder, from the current directory upwards, whose `Cargo.toml` has a
//! `[workspace]` table (and the same for the folder this crate was built from, so tests and
//! benches find it from any directory); (4) system folders, e.g. `/usr/share/datasets/fashion-mnist`
//! where Debian's `dataset-fashion-mnist` package installs it. The first place that holds all
//! files wins; if none does, the error lists every place and why it was passed over.

use std::path::{Path, PathBuf};

use super::error::{DataError, NotFound, Result};

/// A data set that comes as files, and where it may be found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// Name for people, e.g. `Fashion-MNIST`.
    pub title: &'static str,
    /// Folder name under the project's `data/`.
    pub dir_name: &'static str,
    /// Environment variable naming a folder that holds the files.
    pub env_var: &'static str,
    /// Folders a system package installs the files into.
    pub system_dirs: &'static [&'static str],
    /// How to get the data, one suggestion each.
    pub help: &'static [&'static str],
}

pub const FASHION_MNIST: Source = Source {
    title: "Fashion-MNIST",
    dir_name: "fashion-mnist",
    env_var: "FASHION_MNIST_DIR",
    system_dirs: &["/usr/share/datasets/fashion-mnist"],
    help: &[
        "`apt-get install dataset-fashion-mnist` (Debian/Ubuntu; installs /usr/share/datasets/fashion-mnist), or",
        "`./lab setup`, which unpacks that package into data/fashion-mnist without root, or",
        "put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and \
         t10k-labels-idx1-ubyte.gz (https://github.com/zalandoresearch/fashion-mnist) in a folder and \
         set FASHION_MNIST_DIR or `path` in [data] to it",
    ],
};

pub const MNIST: Source = Source {
    title: "MNIST",
    dir_name: "mnist",
    env_var: "MNIST_DIR",
    system_dirs: &["/usr/share/datasets/mnist"],
    help: &[
        "put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and \
         t10k-labels-idx1-ubyte.gz (e.g. from https://ossci-datasets.s3.amazonaws.com/mnist/) in \
         data/mnist/, or in a folder named by MNIST_DIR or `path` in [data]",
    ],
};

pub const CIFAR10: Source = Source {
    title: "CIFAR-10",
    dir_name: "cifar-10",
    env_var: "CIFAR10_DIR",
    system_dirs: &[],
    help: &[
        "download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and unpack it \
         into data/cifar-10/ (its cifar-10-batches-bin/ folder is found too), or into a folder named \
         by CIFAR10_DIR or `path` in [data]",
    ],
};

pub const MNIST1D: Source = Source {
    title: "MNIST-1D",
    dir_name: "mnist1d",
    env_var: "MNIST1D_DIR",
    system_dirs: &[],
    help: &[
        "`./lab setup`, which installs the pinned mnist1d package into .venv and generates the \
         published data set into data/mnist1d/ (scripts/make_mnist1d.py), or",
        "run `python scripts/make_mnist1d.py DIR` where the mnist1d package is installed, and set \
         MNIST1D_DIR or `path` in [data] to DIR",
    ],
};

/// The places to look, already resolved (so tests can build them without touching the process).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Places {
    /// `path` from the config; when set, nothing else is tried.
    pub explicit: Option<PathBuf>,
    /// The value of the data set's environment variable, when set and not empty.
    pub env: Option<PathBuf>,
    /// Project roots; `data/<dir_name>/` under each is tried.
    pub project_roots: Vec<PathBuf>,
    /// System folders.
    pub system: Vec<PathBuf>,
}

impl Places {
    /// The standard places: `explicit`, the environment variable, the project roots, the system.
    pub fn standard(source: &Source, explicit: Option<&Path>) -> Places {
        Places {
            explicit: explicit.map(Path::to_path_buf),
            env: std::env::var_os(source.env_var)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            project_roots: project_roots(),
            system: source.system_dirs.iter().map(PathBuf::from).collect(),
        }
    }

    /// `(description, folder)` in lookup order.
    fn candidates(&self, source: &Source) -> Vec<(String, Option<PathBuf>)> {
        if let Some(p) = &self.explicit {
            return vec![(
                format!("`path` in [data] ({}; no other place is tried)", p.display()),
                Some(p.clone()),
            )];
        }
        let mut c = Vec::new();
        match &self.env {
            Some(p) => c.push((format!("${} ({})", source.env_var, p.display()), Some(p.clone()))),
            None => c.push((format!("${}", source.env_var), None)),
        }
        for root in &self.project_roots {
            let p = root.join("data").join(source.dir_name);
            c.push((format!("project data folder {}", p.display()), Some(p)));
        }
        for p in &self.system {
            c.push((format!("system folder {}", p.display()), Some(p.clone())));
        }
        c
    }
}

/// Tries each place in order; `check` accepts a folder (returning what it found) or says why not.
pub fn locate<T>(
    source: &Source,
    places: &Places,
    check: impl Fn(&Path) -> std::result::Result<T, String>,
) -> Result<T> {
    let mut tried = Vec::new();
    for (place, dir) in places.candidates(source) {
        let why = match dir {
            None => "not set".to_string(),
            Some(dir) if !dir.is_dir() => "no such folder".to_string(),
            Some(dir) => match check(&dir) {
                Ok(found) => return Ok(found),
                Err(why) => why,
            },
        };
        tried.push((place, why));
    }
    Err(DataError::NotFound(Box::new(NotFound {
        dataset: source.title.to_string(),
        tried,
        help: source.help.iter().map(|s| s.to_string()).collect(),
    })))
}

/// Project roots: from the current directory and from this crate's source folder, upwards, the
/// first folder whose `Cargo.toml` has a `[workspace]` table (each found once).
pub fn project_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    let starts = [
        std::env::current_dir().ok(),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
    ];
    for start in starts.into_iter().flatten() {
        if let Some(root) = workspace_root(&start)
            && !roots.contains(&root)
        {
            roots.push(root);
        }
    }
    roots
}

/// The first of `start` and its ancestors whose `Cargo.toml` declares a `[workspace]`.
pub fn workspace_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| is_workspace_root(dir))
        .map(Path::to_path_buf)
}

fn is_workspace_root(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|toml| toml.lines().any(|l| l.trim() == "[workspace]"))
}

/// The four IDX files of MNIST or Fashion-MNIST in one folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxFiles {
    pub dir: PathBuf,
    pub train_images: PathBuf,
    pub train_labels: PathBuf,
    pub test_images: PathBuf,
    pub test_labels: PathBuf,
}

pub const IDX_STEMS: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// The IDX files in `dir`, each raw (`<stem>`) or gzip (`<stem>.gz`; raw wins when both exist).
pub fn find_idx_files(dir: &Path) -> std::result::Result<IdxFiles, String> {
    let find = |stem: &str| {
        [dir.join(stem), dir.join(format!("{stem}.gz"))]
            .into_iter()
            .find(|p| p.is_file())
    };
    let found: Vec<Option<PathBuf>> = IDX_STEMS.iter().map(|s| find(s)).collect();
    let missing: Vec<String> = IDX_STEMS
        .iter()
        .zip(&found)
        .filter(|(_, f)| f.is_none())
        .map(|(s, _)| format!("{s}[.gz]"))
        .collect();
    match &found[..] {
        [Some(a), Some(b), Some(c), Some(d)] => Ok(IdxFiles {
            dir: dir.to_path_buf(),
            train_images: a.clone(),
            train_labels: b.clone(),
            test_images: c.clone(),
            test_labels: d.clone(),
        }),
        _ => Err(format!("missing {}", missing.join(", "))),
    }
}

/// Finds MNIST-style IDX files for `source` in the standard places.
pub fn locate_idx(source: &Source, explicit: Option<&Path>) -> Result<IdxFiles> {
    locate(source, &Places::standard(source, explicit), find_idx_files)
}
