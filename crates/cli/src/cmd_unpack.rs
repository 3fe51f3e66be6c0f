use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::{UnpackArgs, spinner, write_json};

pub fn run(a: UnpackArgs) -> Result<ExitCode> {
    let limits = a.limits.limits();
    let pb = spinner();
    let progress = |msg: &str| {
        if let Some(pb) = &pb {
            pb.set_message(msg.to_string());
        }
    };
    let report = baseliner_unpack::unpack(&a.image, &a.out, &limits, Some(&progress))
        .with_context(|| format!("unpacking {}", a.image.display()))?;
    if let Some(pb) = &pb {
        pb.finish_and_clear();
    }
    if let Some(j) = &a.json {
        write_json(j, &report)?;
    }
    let files = report
        .files
        .iter()
        .filter(|f| f.kind == baseliner_unpack::EntryKind::File)
        .count();
    println!(
        "{}: {} bytes, sha256 {}",
        report.image, report.image_size, report.image_sha256
    );
    for h in &report.formats {
        let loc = if h.file.is_empty() {
            String::new()
        } else {
            format!(" in {}", h.file)
        };
        println!(
            "  0x{:08x}{loc}  {:<10} {}  ({} entries)",
            h.offset, h.format, h.description, h.entries
        );
    }
    for e in &report.errors {
        let loc = if e.file.is_empty() {
            report.image.clone()
        } else {
            e.file.clone()
        };
        eprintln!(
            "  error: {loc} at 0x{:x} ({}): {}",
            e.offset,
            e.format,
            crate::error_reason(e)
        );
    }
    println!(
        "{} formats, {} files ({} entries) in {}, {} errors, {} rejected candidates (not errors: listed in the report), {} unknown regions, {} ms",
        report.formats.len(),
        files,
        report.files.len(),
        report.output_dir.display(),
        report.errors.len(),
        report.rejected.len(),
        report.unknown_regions.len(),
        report.duration_ms
    );
    Ok(ExitCode::SUCCESS)
}
