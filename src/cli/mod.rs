//! Headless command-line front end.
