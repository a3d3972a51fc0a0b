//! Csv weights files: any bytes give Weights or an error naming the file and line, never a
//! panic; both with islands refused (the default) and kept, as given and row-standardised.
#![no_main]

spillover_fuzz::weights_target!(Csv, "fuzz.csv");
