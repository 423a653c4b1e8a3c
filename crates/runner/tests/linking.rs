//! The runner must load libtorch the way a GPU machine needs it, even when built on a CPU-only
//! machine: `libtorch.so` among its NEEDED libraries (with the linker's default `--as-needed` it is
//! dropped, `libtorch_cuda.so` never loads and CUDA silently reports "not available"), and a
//! run path that finds it without `LD_LIBRARY_PATH`.

use object::Endianness;
use object::elf::{DT_NEEDED, DT_RPATH, DT_RUNPATH, FileHeader64};
use object::read::elf::{Dyn, FileHeader};
use std::path::{Path, PathBuf};
use std::process::Command;

const RUNNER: &str = env!("CARGO_BIN_EXE_runner");

struct Dynamic {
    needed: Vec<String>,
    run_paths: Vec<PathBuf>,
}

fn dynamic_section(path: &str) -> Dynamic {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let elf = FileHeader64::<Endianness>::parse(&*data).expect("the runner is a 64-bit ELF file");
    let endian = elf.endian().expect("known endianness");
    let sections = elf.sections(endian, &*data).expect("section table");
    let (entries, strings_index) = sections
        .dynamic(endian, &*data)
        .expect("dynamic section")
        .expect("a dynamically linked runner");
    let strings = sections
        .strings(endian, &*data, strings_index)
        .expect("dynamic string table");
    let mut out = Dynamic {
        needed: vec![],
        run_paths: vec![],
    };
    for entry in entries {
        let tag = entry.d_tag(endian) as i64;
        if ![DT_NEEDED, DT_RPATH, DT_RUNPATH].contains(&tag) {
            continue;
        }
        let value =
            String::from_utf8_lossy(entry.string(endian, strings).expect("string entry")).into_owned();
        if tag == DT_NEEDED {
            out.needed.push(value);
        } else {
            out.run_paths.extend(value.split(':').map(PathBuf::from));
        }
    }
    out
}

#[test]
fn runner_needs_libtorch_itself_not_only_libtorch_cpu() {
    let dynamic = dynamic_section(RUNNER);
    for lib in ["libtorch.so", "libtorch_cpu.so", "libc10.so"] {
        assert!(
            dynamic.needed.iter().any(|n| n == lib),
            "{lib} missing from NEEDED: {:?}",
            dynamic.needed
        );
    }
}

#[test]
fn runner_run_path_finds_libtorch() {
    let dynamic = dynamic_section(RUNNER);
    assert!(
        dynamic
            .run_paths
            .iter()
            .any(|dir| Path::new(dir).join("libtorch_cpu.so").is_file()),
        "no RPATH/RUNPATH entry holds libtorch_cpu.so: {:?}",
        dynamic.run_paths
    );
}

#[test]
fn runner_starts_without_ld_library_path() {
    let out = Command::new(RUNNER)
        .arg("--version")
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("the runner starts");
    assert!(
        out.status.success(),
        "runner --version failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn elf_reader_sees_a_plain_binary_without_libtorch() {
    // Guards the reader above: a binary that never links libtorch must not look as if it did.
    let sh = dynamic_section("/bin/sh");
    assert!(!sh.needed.is_empty(), "/bin/sh has NEEDED entries");
    assert!(!sh.needed.iter().any(|n| n.starts_with("libtorch")));
}
