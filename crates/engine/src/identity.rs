//! Who the device is, for device-level CVEs: the declaration first, else a vendor
//! header in the image that names model and version.

use baseliner_baseline::Declaration;
use baseliner_model::IdentitySource;
use baseliner_unpack::Report;
use baseliner_vulns::DeviceIdentity;

/// The identity the declaration states, when it names vendor, model and firmware version.
pub fn from_declaration(d: &Declaration) -> Option<DeviceIdentity> {
    let p = &d.product;
    let (vendor, model, fw) = (
        p.manufacturer.as_ref()?,
        p.model.as_ref().or(p.name.as_ref())?,
        p.firmware_version.as_ref()?,
    );
    Some(DeviceIdentity {
        vendor: vendor.clone(),
        product: model.clone(),
        hardware_version: p.hardware_version.clone(),
        firmware_version: fw.clone(),
        source: IdentitySource::Declaration,
    })
}

/// The identity a vendor header at the start of the image states.
///
/// TP-Link headers carry the model number only; the routers NVD names are
/// TL-WR<number>N. Other numbers are left unnamed rather than guessed.
pub fn from_vendor_header(image: &[u8], report: &Report) -> Option<DeviceIdentity> {
    let hit = report
        .formats
        .iter()
        .find(|f| f.format == "tplink" && f.file.is_empty())?;
    let h = baseliner_unpack::formats::tplink::parse_header(image.get(hit.offset as usize..)?)?;
    let n: u32 = h.model.parse().ok()?;
    let product = match n {
        700..=999 | 1041..=1045 => format!("TL-WR{n}N"),
        _ => return None,
    };
    Some(DeviceIdentity {
        vendor: "TP-Link".into(),
        product,
        hardware_version: Some(format!("v{}", h.hardware_version)),
        firmware_version: h.version.clone(),
        source: IdentitySource::VendorHeader,
    })
}

/// The declaration's identity, else the vendor header's.
pub fn device_identity(
    decl: Option<&Declaration>,
    image: &[u8],
    report: &Report,
) -> Option<DeviceIdentity> {
    decl.and_then(from_declaration)
        .or_else(|| from_vendor_header(image, report))
}
