//! Puente test kit: per-test databases on both backends, fixtures and the synthetic
//! migrant-family generator.

pub mod db;
pub mod fixtures;
pub mod poppler;
pub mod smtp;

pub mod synth;
