//! `engram`: the command-line entry point. Errors are printed once, as one line, with a
//! non-zero exit code.

use clap::Parser;

/// Large arrays (the weights) on transparent huge pages: see [`engram::hugepages`].
#[global_allocator]
static ALLOC: engram::hugepages::HugePageAlloc = engram::hugepages::HugePageAlloc;

fn main() {
    let cli = engram::cli::Cli::parse();
    if let Err(e) = engram::cli::main_with(cli) {
        eprintln!("engram: error: {e}");
        std::process::exit(1);
    }
}
