//! Curated component-name to CPE `vendor:product` table.
//!
//! Wrong vendor/product mapping is the first cause of wrong CVE matches, so the
//! mapping is explicit: a component whose name is not here (and that carries no CPE)
//! gets no NVD match rather than a guessed one. Each entry is checked against the
//! vendor:product NVD actually uses (tests below pin them).

/// `(component names, CPE vendor:product keys)`. Names are compared lowercased.
const TABLE: &[(&[&str], &[&str])] = &[
    (&["busybox"], &["busybox:busybox"]),
    (&["dnsmasq", "dnsmasq-base"], &["thekelleys:dnsmasq"]),
    (&["lighttpd"], &["lighttpd:lighttpd"]),
    (
        &["openssl", "libssl", "libcrypto", "libopenssl"],
        &["openssl:openssl"],
    ),
    (
        &["dropbear", "dropbear_ssh", "dropbear-ssh"],
        &["dropbear_ssh_project:dropbear_ssh"],
    ),
    // uClibc and uClibc-ng are different projects with different CVE histories.
    (&["uclibc"], &["uclibc:uclibc"]),
    (
        &["uclibc-ng", "uclibc_ng"],
        &["uclibc-ng_project:uclibc-ng", "uclibc-ng:uclibc-ng"],
    ),
    (&["miniupnpd"], &["miniupnp_project:miniupnpd"]),
    (
        &["miniupnpc", "libminiupnpc"],
        &["miniupnp_project:miniupnpc"],
    ),
    // The curl tool ships libcurl, and NVD files most curl CVEs under libcurl.
    (&["curl"], &["haxx:curl", "haxx:libcurl"]),
    (&["libcurl"], &["haxx:libcurl"]),
    (
        &["linux", "linux_kernel", "linux-kernel", "kernel"],
        &["linux:linux_kernel"],
    ),
    (&["hostapd"], &["w1.fi:hostapd"]),
    (
        &["wpa_supplicant", "wpa-supplicant"],
        &["w1.fi:wpa_supplicant"],
    ),
    (
        &["openssh", "openssh-client", "openssh-server"],
        &["openbsd:openssh"],
    ),
    (&["samba", "smbd"], &["samba:samba"]),
    (&["mbedtls", "mbed_tls", "polarssl"], &["arm:mbed_tls"]),
    (&["wolfssl"], &["wolfssl:wolfssl"]),
    (&["openvpn"], &["openvpn:openvpn"]),
    (
        &["ppp", "pppd", "point-to-point_protocol"],
        &["point-to-point_protocol_project:point-to-point_protocol"],
    ),
    (&["ntp", "ntpd", "ntpdate"], &["ntp:ntp"]),
    (&["thttpd"], &["acme:thttpd"]),
    (&["sqlite", "sqlite3"], &["sqlite:sqlite"]),
    (&["expat", "libexpat"], &["libexpat_project:libexpat"]),
    (&["zlib"], &["zlib:zlib", "gnu:zlib"]),
    (&["u-boot", "uboot", "das_u-boot"], &["denx:u-boot"]),
    (&["glibc"], &["gnu:glibc"]),
    (&["iptables"], &["netfilter:iptables"]),
    (&["libupnp", "pupnp"], &["libupnp_project:libupnp"]),
    (&["avahi"], &["avahi:avahi"]),
    (&["bash"], &["gnu:bash"]),
    (&["proftpd"], &["proftpd:proftpd"]),
    (&["vsftpd"], &["beasts:vsftpd"]),
    (&["nginx"], &["f5:nginx", "nginx:nginx"]),
    (&["libpcap"], &["tcpdump:libpcap"]),
    (&["tcpdump"], &["tcpdump:tcpdump"]),
    (&["lua"], &["lua:lua"]),
    (&["libxml2"], &["xmlsoft:libxml2"]),
    (&["libpng"], &["libpng:libpng"]),
    (&["libjpeg-turbo"], &["libjpeg-turbo:libjpeg-turbo"]),
    (&["pcre"], &["pcre:pcre"]),
    (&["php"], &["php:php"]),
    (&["python"], &["python:python"]),
    (&["quagga"], &["quagga:quagga"]),
    (&["squid"], &["squid-cache:squid"]),
    (&["net-snmp"], &["net-snmp:net-snmp"]),
    (&["boa"], &["boa:boa"]),
    (&["mini_httpd"], &["acme:mini_httpd"]),
    (&["gnutls"], &["gnu:gnutls"]),
    (&["libuci", "uci"], &["openwrt:uci"]),
];

