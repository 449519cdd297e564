//! From script text to an [`Object`]: parse, check, generate code. Errors
//! come back rendered in bpftrace's layout, ready to print.

use sonde_codegen::object::Object;
use sonde_lang::sema::{self, ProbeEnv};

pub struct Script {
    pub source: String,
    /// `stdin` for `-e` and `-`, else the file's path.
    pub filename: String,
}

pub struct CompileOptions {
    pub positional: Vec<String>,
    pub has_child: bool,
    pub pid_filter: Option<u32>,
    /// `--unsafe`.
    pub unsafe_ops: bool,
    /// Named parameters after `--`, without their `--`.
    pub named_params: Vec<String>,
    /// 0 with `--no-warnings`, 2 with `-k`, else 1.
    pub warning_level: u8,
    /// `--probe-filter`, already compiled.
    pub probe_filter: Option<regex::Regex>,
    /// `-q`: a script left with no probes fails without saying so.
    pub quiet: bool,
    /// `--include FILE`: headers whose numeric macros the script may use.
    pub includes: Vec<String>,
    /// `-I DIR`: where to look for headers first.
    pub include_dirs: Vec<String>,
}

pub fn compile(
    script: &Script,
    env: &dyn ProbeEnv,
    opts: &CompileOptions,
) -> Result<Object, String> {
    let mut loaded = crate::imports::load(script)?;
    crate::headers::add_defines(&mut loaded.program, &opts.includes, &opts.include_dirs);
    let sources = &loaded.sources;
    let render = |d: &sonde_lang::Diagnostic| sources.render(d);
    // A bad BPFTRACE_* variable has no place in the script to point at.
    // A bad BPFTRACE_* variable or named parameter has no place in the
    // script to point at.
    let render_config = |d: &sonde_lang::Diagnostic| {
        if d.span.start == 0 && d.span.end == 0 {
            let mut text = String::new();
            if !d.message.is_empty() {
                text.push_str(&format!("ERROR: {}\n", d.message));
            }
            if let Some(help) = &d.help {
                text.push_str(&format!("HINT: {help}\n"));
            }
            text
        } else {
            render(d)
        }
    };
    let ast = &loaded.program;
    let sema_opts = sema::Options {
        positional: opts.positional.clone(),
        has_child: opts.has_child,
        pid: opts.pid_filter,
        unsafe_ops: opts.unsafe_ops,
        named_params: opts.named_params.clone(),
        config_env: std::env::vars()
            .filter(|(name, _)| name.starts_with("BPFTRACE_"))
            .collect(),
        probe_filter: opts
            .probe_filter
            .clone()
            .map(|re| sema::ProbeFilter(std::sync::Arc::new(move |name: &str| re.is_match(name)))),
        ..sema::Options::default()
    };
    let typed = sema::analyse(ast, env, &sema_opts).map_err(|d| render_config(&d))?;
    for warning in &typed.warnings {
        if warning.span.start == 0 && warning.span.end == 0 {
            eprintln!("WARNING: {}", warning.message);
        } else {
            eprint!("{}", sources.render_warning(warning));
        }
    }
    if typed.probes.is_empty() && !ast.probes.is_empty() {
        // missing_probes = warn/ignore or --probe-filter left every attach
        // point out. bpftrace says so on standard output, as a plain line.
        if !opts.quiet {
            println!("No probes to attach");
        }
        return Err(String::new());
    }
    let codegen_opts = sonde_codegen::Options {
        pid_filter: opts.pid_filter,
        pid_namespace: sonde_sys::pid_namespace(),
        warning_level: opts.warning_level,
    };
    // Spans into copies of macro bodies point back at the macro, with
    // the calls as notes.
    let resolve = |d: sonde_lang::Diagnostic| typed.expansions.resolve(d);
    let mut object =
        sonde_codegen::compile(&typed, &codegen_opts).map_err(|d| render(&resolve(d)))?;
    // Run-time warnings and errorf() point into the script like compile
    // errors do.
    for event in &mut object.events {
        match event {
            sonde_codegen::object::EventDef::Warning {
                span,
                message,
                text,
            } => {
                let diag = resolve(sonde_lang::Diagnostic::error(*span, message.clone()));
                *text = sources.render_warning(&diag);
            }
            sonde_codegen::object::EventDef::HelperError {
                span,
                text,
                filename,
                line,
                col,
                ..
            } => {
                let diag = resolve(sonde_lang::Diagnostic::error(*span, "\u{1}"));
                *text = sonde_lang::render_warning(&diag, &script.source, &script.filename);
                *filename = script.filename.clone();
                let (l, c) = sonde_lang::diag::line_col(&script.source, diag.span.start);
                *line = l as u32;
                *col = c as u32;
            }
            sonde_codegen::object::EventDef::Diagnostic {
                error, span, text, ..
            } if text.is_empty() => {
                // The message is known when the record arrives; \u{1}
                // stands for it.
                let diag = resolve(sonde_lang::Diagnostic::error(*span, "\u{1}"));
                *text = if *error {
                    sources.render(&diag)
                } else {
                    sources.render_warning(&diag)
                };
            }
            _ => {}
        }
    }
    Ok(object)
}

/// The generated programs in the verifier's syntax, for `-d`.
pub fn disassembly(object: &Object) -> String {
    let mut out = String::new();
    for program in &object.programs {
        let points: Vec<&str> = program
            .attach
            .iter()
            .map(|a| object.probe_names[a.probe as usize].as_str())
            .collect();
        out.push_str(&format!(
            "; program {} ({:?}, {} instructions) for {}\n",
            program.name,
            program.kind,
            program.insns.len(),
            points.join(", ")
        ));
        for line in sonde_isa::disassemble(&program.insns) {
            out.push_str(&line);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}
