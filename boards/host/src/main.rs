//! The petrel binary.
fn main() {}
