//! Every finding code in one table: the stable identifiers of the contract.
//!
//! A code is never renamed or reused; new codes are appended. The table says what a
//! code means and nothing about standards: which provisions a code bears on, and
//! whether it proves non-conformance or is context, lives only in the requirement
//! data (`crates/baseline/standards/`).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Severity;

/// A check family: the first part of a code, and the `family` field of a finding.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Credentials,
    Crypto,
    Services,
    Components,
    Hardening,
    Update,
    /// Derived from known-vulnerability matches.
    Vulnerabilities,
    /// Established by a live test of a running device.
    Network,
}

impl Family {
    pub const ALL: [Family; 8] = [
        Family::Credentials,
        Family::Crypto,
        Family::Services,
        Family::Components,
        Family::Hardening,
        Family::Update,
        Family::Vulnerabilities,
        Family::Network,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Credentials => "credentials",
            Family::Crypto => "crypto",
            Family::Services => "services",
            Family::Components => "components",
            Family::Hardening => "hardening",
            Family::Update => "update",
            Family::Vulnerabilities => "vulnerabilities",
            Family::Network => "network",
        }
    }

    /// The code prefix of the family, such as `CRED`.
    pub fn prefix(self) -> &'static str {
        match self {
            Family::Credentials => "CRED",
            Family::Crypto => "CRYPTO",
            Family::Services => "SVC",
            Family::Components => "COMP",
            Family::Hardening => "HARD",
            Family::Update => "UPD",
            Family::Vulnerabilities => "VULN",
            Family::Network => "NET",
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one code means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    pub code: Code,
    pub family: Family,
    /// Default severity; a check may state another for one instance.
    pub severity: Severity,
    pub title: &'static str,
    pub meaning: &'static str,
}

macro_rules! codes {
    ($( $var:ident = $code:literal, $fam:ident, $sev:ident, $title:literal, $meaning:literal; )*) => {
        /// A stable finding code such as `CRED-001`, serialised as that string.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            Serialize, Deserialize, schemars::JsonSchema,
        )]
        pub enum Code {
            $( #[doc = $title] #[serde(rename = $code)] $var, )*
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$( Code::$var ),*];

            pub fn as_str(self) -> &'static str {
                match self { $( Code::$var => $code, )* }
            }

            pub fn info(self) -> CodeInfo {
                match self {
                    $( Code::$var => CodeInfo {
                        code: Code::$var,
                        family: Family::$fam,
                        severity: Severity::$sev,
                        title: $title,
                        meaning: $meaning,
                    }, )*
                }
            }
        }

        impl FromStr for Code {
            type Err = UnknownCode;
            fn from_str(s: &str) -> Result<Code, UnknownCode> {
                match s {
                    $( $code => Ok(Code::$var), )*
                    _ => Err(UnknownCode(s.to_string())),
                }
            }
        }
    };
}

/// A string that names no code in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode(pub String);

