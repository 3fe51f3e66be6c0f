//! baseliner-label (being written).
