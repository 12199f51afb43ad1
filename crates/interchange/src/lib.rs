//! Puente interchange crate.
