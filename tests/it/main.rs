//! One integration-test binary (saves link time): each area in its own module.
//! Reference values come from tests/fixtures (copied from the project's reference set).

mod balance;
mod common;
mod data_manage;
mod docs;
mod effects;
mod errors;
mod esda;
mod examples;
mod features;
mod formula_terms;
mod indices;
mod json;
mod layout;
mod linalg;
mod ml;
mod ols;
mod options;
mod properties;
mod regressions14;
mod reshape;
mod resolvent;
mod sandbox;
mod scale;
mod scripts;
mod stdlib;
mod study;
mod trust_cli;
mod trust_data;
mod trust_models;
mod trust_red_cli;
mod trust_red_data;
mod trust_red_models;
mod trust_study;
mod trust_weights;
mod weights;
