//! `cargo run -p baseliner-samplegen -- samples/router-fw.bin` rebuilds the sample.

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "samples/router-fw.bin".into());
    if let Err(e) = std::fs::write(&out, baseliner_samplegen::image()) {
        eprintln!("error: writing {out}: {e}");
        std::process::exit(1);
    }
    println!("wrote {out}");
}
