//! Puente web crate.
