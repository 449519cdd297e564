//! The command line, shaped like bpftrace's so that existing habits and
//! scripts carry over.

use clap::{ArgAction, Parser};

#[derive(Parser, Debug)]
#[command(
    name = "sonde",
    version,
    disable_version_flag = true,
    disable_help_flag = true,
    about = "Linux tracing: bpftrace scripts compiled to eBPF without LLVM",
    help_template = "USAGE:\n    sonde [options] filename [args...]\n    sonde [options] - <stdin input>\n    sonde [options] -e 'program' [args...]\n\nOPTIONS:\n{options}\n"
)]
pub struct Args {
    /// Execute this program (given twice, the last one, as in bpftrace).
    #[arg(short = 'e', value_name = "PROGRAM", overrides_with = "program")]
    pub program: Option<String>,

    /// List probes matching the search pattern (the first argument), or
    /// those of the program or script file.
    #[arg(short = 'l', long = "list", action = ArgAction::SetTrue)]
    pub list: bool,

    /// Trace only this process (the probes fire for it alone).
    #[arg(short = 'p', long = "pid", value_name = "PID", value_parser = parse_pid)]
    pub pid: Option<u32>,

    /// Run CMD, trace while it runs, stop when it exits.
    #[arg(short = 'c', long = "cmd", value_name = "CMD")]
    pub cmd: Option<String>,

    /// Output format: text or json.
    #[arg(short = 'f', default_value = "text", value_name = "FORMAT")]
    pub format: String,

    /// Write the output to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<String>,

    /// Output buffering: line, full or none.
    #[arg(short = 'B', value_name = "MODE", value_parser = ["line", "full", "none"])]
    pub buffering: Option<String>,

    /// Keep messages quiet (no "Attached N probes").
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,

    /// Verbose messages: programs, their sizes and ids.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,

    /// Show the generated eBPF, disassembled, before running (STAGE: all, dis, codegen).
    #[arg(short = 'd', long = "debug", value_name = "STAGE", num_args = 0..=1, default_missing_value = "all")]
    pub debug: Option<String>,

    /// Compile, load and attach, then exit.
    #[arg(long = "dry-run")]
    pub dry_run: bool,

    /// Accepted for compatibility: USDT semaphores are always counted in
    /// every process that maps the file (the kernel's uprobe ref_ctr).
    #[arg(long = "usdt-file-activation")]
    pub usdt_file_activation: bool,

    /// Look for separate debug info files in DIR first (may be repeated).
    #[arg(long = "debuginfo", value_name = "DIR")]
    pub debuginfo: Vec<String>,

    /// Print what this kernel supports.
    #[arg(long = "info")]
    pub info: bool,

    /// Allow functions with side effects on the system (system, signal, ...).
    #[arg(long = "unsafe")]
    pub unsafe_ops: bool,

    /// Emit a warning when probe read helpers fail.
    #[arg(short = 'k', long = "warnings", action = ArgAction::Count)]
    pub warnings: u8,

    /// Disable all warning messages.
    #[arg(long = "no-warnings")]
    pub no_warnings: bool,

    /// Add a directory to the header search path.
    #[arg(short = 'I', value_name = "DIR")]
    pub include_dirs: Vec<String>,

    /// Include a header: its numeric macros (EPERM...) become names.
    #[arg(long = "include", value_name = "FILE")]
    pub includes: Vec<String>,

    /// Only run probes whose name matches REGEX (BEGIN and END always run).
    #[arg(long = "probe-filter", value_name = "REGEX")]
    pub probe_filter: Option<String>,

    /// Run mode: 'bench' runs the bench: probes and prints their times.
    #[arg(long = "mode", value_name = "MODE")]
    pub mode: Option<String>,

    /// Run the bench: probes (same as --mode bench).
    #[arg(long = "bench")]
    pub bench: bool,

    /// Show this help message.
    #[arg(short = 'h', long = "help", action = ArgAction::Help)]
    pub help: Option<bool>,

    /// Show the version.
    #[arg(short = 'V', long = "version", action = ArgAction::Version)]
    pub version: Option<bool>,

