//! The `sonde` binary: bpftrace's command line over Sonde's compiler and
//! runtime. It reads the script, compiles it, hands the object to a session
//! and maps every failure to one message and a non-zero exit code.

mod args;
mod compile;
mod headers;
mod imports;
mod info;
mod list;
mod list_user;

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::Parser;

use args::Args;
use compile::{CompileOptions, Script};
use sonde_runtime::{KernelEnv, OutputFormat, OutputSink, RunOptions, Session};

/// The bpftrace release whose language and output Sonde follows.
const BPFTRACE_COMPAT: &str = "0.26.1";

fn main() -> ExitCode {
    if invoked_as_bpftrace()
        && std::env::args()
            .skip(1)
            .any(|a| a == "-V" || a == "--version")
    {
        // Installed as `bpftrace` (a symlink, for drop-in use), Sonde names
        // the bpftrace it stands in for, so that scripts and test harnesses
        // that check the version keep working.
        println!(
            "bpftrace v{BPFTRACE_COMPAT} (Sonde {})",
            env!("CARGO_PKG_VERSION")
        );
        return ExitCode::SUCCESS;
    }
    let mut argv = args::permute(std::env::args_os().collect());
    let (named, after_dashes) = args::split_named(&mut argv);
    let args = match Args::try_parse_from(argv) {
        Ok(mut args) => {
            // Before `--`, a word that looks like an option is one sonde
            // does not know (clap leaves those to the script's arguments).
            if let Some(flag) = args.rest.iter().find(|a| a.starts_with('-') && a.len() > 1) {
                eprintln!("ERROR: unknown option '{flag}'\n");
                eprint!("{}", usage());
                return ExitCode::from(1);
            }
            args.named = named;
            args.rest.extend(after_dashes);
            args
        }
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == clap::error::ErrorKind::ValueValidation => {
            // A value sonde checked itself (the pid): bpftrace states the
            // reason alone, without the usage.
            match std::error::Error::source(&e) {
                Some(reason) => eprintln!("ERROR: {reason}"),
                None => eprintln!(
                    "ERROR: {}",
                    e.render()
                        .to_string()
                        .trim_start_matches("error: ")
                        .trim_end()
                ),
            }
            return ExitCode::from(1);
        }
        Err(e) => {
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            eprintln!("ERROR: {}\n", first.trim_start_matches("error: "));
            eprint!("{}", usage());
            return ExitCode::from(1);
        }
    };
    match run(args) {
        Ok(code) => ExitCode::from(code),
        // Already said (on standard output), or nothing to say.
        Err(message) if message.is_empty() => ExitCode::from(1),
        Err(message) => {
            let mut stderr = std::io::stderr().lock();
            let _ = stderr.write_all(message.as_bytes());
            if !message.ends_with('\n') {
                let _ = stderr.write_all(b"\n");
            }
            ExitCode::from(1)
        }
    }
}

fn invoked_as_bpftrace() -> bool {
    std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n == "bpftrace"))
        .unwrap_or(false)
}

fn run(args: Args) -> Result<u8, String> {
    let format = match args.format.as_str() {
        "text" => OutputFormat::Text,
        "json" => OutputFormat::Json,
        other => {
            return Err(format!(
                "ERROR: Invalid output format \"{other}\"\n\n{}",
                usage()
            ))
        }
    };
    if args.info {
        return info::print().map(|_| 0);
    }
    let env = KernelEnv::new();
    env.set_debuginfo_dirs(args.debuginfo.iter().map(Into::into).collect());
    if args.list {
        let mut stdout = std::io::stdout().lock();
        if args.program.is_some() {
            let (script, _) = read_script(&args)?;
            return list::list_program(
                &script.source,
                &script.filename,
                &env,
                args.pid,
                &mut stdout,
            )
            .map(|_| 0);
        }
        let pattern = match args.rest.as_slice() {
            [] => "",
            [pattern] => pattern.as_str(),
            [_, extra, ..] => {
                return Err(format!(
                "ERROR: -l takes one search pattern or script ('{extra}' is one too many)\n\n{}",
                usage()
            ))
            }
        };
        if !pattern.is_empty() && std::path::Path::new(pattern).is_file() {
            let source = std::fs::read_to_string(pattern)
                .map_err(|e| format!("ERROR: failed to open file '{pattern}': {e}"))?;
            return list::list_program(&source, pattern, &env, args.pid, &mut stdout).map(|_| 0);
        }
        let mut stderr = std::io::stderr().lock();
        list::list(&env, pattern, args.verbose, &mut stdout, &mut stderr)
            .map_err(|e| format!("ERROR: {e}"))?;
        list_user::list(&env, pattern, args.pid, args.verbose, &mut stdout)
            .map_err(|e| format!("ERROR: {e}"))?;
        return Ok(0);
    }
    let bench = bench_mode(&args)?;
    let probe_filter = args
        .probe_filter
        .as_deref()
        .map(|pattern| {
            regex::Regex::new(pattern)
                .map_err(|e| format!("ERROR: Invalid --probe-filter regex '{pattern}': {e}"))
        })
        .transpose()?;
    let (script, positional) = read_script(&args)?;
    let child = args.cmd.as_deref().map(split_command).transpose()?;
    let object = compile::compile(
        &script,
        &env,
        &CompileOptions {
            positional,
            has_child: child.is_some(),
            pid_filter: args.pid,
            unsafe_ops: args.unsafe_ops,
            named_params: args.named.clone(),
            warning_level: if args.no_warnings {
                0
            } else if args.warnings > 0 {
                2
            } else {
                1
            },
            probe_filter,
            quiet: args.quiet,
            includes: args.includes.clone(),
            include_dirs: args.include_dirs.clone(),
        },
    )?;
    if args.debug.is_some() {
        eprint!("{}", compile::disassembly(&object));
    }
    if args.dry_run {
        // Loaded by the kernel, but nothing attached and nothing run.
        return sonde_runtime::verify(&object)
            .map(|_| 0)
            .map_err(|e| describe_failure(&e));
    }
    let opts = RunOptions {
        quiet: args.quiet,
        notify_attached: RunOptions::notify_from_env(),
        format,
        sink: match &args.output {
            Some(path) => OutputSink::File(path.into()),
            None => OutputSink::Stdout,
        },
        child,
        pid: args.pid,
        verbose: args.verbose,
        stop: None,
        no_warnings: args.no_warnings,
        on_attached: None,
        bench,
    };
    match Session::run(&object, &opts) {
        Ok(code) => Ok(code.clamp(0, 255) as u8),
        Err(e) => Err(describe_failure(&e)),
    }
}

