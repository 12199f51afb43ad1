//! Puente testkit crate.
