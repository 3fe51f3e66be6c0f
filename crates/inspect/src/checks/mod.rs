//! The check families, one module each.

pub mod applets;
pub mod components;
pub mod credentials;
pub mod crypto;
pub mod hardening;
pub mod services;
pub mod truststore;
pub mod update;
