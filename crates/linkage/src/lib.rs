//! Puente linkage crate.
