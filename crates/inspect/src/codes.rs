//! Every finding code, in one table. Codes are a contract: the baseline catalogue maps
//! them to provisions, so a code is never renamed or reused; new codes are appended.

use baseliner_model::{Evidence, Finding, Severity};

use crate::Family;

/// What one code means.
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    pub code: &'static str,
    pub family: Family,
    pub severity: Severity,
    pub title: &'static str,
    pub meaning: &'static str,
}

use Family::*;
use Severity::*;

const fn c(
    code: &'static str,
    family: Family,
    severity: Severity,
    title: &'static str,
    meaning: &'static str,
) -> CodeInfo {
    CodeInfo {
        code,
        family,
        severity,
        title,
        meaning,
    }
}

/// The table. `docs/findings.md` lists the same rows; a test keeps them in step.
pub const CODES: &[CodeInfo] = &[
    c(
        "CRED-001",
        Credentials,
        High,
        "Universal default password hash in image",
        "A login account has a password hash baked into the image, so every unit ships the same password unless the device forces a change at first use (EN 303 645 5.1-1).",
    ),
    c(
        "CRED-002",
        Credentials,
        Medium,
        "Weak password hash scheme",
        "A password hash uses DES-crypt, MD5-crypt, apr1 or unsalted SHA-1, which are cheap to brute-force (5.1-3).",
    ),
    c(
        "CRED-003",
        Credentials,
        Critical,
        "Empty password on a login account",
        "An account with a login shell has an empty password field: anyone can log in (5.1-1).",
    ),
    c(
        "CRED-004",
        Credentials,
        Critical,
        "Password cracked from the default-credential list",
        "A password hash in the image matches a well-known default password (shipped list, Mirai table included).",
    ),
    c(
        "CRED-005",
        Credentials,
        High,
        "Web server credential file in image",
        "A web server authentication file (.htpasswd, lighttpd, boa, goahead) ships fixed credentials.",
    ),
    c(
        "CRED-006",
        Credentials,
        High,
        "Default credentials in a configuration file",
        "A default configuration (default.cfg, nvram defaults) sets a user name and password, or an empty password, for an account.",
    ),
    c(
        "CRED-007",
        Credentials,
        High,
        "Script sets a fixed password",
        "A shell script sets or clears a password (chpasswd, passwd -d, echo into passwd) with a value fixed in the image.",
    ),
    c(
        "CRED-008",
        Credentials,
        Critical,
        "Publicly known static SSH private key",
        "The image contains an SSH private key that is published (vendor keys with CVEs, the vagrant key): anyone can impersonate or log in.",
    ),
    c(
        "CRYPTO-001",
        Crypto,
        High,
        "Private key in image",
        "An unencrypted private key (PEM, DER, PKCS#8, OpenSSH, dropbear) ships in the image, so every unit shares it (5.4-1, 5.4-3).",
    ),
    c(
        "CRYPTO-002",
        Crypto,
        Low,
        "Encrypted private key in image",
        "A passphrase-protected private key ships in the image; its passphrase is usually in the firmware too.",
    ),
    c(
        "CRYPTO-003",
        Crypto,
        Info,
        "Certificate in image",
        "A certificate ships in the image; the detail gives subject, issuer, key size, signature algorithm and validity.",
    ),
    c(
        "CRYPTO-004",
        Crypto,
        Medium,
        "Weak certificate",
        "A certificate uses an RSA key under 2048 bits, an MD5 or SHA-1 signature, or has expired.",
    ),
    c(
        "CRYPTO-005",
        Crypto,
        Low,
        "Self-signed certificate",
        "A certificate is self-signed: clients cannot authenticate the device without pinning it.",
    ),
    c(
        "CRYPTO-006",
        Crypto,
        Medium,
        "PKCS#12 key store in image",
        "A PKCS#12 bundle (private key with certificates) ships in the image.",
    ),
    c(
        "CRYPTO-007",
        Crypto,
        Medium,
        "Weak TLS or SSH setting",
        "A server configuration enables an obsolete protocol or weak cipher (SSLv2/v3, TLS 1.0/1.1, RC4, DES, NULL, export), root login or empty passwords over SSH (5.5-1).",
    ),
    c(
        "SVC-001",
        Services,
        High,
        "telnetd started at boot",
        "A telnet daemon starts at boot: cleartext credentials, and the usual Mirai entry point (5.6-1, 5.5-1).",
    ),
    c(
        "SVC-002",
        Services,
        Critical,
        "Login-free shell on a network service",
        "A network daemon hands out a shell without authentication (telnetd -l /bin/sh, a shell bound to a port).",
    ),
    c(
        "SVC-003",
        Services,
        Medium,
        "FTP or TFTP server started at boot",
        "An FTP or TFTP daemon starts at boot: cleartext, often unauthenticated file transfer (5.6-1).",
    ),
    c(
        "SVC-004",
        Services,
        High,
        "Debug service started at boot",
        "adbd, gdbserver or a similar debug service starts at boot (5.6-1, 5.6-4).",
    ),
    c(
        "SVC-005",
        Services,
        Medium,
        "UPnP daemon started at boot",
        "A UPnP IGD daemon starts at boot; it lets LAN hosts open ports on the WAN side (5.6-1).",
    ),
    c(
        "SVC-006",
        Services,
        High,
        "SNMP default community",
        "An SNMP configuration uses the default community `public` or `private` (5.1-1, 5.6-1).",
    ),
    c(
        "SVC-007",
        Services,
        High,
        "Root shell on the serial console",
        "inittab or a getty runs a shell on a console without login, or with autologin (5.6-4).",
    ),
    c(
        "SVC-008",
        Services,
        Low,
        "Debug tools shipped",
        "Debugging or network tools that an attacker can use (gdbserver, strace, tcpdump, netcat) are in the image (5.6-6).",
    ),
    c(
        "SVC-009",
        Services,
        Medium,
        "setuid or setgid file",
        "A file carries the setuid or setgid bit: a local privilege boundary to review (5.6-7).",
    ),
    c(
        "SVC-010",
        Services,
        Medium,
        "World-writable file",
        "A regular file is writable by every user (5.6-7).",
    ),
    c(
        "SVC-011",
        Services,
        Info,
        "Service started at boot",
        "A daemon starts at boot with the command line in the evidence; the list is the device's boot attack surface.",
    ),
    c(
        "SVC-012",
        Services,
        Medium,
        "inetd or xinetd service enabled",
        "inetd/xinetd starts a network service on demand; the evidence names it and the user it runs as.",
    ),
    c(
        "SVC-013",
        Services,
        Low,
        "Only root exists to run daemons",
        "The account database holds no unprivileged account, so every daemon runs as root (5.6-7).",
    ),
    c(
        "HARD-001",
        Hardening,
        Medium,
        "Executable stack (no NX)",
        "ELF files without a non-executable stack (PT_GNU_STACK missing or executable) (5.6-8).",
    ),
    c(
        "HARD-002",
        Hardening,
        Low,
        "Executable not position-independent",
        "ELF executables built without PIE, so ASLR cannot move them (5.6-8).",
    ),
    c(
        "HARD-003",
        Hardening,
        Low,
        "No RELRO",
        "ELF files without RELRO: the GOT stays writable (5.6-8).",
    ),
    c(
        "HARD-004",
        Hardening,
        Low,
        "No stack canary",
        "ELF files that import no stack-protector symbol (5.6-8).",
    ),
    c(
        "HARD-005",
        Hardening,
        Medium,
        "Insecure RPATH or RUNPATH",
        "ELF files whose RPATH/RUNPATH names a relative, empty or writable location such as /tmp.",
    ),
    c(
        "HARD-006",
        Hardening,
        Info,
        "Binary hardening summary",
        "The share of ELF files with each protection (NX, PIE, RELRO, canary, FORTIFY, stripped).",
    ),
    c(
        "UPD-001",
        Update,
        Info,
        "Update client present",
        "An update mechanism is present (sysupgrade, opkg, swupdate, RAUC, Mender, a firmware-upload CGI) (5.3-2).",
    ),
    c(
        "UPD-002",
        Update,
        Info,
        "Update signature verification present",
        "Evidence of signature verification for updates: keys in /etc/opkg/keys, usign, signed-image configuration (5.3-9).",
    ),
    c(
        "UPD-003",
        Update,
        Medium,
        "No evidence of update signature verification",
        "An update client is present but no verification key or call was found (5.3-9; needs the manufacturer's word to close).",
    ),
    c(
        "UPD-004",
        Update,
        High,
        "Certificate check disabled on a download",
        "A script downloads with TLS verification turned off (wget --no-check-certificate, curl -k) (5.3-7).",
    ),
    c(
        "UPD-005",
        Update,
        Medium,
        "Update or download over plain HTTP",
        "A script or configuration fetches updates or packages over http:// (5.3-7).",
    ),
];