    /// The script's named parameters (after `--`, for `getopt()`), filled
    /// in from the words clap does not see.
    #[arg(skip)]
    pub named: Vec<String>,

    /// The script file (unless -e is given), then the script's $1, $2, ...
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub rest: Vec<String>,
}

fn parse_pid(text: &str) -> Result<u32, String> {
    let pid: i64 = text.parse().map_err(|_| {
        if text.starts_with(|c: char| c.is_ascii_digit()) {
            format!("Failed to parse pid: invalid trailing bytes: {text}")
        } else {
            format!("Failed to parse pid: invalid integer: {text}")
        }
    })?;
    if !(1..=4_194_304).contains(&pid) {
        return Err(format!("Pid out of range: {pid}"));
    }
    Ok(pid as u32)
}

/// Options that take the next word as their value.
const VALUE_OPTIONS: &[&str] = &[
    "--debuginfo",
    "-e",
    "-p",
    "--pid",
    "-c",
    "--cmd",
    "-f",
    "-o",
    "--output",
    "-B",
    "-I",
    "--include",
    "--probe-filter",
    "--mode",
];

/// Options whose value is optional: the next word, unless it is an option.
const OPTIONAL_VALUE_OPTIONS: &[&str] = &["-d", "--debug"];

/// The words after `--` on the command line: the script's named
/// parameters (`--name[=value]`, kept without their `--`) and the rest of
/// its positional parameters. `argv` keeps what comes before.
pub fn split_named(argv: &mut Vec<std::ffi::OsString>) -> (Vec<String>, Vec<String>) {
    let Some(at) = argv.iter().position(|w| w == "--") else {
        return (Vec::new(), Vec::new());
    };
    let after: Vec<String> = argv
        .drain(at..)
        .skip(1)
        .map(|w| w.to_string_lossy().into_owned())
        .collect();
    let (named, positional): (Vec<String>, Vec<String>) =
        after.into_iter().partition(|w| w.starts_with("--"));
    let named = named
        .into_iter()
        .map(|w| w.trim_start_matches("--").to_string())
        .collect();
    (named, positional)
}

/// Options first, then the script and its arguments, as getopt orders
/// bpftrace's command line: `sonde script.bt -p 42 arg` means `-p 42` is
/// an option, not a script argument. `--` ends the options.
pub fn permute(argv: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut words = argv.into_iter();
    let mut options: Vec<std::ffi::OsString> = words.next().into_iter().collect();
    let mut positional = Vec::new();
    let mut words = words.peekable();
    while let Some(word) = words.next() {
        let text = word.to_string_lossy().into_owned();
        if text == "--" {
            positional.push(word);
            positional.extend(words);
            break;
        }
        if !text.starts_with('-') || text == "-" {
            positional.push(word);
            continue;
        }
        options.push(word);
        if VALUE_OPTIONS.contains(&text.as_str()) {
            options.extend(words.next());
        } else if OPTIONAL_VALUE_OPTIONS.contains(&text.as_str()) {
            if let Some(next) = words.next_if(|w| !w.to_string_lossy().starts_with('-')) {
                options.push(next);
            }
        }
    }
    options.extend(positional);
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<std::ffi::OsString> {
        s.split(' ').map(Into::into).collect()
    }

    #[test]
    fn options_after_the_script_are_options() {
        assert_eq!(
            permute(words("sonde s.bt -p 42 42")),
            words("sonde -p 42 s.bt 42")
        );
        assert_eq!(
            permute(words("sonde -e prog -c cmd 1 -q")),
            words("sonde -e prog -c cmd -q 1")
        );
        assert_eq!(
            permute(words("sonde s.bt -- -p")),
            words("sonde s.bt -- -p")
        );
        // -l takes no value: its pattern is the first argument, wherever.
        assert_eq!(
            permute(words("sonde -l pat -p 1")),
            words("sonde -l -p 1 pat")
        );
        assert_eq!(permute(words("sonde -l -v pat")), words("sonde -l -v pat"));
    }
}