/// Whether `--mode bench` (or `--bench`) asks for the benchmarks to run.
fn bench_mode(args: &Args) -> Result<bool, String> {
    match args.mode.as_deref() {
        _ if args.bench && args.mode.is_some() => {
            Err("ERROR: USAGE: --bench conflicts with existing --mode".into())
        }
        None => Ok(args.bench),
        Some("bench") => Ok(true),
        Some(mode @ ("codegen" | "compiler-bench" | "test" | "format")) => Err(format!(
            "ERROR: --mode {mode} is not supported by sonde; --mode bench is"
        )),
        Some(_) => Err(
            "ERROR: USAGE: --mode can only be 'codegen', 'compiler-bench', \
                        'bench', 'test' or 'format'."
                .into(),
        ),
    }
}

/// The script and its positional parameters: `-e PROGRAM ARGS...` or
/// `FILE ARGS...` (`-` for standard input).
fn read_script(args: &Args) -> Result<(Script, Vec<String>), String> {
    if let Some(program) = &args.program {
        let script = Script {
            source: program.clone(),
            filename: "stdin".into(),
        };
        return Ok((script, args.rest.clone()));
    }
    if let Some(flag) = args
        .rest
        .first()
        .filter(|a| a.starts_with('-') && a.len() > 1)
    {
        return Err(format!("ERROR: unknown option '{flag}'\n\n{}", usage()));
    }
    let Some((file, positional)) = args.rest.split_first() else {
        return Err(format!(
            "ERROR: No program given: pass a script file or -e 'program'\n\n{}",
            usage()
        ));
    };
    let source = if file == "-" {
        let mut text = String::new();
        if std::io::stdin().is_terminal() {
            eprintln!("reading the program from standard input (end with Ctrl-D)");
        }
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("ERROR: failed to read the program from standard input: {e}"))?;
        text
    } else {
        std::fs::read_to_string(file).map_err(|e| {
            let reason = e
                .raw_os_error()
                .map(sonde_sys::strerror)
                .unwrap_or_else(|| e.to_string());
            format!("ERROR: failed to open file '{file}': {reason}")
        })?
    };
    let filename = if file == "-" {
        "stdin".to_string()
    } else {
        file.clone()
    };
    Ok((Script { source, filename }, positional.to_vec()))
}

fn usage() -> String {
    use clap::CommandFactory;
    Args::command().render_help().to_string()
}

fn split_command(cmd: &str) -> Result<Vec<String>, String> {
    let words: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
    if words.is_empty() {
        return Err("ERROR: -c needs a command to run".into());
    }
    Ok(words)
}

fn describe_failure(e: &anyhow::Error) -> String {
    if sonde_runtime::is_permission_error(e) && !sonde_sys::is_root() {
        return "ERROR: sonde must run as root (or with CAP_BPF and CAP_PERFMON) to load BPF programs".into();
    }
    // Each layer adds context to its cause; a cause the context already
    // quotes is not repeated.
    let mut message = String::from("ERROR: ");
    for layer in e.chain() {
        let text = layer.to_string();
        if !message.contains(&text) {
            if message.len() > "ERROR: ".len() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
    }
    message
}
