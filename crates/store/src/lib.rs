//! Puente store crate.
