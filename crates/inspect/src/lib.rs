//! baseliner-inspect (being written).
