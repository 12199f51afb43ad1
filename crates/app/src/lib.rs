//! Puente use cases. Placeholder while the foundation lands.