impl std::fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` is not a baseliner finding code", self.0)
    }
}

impl std::error::Error for UnknownCode {}

impl Code {
    pub fn family(self) -> Family {
        self.info().family
    }

    pub fn title(self) -> &'static str {
        self.info().title
    }

    /// Whether a mapping pattern names this code: exactly, or `FAMILY-*` for a prefix.
    pub fn matches(self, pattern: &str) -> bool {
        match pattern.strip_suffix('*') {
            Some(prefix) => self.as_str().starts_with(prefix),
            None => self.as_str() == pattern,
        }
    }
}

/// Codes compare with their string form, so a reader can write `f.code == "CRED-001"`.
impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

codes! {
    Cred001 = "CRED-001", Credentials, High,
        "Universal default password hash in image",
        "A login account has a password hash baked into the image, so every unit ships the same password unless the device forces a change at first use.";
    Cred002 = "CRED-002", Credentials, Medium,
        "Weak password hash scheme",
        "A password hash uses DES-crypt, MD5-crypt, apr1 or unsalted SHA-1, which are cheap to brute-force.";
    Cred003 = "CRED-003", Credentials, Critical,
        "Empty password on a login account",
        "An account with a login shell has an empty password field: anyone can log in.";
    Cred004 = "CRED-004", Credentials, Critical,
        "Password cracked from the default-credential list",
        "A password hash in the image matches a well-known default password (shipped list, Mirai table included).";
    Cred005 = "CRED-005", Credentials, High,
        "Web server credential file in image",
        "A web server authentication file (.htpasswd, lighttpd, boa, goahead) ships fixed credentials.";
    Cred006 = "CRED-006", Credentials, High,
        "Default credentials in a configuration file",
        "A default configuration (default.cfg, nvram defaults) sets a user name and password, or an empty password, for an account.";
    Cred007 = "CRED-007", Credentials, High,
        "Script sets a fixed password",
        "A shell script sets or clears a password (chpasswd, passwd -d, echo into passwd) with a value fixed in the image.";
    Cred008 = "CRED-008", Credentials, Critical,
        "Publicly known static SSH private key",
        "The image contains an SSH private key that is published (vendor keys with CVEs, the vagrant key): anyone can impersonate or log in.";
    Crypto001 = "CRYPTO-001", Crypto, High,
        "Private key in image",
        "An unencrypted private key (PEM, DER, PKCS#8, OpenSSH, dropbear) ships in the image, so every unit shares it.";
    Crypto002 = "CRYPTO-002", Crypto, Low,
        "Encrypted private key in image",
        "A passphrase-protected private key ships in the image; its passphrase is usually in the firmware too.";
    Crypto003 = "CRYPTO-003", Crypto, Info,
        "Certificate in image",
        "A certificate ships in the image; the detail gives subject, issuer, key size, signature algorithm and validity.";
    Crypto004 = "CRYPTO-004", Crypto, Medium,
        "Weak certificate",
        "A certificate uses an RSA key under 2048 bits, an MD5 or SHA-1 signature, or has expired.";
    Crypto005 = "CRYPTO-005", Crypto, Low,
        "Self-signed certificate",
        "A certificate is self-signed: clients cannot authenticate the device without pinning it.";
    Crypto006 = "CRYPTO-006", Crypto, Medium,
        "PKCS#12 key store in image",
        "A PKCS#12 bundle (private key with certificates) ships in the image.";
    Crypto007 = "CRYPTO-007", Crypto, Medium,
        "Weak TLS or SSH setting",
        "A server configuration enables an obsolete protocol or weak cipher (SSLv2/v3, TLS 1.0/1.1, RC4, DES, NULL, export), root login or empty passwords over SSH.";
    Crypto008 = "CRYPTO-008", Crypto, Info,
        "Trust store in image",
        "CA certificates that the device trusts (a CA bundle or certificate store), summarised once: count, oldest expiry and distrusted roots. Trust anchors are not the device's own credentials, so their self-signatures are not judged.";
    Svc001 = "SVC-001", Services, High,
        "telnetd started at boot",
        "A telnet daemon starts at boot: cleartext credentials, and the usual Mirai entry point.";
    Svc002 = "SVC-002", Services, Critical,
        "Login-free shell on a network service",
        "A network daemon hands out a shell without authentication (telnetd -l /bin/sh, a shell bound to a port).";
    Svc003 = "SVC-003", Services, Medium,
        "FTP or TFTP server started at boot",
        "An FTP or TFTP daemon starts at boot: cleartext, often unauthenticated file transfer.";
    Svc004 = "SVC-004", Services, High,
        "Debug service started at boot",
        "adbd, gdbserver or a similar debug service starts at boot.";
    Svc005 = "SVC-005", Services, Medium,
        "UPnP daemon started at boot",
        "A UPnP IGD daemon starts at boot; it lets LAN hosts open ports on the WAN side.";
    Svc006 = "SVC-006", Services, High,
        "SNMP default community",
        "An SNMP configuration uses the default community `public` or `private`.";
    Svc007 = "SVC-007", Services, High,
        "Root shell on the serial console",
        "inittab or a getty runs a shell on a console without login, or with autologin.";
    Svc008 = "SVC-008", Services, Low,
        "Debug tools shipped",
        "Debugging or network tools that an attacker can use (gdbserver, strace, tcpdump, netcat) are in the image.";
    Svc009 = "SVC-009", Services, Medium,
        "setuid or setgid file",
        "A file carries the setuid or setgid bit: a local privilege boundary to review.";
    Svc010 = "SVC-010", Services, Medium,
        "World-writable file",
        "A regular file is writable by every user.";
    Svc011 = "SVC-011", Services, Info,
        "Service started at boot",
        "A daemon starts at boot with the command line in the evidence; the list is the device's boot attack surface.";
    Svc012 = "SVC-012", Services, Medium,
        "inetd or xinetd service enabled",
        "inetd/xinetd starts a network service on demand; the evidence names it and the user it runs as.";
    Svc013 = "SVC-013", Services, Low,
        "Only root exists to run daemons",
        "The account database holds no unprivileged account, so every daemon runs as root.";
    Comp001 = "COMP-001", Components, Medium,
        "Outdated component",
        "A component's version is far behind the releases its upstream still supports: it no longer receives security fixes.";
    Comp002 = "COMP-002", Components, Info,
        "Component versions disagree",
        "Two sources in the image state different versions of the same product; the more trustworthy source decides and the other is recorded here.";
    Hard001 = "HARD-001", Hardening, Medium,
        "Executable stack (no NX)",
        "ELF files without a non-executable stack (PT_GNU_STACK missing or executable).";
    Hard002 = "HARD-002", Hardening, Low,
        "Executable not position-independent",
        "ELF executables built without PIE, so ASLR cannot move them.";
    Hard003 = "HARD-003", Hardening, Low,
        "No RELRO",
        "ELF files without RELRO: the GOT stays writable.";
    Hard004 = "HARD-004", Hardening, Low,
        "No stack canary",
        "ELF files that import no stack-protector symbol.";
    Hard005 = "HARD-005", Hardening, Medium,
        "Insecure RPATH or RUNPATH",
        "ELF files whose RPATH/RUNPATH names a relative, empty or writable location such as /tmp.";
    Hard006 = "HARD-006", Hardening, Info,
        "Binary hardening summary",
        "The share of ELF files with each protection (NX, PIE, RELRO, canary, FORTIFY, stripped).";
    Upd001 = "UPD-001", Update, Info,
        "Update client present",
        "An update mechanism is present (sysupgrade, opkg, swupdate, RAUC, Mender, a firmware-upload CGI).";
    Upd002 = "UPD-002", Update, Info,
        "Update signature verification present",
        "Evidence of signature verification for updates: keys in /etc/opkg/keys, usign, signed-image configuration.";
    Upd003 = "UPD-003", Update, Medium,
        "No evidence of update signature verification",
        "An update client is present but no verification key or call was found (the manufacturer's word can close it).";
    Upd004 = "UPD-004", Update, High,
        "Certificate check disabled on a download",
        "A script downloads with TLS verification turned off (wget --no-check-certificate, curl -k).";
    Upd005 = "UPD-005", Update, Medium,
        "Update or download over plain HTTP",
        "A script or configuration fetches updates or packages over http://.";
    Vuln001 = "VULN-001", Vulnerabilities, Critical,
        "Known vulnerability listed in CISA KEV",
        "A known vulnerability affecting a component is in CISA's Known Exploited Vulnerabilities catalogue: it is exploited in the wild.";
    Vuln002 = "VULN-002", Vulnerabilities, Critical,
        "Known vulnerability with a critical CVSS base score",
        "A known vulnerability affecting a component has a CVSS base score of 9.0 or more.";
    Vuln003 = "VULN-003", Vulnerabilities, Medium,
        "Other known vulnerability affecting a component",
        "A known vulnerability affects a component (neither known-exploited nor critical).";
    Net001 = "NET-001", Network, Critical,
        "Default credential accepted on a network service",
        "A live login with a credential from the default-credential list (or one the firmware analysis recovered) succeeded on a telnet, SSH, FTP or HTTP service of the device.";
    Net002 = "NET-002", Network, High,
        "SNMP agent answers a default community",
        "The device's SNMP agent answered a v1 or v2c request made with a default community such as `public` or `private`.";
    Net003 = "NET-003", Network, High,
        "No protection against password guessing",
        "A fixed series of failed logins on a login service met neither a growing delay nor a lockout, so guessing is limited only by the network.";
    Net004 = "NET-004", Network, Low,
        "Software version disclosed before authentication",
        "A banner, header or unauthenticated page names a software product with its version, which tells an attacker which known vulnerabilities to try.";
    Net005 = "NET-005", Network, Medium,
        "Clear-text login service",
        "A service that takes a password answers without encryption: telnet, FTP, or an HTTP login (form or basic/digest authentication) over plain HTTP.";
    Net006 = "NET-006", Network, Medium,
        "Obsolete TLS protocol version accepted",
        "A TLS service completed the first handshake step with SSL 3.0, TLS 1.0 or TLS 1.1.";
    Net007 = "NET-007", Network, Medium,
        "Weak TLS cipher suite accepted",
        "A TLS service chose a NULL, anonymous, export, RC4, DES or 3DES cipher suite when offered one.";
    Net008 = "NET-008", Network, Medium,
        "Weak certificate served",
        "The certificate a TLS service presents has an RSA key under 2048 bits, an MD5 or SHA-1 signature, or has expired.";
    Net009 = "NET-009", Network, Low,
        "Self-signed certificate served",
        "The certificate a TLS service presents is self-signed: clients can authenticate the device only by pinning it.";
    Net010 = "NET-010", Network, Medium,
        "Weak SSH algorithm offered",
        "An SSH server offers an obsolete key exchange, cipher, MAC or host-key algorithm (SHA-1 key exchange, CBC, 3DES, arcfour, MD5 or SHA-1 MACs, DSA keys).";
    Net011 = "NET-011", Network, High,
        "Network key found in the firmware",
        "The SSH host key or TLS certificate key the device presents is the public half of a private key shipped in the firmware image, so every unit shares it.";
    Net012 = "NET-012", Network, Medium,
        "Unauthenticated configuration or status page",
        "An HTTP page that shows configuration or status answered without authentication.";
    Net013 = "NET-013", Network, Info,
        "Open network port",
        "A TCP port accepted a connection or a UDP service answered; the list is the device's network attack surface.";
    Net014 = "NET-014", Network, Info,
        "Discovery service answers",
        "An SSDP/UPnP or mDNS responder answered a query sent to the device's own address, announcing the device and its services.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_unique_well_formed_and_in_their_family() {
        let mut seen = std::collections::HashSet::new();
        for &c in Code::ALL {
            let i = c.info();
            assert!(seen.insert(c.as_str()), "duplicate {c}");
            let (prefix, num) = c.as_str().split_once('-').unwrap();
            assert_eq!(num.len(), 3, "{c}");
            assert_eq!(prefix, i.family.prefix(), "{c}");
            assert_eq!(c.as_str().parse::<Code>(), Ok(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
            // Codes never name provisions: the mapping lives in the requirement data.
            let provision = regex_lite_provision(i.meaning) || regex_lite_provision(i.title);
            assert!(!provision, "{c} names a provision: {}", i.meaning);
        }
        assert!("CRED-999".parse::<Code>().is_err());
    }

    /// `5.1-1`-style provision numbers, without a regex dependency.
    fn regex_lite_provision(s: &str) -> bool {
        let b = s.as_bytes();
        b.windows(5).any(|w| {
            w[0].is_ascii_digit()
                && w[1] == b'.'
                && w[2].is_ascii_digit()
                && w[3] == b'-'
                && w[4].is_ascii_digit()
        })
    }

    #[test]
    fn patterns() {
        assert!(Code::Vuln001.matches("VULN-*"));
        assert!(Code::Cred001.matches("CRED-001"));
        assert!(!Code::Cred001.matches("CRED-002"));
    }
}
