//! The tests of the HTTP layer, by Immich resource as the routes are, on a started simulator
//! (`crate::sim::tests::harness`).

mod albums;
mod assets;
mod gateway;
mod people;
mod search;
mod server;
