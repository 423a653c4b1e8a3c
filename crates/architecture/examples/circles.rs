//! Prints the import circles of every crate in a workspace's `crates/` folder, e.g. of another
//! checkout: `cargo run -p architecture --example circles -- /path/to/crates`.

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "crates".to_string());
    let mut crates: Vec<_> = std::fs::read_dir(&dir)
        .expect("a crates/ folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    crates.sort();
    let mut found = 0;
    for c in crates {
        let graph = architecture::Graph::of_crate(&c).unwrap();
        for cycle in graph.cycles() {
            found += 1;
            let files: Vec<String> = cycle.iter().map(|f| f.display().to_string()).collect();
            println!(
                "{}: {}",
                c.file_name().unwrap().to_string_lossy(),
                files.join(", ")
            );
            println!("    {}", graph.edges_within(&cycle).join("\n    "));
        }
    }
    println!("{found} circle(s)");
}
