//! baseliner-baseline (being written).
