//! baseliner-report (being written).
