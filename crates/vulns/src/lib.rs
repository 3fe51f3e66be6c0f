//! baseliner-vulns (being written).