/// The row of `code`. Panics only on a code missing from the table, which a unit
/// test rules out for every code the checks use.
pub fn info(code: &str) -> &'static CodeInfo {
    CODES
        .iter()
        .find(|c| c.code == code)
        .unwrap_or_else(|| panic!("finding code {code} is not in codes::CODES"))
}

/// A finding with the table's family, severity and title.
pub fn finding(code: &str, detail: impl Into<String>, evidence: Vec<Evidence>) -> Finding {
    let i = info(code);
    Finding {
        code: i.code.to_string(),
        family: i.family.as_str().to_string(),
        severity: i.severity,
        title: i.title.to_string(),
        detail: detail.into(),
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for c in CODES {
            assert!(seen.insert(c.code), "duplicate {}", c.code);
            let (prefix, num) = c.code.split_once('-').unwrap();
            assert_eq!(num.len(), 3);
            let want = match c.family {
                Credentials => "CRED",
                Crypto => "CRYPTO",
                Services => "SVC",
                Components => "COMP",
                Hardening => "HARD",
                Update => "UPD",
            };
            assert_eq!(prefix, want, "{}", c.code);
        }
    }

    #[test]
    fn every_code_used_is_in_the_table() {
        let sources = [
            include_str!("checks/credentials.rs"),
            include_str!("checks/crypto.rs"),
            include_str!("checks/services.rs"),
            include_str!("checks/components.rs"),
            include_str!("checks/hardening.rs"),
            include_str!("checks/update.rs"),
        ];
        for src in sources {
            for (pos, _) in src.match_indices('"') {
                let rest = &src[pos + 1..];
                let Some(end) = rest.find('"') else { continue };
                let lit = &rest[..end];
                let is_code = ["CRED-", "CRYPTO-", "SVC-", "HARD-", "UPD-", "COMP-"]
                    .iter()
                    .any(|p| lit.starts_with(p) && lit.len() == p.len() + 3);
                if is_code {
                    assert!(
                        CODES.iter().any(|c| c.code == lit),
                        "{lit} used but not in CODES"
                    );
                }
            }
        }
    }

    #[test]
    fn docs_list_every_code() {
        let docs = include_str!("../../../docs/findings.md");
        for c in CODES {
            assert!(
                docs.contains(&format!("`{}`", c.code)),
                "docs/findings.md lacks {}",
                c.code
            );
        }
    }
}