/// The CPE `vendor:product` keys a component name stands for (empty when unknown).
pub fn cpe_keys(name: &str) -> &'static [&'static str] {
    let n = name.trim().to_ascii_lowercase();
    TABLE
        .iter()
        .find(|(names, _)| names.contains(&n.as_str()))
        .map(|(_, keys)| *keys)
        .unwrap_or(&[])
}

/// Products whose releases carry a suffix NVD files as the CPE *update* field, not the
/// version: portable OpenSSH `7.7p1` is `openbsd:openssh:7.7:p1`, so a range ending at
/// 7.7 includes it. `(vendor:product, suffix letter)`.
const UPDATE_SUFFIX: &[(&str, char)] = &[("openbsd:openssh", 'p')];

/// Splits `version` into its CPE version and update (`7.7p1` -> `7.7`, `p1`) for the
/// products of [`UPDATE_SUFFIX`]; `None` for other products or versions without one.
pub fn split_update<'a>(key: &str, version: &'a str) -> Option<(&'a str, &'a str)> {
    let (_, letter) = UPDATE_SUFFIX.iter().find(|(k, _)| *k == key)?;
    let at = version.rfind(*letter)?;
    let (base, update) = version.split_at(at);
    let digits = update.get(1..)?;
    let ok = base.ends_with(|c: char| c.is_ascii_digit())
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then_some((base, update))
}

/// Whether `key` is one of the products of [`UPDATE_SUFFIX`].
pub fn has_update_suffix(key: &str) -> bool {
    UPDATE_SUFFIX.iter().any(|(k, _)| *k == key)
}

/// The component name to show for a `vendor:product` key (its first alias), if known.
pub fn name_for_key(key: &str) -> Option<&'static str> {
    TABLE
        .iter()
        .find(|(_, keys)| keys.contains(&key))
        .and_then(|(names, _)| names.first().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curated_aliases_are_pinned() {
        assert_eq!(cpe_keys("busybox"), ["busybox:busybox"]);
        assert_eq!(cpe_keys("BusyBox"), ["busybox:busybox"]);
        assert_eq!(cpe_keys("dnsmasq"), ["thekelleys:dnsmasq"]);
        assert_eq!(cpe_keys("lighttpd"), ["lighttpd:lighttpd"]);
        assert_eq!(cpe_keys("openssl"), ["openssl:openssl"]);
        assert_eq!(cpe_keys("libcrypto"), ["openssl:openssl"]);
        assert_eq!(cpe_keys("dropbear"), ["dropbear_ssh_project:dropbear_ssh"]);
        assert_eq!(
            cpe_keys("dropbear_ssh"),
            ["dropbear_ssh_project:dropbear_ssh"]
        );
        assert_eq!(cpe_keys("hostapd"), ["w1.fi:hostapd"]);
        assert_eq!(cpe_keys("linux"), ["linux:linux_kernel"]);
        assert_eq!(
            cpe_keys("point-to-point_protocol"),
            ["point-to-point_protocol_project:point-to-point_protocol"]
        );
    }

    #[test]
    fn openssh_portable_suffix_splits_off() {
        let k = "openbsd:openssh";
        assert_eq!(split_update(k, "7.7p1"), Some(("7.7", "p1")));
        assert_eq!(split_update(k, "9.3p2"), Some(("9.3", "p2")));
        assert_eq!(split_update(k, "7.7"), None);
        assert_eq!(split_update(k, "7.7p"), None);
        assert_eq!(split_update(k, "p1"), None);
        // Other products keep their letters in the version (OpenSSL 1.0.2p).
        assert_eq!(split_update("openssl:openssl", "1.0.2p1"), None);
    }

    #[test]
    fn uclibc_and_uclibc_ng_stay_apart() {
        assert_eq!(cpe_keys("uclibc"), ["uclibc:uclibc"]);
        assert!(!cpe_keys("uclibc-ng").contains(&"uclibc:uclibc"));
        assert!(cpe_keys("uclibc-ng").contains(&"uclibc-ng_project:uclibc-ng"));
    }

    #[test]
    fn unknown_names_get_nothing() {
        assert!(cpe_keys("httpd").is_empty());
        assert!(cpe_keys("").is_empty());
    }

    #[test]
    fn no_name_is_listed_twice() {
        let mut seen = std::collections::HashSet::new();
        for (names, _) in TABLE {
            for n in *names {
                assert!(seen.insert(*n), "{n} listed twice");
                assert_eq!(*n, n.to_ascii_lowercase());
            }
        }
    }
}
