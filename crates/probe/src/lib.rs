//! Live checks of one named lab device: which ports are open, what the banners
//! disclose, whether a default credential logs in, what SSH and TLS offer, whether
//! HTTP hands out configuration without a login, and whether password guessing is
//! slowed down. Results are findings with the project's `NET-*` codes and network
//! evidence, plus [`LiveTest`]s that the baseline evaluation may turn into PASS.
//!
//! Safety is part of the contract: only the one address the caller names is ever
//! contacted ([`target::Target`] refuses ranges, broadcast and multicast), every
//! loop is bounded in count and time, the whole probe has a time budget
//! ([`budget::Budget`]) and a stop flag the caller may raise at any time.
//! The crate never prints.

pub mod budget;
pub mod creds;
pub mod keys;
pub mod target;
mod wire;

mod ftp;
mod http;
mod scan;
mod snmp;
mod ssh;
mod telnet;
mod tls;
mod udp;

mod run;

pub use budget::Budget;
pub use creds::Credential;
pub use keys::KeyId;
pub use run::{Options, Plan, ProbeReport, Progress, Silent, plan, probe};
pub use scan::{COMMON_PORTS, PortSet};
pub use target::{Target, TargetError};

/// What can stop a probe before it starts (everything after that is a result).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("invalid port list `{0}`: use numbers and ranges such as 22,80,8000-8100, or `all`")]
    Ports(String),
}
